"""Every refusal is one class with a stable code, raised somewhere and documented in docs/guard.md."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import xjr_excel
from xjr_excel import errors

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(xjr_excel.__file__).resolve().parent      # the installed package too (install checks)
SOURCES = {p: p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")
           if p.name != "errors.py"}
DOC = (ROOT / "docs" / "guard.md").read_text(encoding="utf-8")
CLASSES = sorted(set(errors.REFUSALS.values()), key=lambda c: c.code)


def test_codes_are_unique_and_well_formed():
    codes = [c.code for c in CLASSES]
    assert len(codes) == len(set(codes)) == len(errors.REFUSALS)
    for c in CLASSES:
        assert re.fullmatch(r"XJR-[EI]-[A-Z]+(?:-[A-Z]+)*", c.code), c.code
        assert c.title.isascii() and c.title[0].isupper(), c.title               # English title
        assert re.search(r"[\u4e00-\u9fff]", c.template) or c.template == "{detail}", c.template   # Chinese template
        assert issubclass(c, errors.UserError)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.code)
def test_each_code_is_raised_somewhere_and_documented(cls):
    """Raised: the class is named, or its kind tag is passed, in the package (outside errors.py)."""
    name, kind = cls.__name__, cls.kind
    used = [p.relative_to(PACKAGE) for p, text in SOURCES.items()
            if re.search(rf"\b{name}\b", text) or re.search(rf"""["']{re.escape(kind)}["']""", text)]
    assert used, f"{cls.code} ({name}, kind {kind!r}) is never raised"
    row = next((ln for ln in DOC.splitlines() if ln.startswith("|") and f"`{cls.code}`" in ln), None)
    assert row is not None, f"{cls.code} missing from the table in docs/guard.md"
    assert cls.title in row, (cls.title, row)


def test_kind_picks_the_class_and_the_message_survives():
    e = errors.InputRejected("文件已加密。", file="a.xlsx", kind="encrypted")
    assert type(e) is errors.Encrypted and e.code == "XJR-E-ENCRYPTED" and e.message == "文件已加密。"
    assert e.as_json()["code"] == "XJR-E-ENCRYPTED"
    e = errors.OutputExists(file="汇总.xlsx", purpose="全省汇总工作簿")
    assert "全省汇总工作簿" in e.message and "--force" in e.message
    import pickle
    back = pickle.loads(pickle.dumps(errors.ZipBomb("炸弹", file="x.xlsx")))    # crosses worker processes
    assert type(back) is errors.ZipBomb and back.message == "炸弹" and back.file == "x.xlsx"
