"""Workbooks from other programs that used to crash, print or be refused wrongly (issue 18).

Each test builds its file here (xlwt, openpyxl, a zip by hand) and runs the door, the reader or the
merge in this process; the whole foreign corpus goes through the real command line in
tests/test_foreign_corpus.py.
"""
from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import pytest

import xjr_excel

import foreign_corpus as fc
from xjr_excel import errors
from xjr_excel.guard import check as guard
from xjr_excel.province import intake
from xjr_excel.province.consolidate import consolidate
from xjr_excel.read.workbook import read_workbook


def small_xls(path: Path) -> Path:
    """A legacy .xls written by xlwt (one sheet, two cells)."""
    import xlwt
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("附1")
    ws.write(0, 0, "企业名称")
    ws.write(1, 0, "南京恒远精密机械有限公司")
    wb.save(str(path))
    return path


# --------------------------------------------------------------------------
# A damaged .xls: a refusal, and nothing printed
# --------------------------------------------------------------------------

@pytest.fixture()
def broken_xls(tmp_path) -> Path:
    return fc.xls_broken_directory(small_xls(tmp_path / "_ok.xls"), tmp_path / "南京市.xls")


def test_xls_with_a_broken_directory_is_damaged_not_an_internal_error(broken_xls, capfd):
    import olefile
    with olefile.OleFileIO(str(broken_xls)) as ole:      # the damage olefile forgives …
        assert ole.exists("Workbook")
    with pytest.raises(errors.Damaged) as e:              # … is a refusal, not xlrd's CompDocError
        read_workbook(broken_xls)
    assert e.value.code == "XJR-E-DAMAGED" and "复合文档" in e.value.message
    assert capfd.readouterr().out == "", "xlrd's diagnostics reached standard output"


def test_merge_sets_the_damaged_xls_aside_with_its_code_and_prints_nothing(broken_xls, tmp_path, capfd):
    payload = consolidate([broken_xls.parent], tmp_path / "out" / "全省汇总.xlsx", province="江苏省", jobs=1,
                          progress=False)
    (skipped,) = [s for s in payload["skipped"] if Path(s["file"]).name == broken_xls.name]
    assert skipped["code"] == "XJR-E-DAMAGED", skipped
    assert capfd.readouterr().out == "", "a library printed into what --json prints"


def test_xlrd_is_never_left_to_print_on_standard_output():
    """Every xlrd call of ours names its logfile: its default is the sys.stdout of import time."""
    import ast
    root = Path(xjr_excel.__file__).resolve().parent     # the imported package (install checks remove the source)
    calls = []
    for py in root.rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("open_workbook", "CompDoc"):
                calls.append((py.name, {k.arg for k in node.keywords}))
    assert calls and all("logfile" in kw for _, kw in calls), calls


def _chatty() -> int:
    print("library chatter")                              # what xlrd does (Python level)
    os.write(1, b"C-level chatter\n")                     # and what a C library could do
    return 42


def test_merge_workers_print_nothing_on_standard_output(capfd):
    with intake._pool(1) as pool:                         # noqa: SLF001 - the pool the merge reads in
        assert pool.submit(_chatty).result() == 42
    assert "chatter" not in capfd.readouterr().out


# --------------------------------------------------------------------------
# A Rust panic or an absurd zip is damage, not a crash
# --------------------------------------------------------------------------

def test_a_calamine_panic_is_a_damaged_file(tmp_path, monkeypatch):
    from python_calamine import CalamineWorkbook
    PanicException = type("PanicException", (BaseException,), {})     # pyo3's: a BaseException, not importable

    def panic(*a, **k):
        raise PanicException("range start index 149782 out of range for slice of length 36864")
    monkeypatch.setattr(CalamineWorkbook, "from_path", panic)
    with pytest.raises(errors.Damaged):
        read_workbook(small_xls(tmp_path / "南京市.xls"))


def test_a_zip_claiming_an_unknown_version_is_damaged(tmp_path):
    p = fc.write_xlsxwriter({"附1": [["企业名称"], ["南京恒远精密机械有限公司"]]}, tmp_path / "南京市.xlsx")
    data = bytearray(p.read_bytes())
    cd = data.rfind(b"PK\x01\x02")                                   # a central directory entry
    struct.pack_into("<H", data, cd + 6, 84)                         # "version needed to extract": 8.4
    p.write_bytes(bytes(data))
    with pytest.raises(errors.Damaged):
        guard.check_file(p)


# --------------------------------------------------------------------------
# .xlsb: one wording
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["苏州市.xlsb", "无锡市.et"])
def test_merge_words_an_xlsb_or_et_as_validate_does(tmp_path, name):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    p = fc.xlsb(inbox / name)
    with pytest.raises(errors.NotWorkbook) as refused:               # what xjr validate says
        guard.check_file(p)
    payload = consolidate([inbox], tmp_path / "全省汇总.xlsx", province="江苏省", jobs=1, progress=False)
    (skipped,) = payload["skipped"]
    assert skipped == {"file": str(p), "reason": refused.value.message, "code": "XJR-E-NOT-WORKBOOK"}
    assert "不是Excel工作簿（扩展名" not in skipped["reason"]


# --------------------------------------------------------------------------
# Styled blanks written as empty pairs are formatting
# --------------------------------------------------------------------------

LIMITS = {"max_rows_per_sheet": 20000, "max_columns_per_sheet": 300, "max_value_cells_per_sheet": 2000000}
HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'


def _extent(xml: bytes, chunk: int) -> guard._SheetExtent:                # noqa: SLF001
    ext = guard._SheetExtent(LIMITS)                                   # noqa: SLF001
    for i in range(0, len(xml), chunk):
        ext.feed(xml[i:i + chunk])
    ext.feed(b"", final=True)
    return ext


def test_empty_cell_pairs_past_the_limits_are_not_content():
    rows = b"".join(b'<row r="%d"><c r="A%d" s="31" t="n"></c></row>' % (r, r) for r in range(20001, 20051))
    xml = HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c><c r="B1"><v>2</v></c>' \
        b'<c r="C1"><f>B1*2</f></c></row>' + rows + b"</sheetData></worksheet>"
    for chunk in range(7, 90):                 # the pair split at every place a chunk can end
        ext = _extent(xml, chunk)
        assert (ext.values, ext.far, ext.cells) == (3, None, 53), chunk
        ext.check("附3", Path("x.xlsx"), LIMITS)
    far = xml.replace(b'<c r="A20050" s="31" t="n"></c>', b'<c r="A20050" s="31" t="n"><v>1</v></c>')
    for chunk in (7, 64, 1 << 16):             # a value down there is still refused
        with pytest.raises(errors.SheetTooBig):
            _extent(far, chunk).check("附3", Path("x.xlsx"), LIMITS)


def test_city_with_a_fill_on_60000_blank_rows_below_a3_is_read(tmp_path):
    import make_corpus as mc
    src = mc.fill_city(tmp_path / "常州市.xlsx", city="常州市")
    filled = fc.styled_blank_pairs(src, tmp_path / "常州市-填充.xlsx")
    with zipfile.ZipFile(filled) as z:                                  # written as the issue saw it
        assert any(b'<c r="A20001" s="' in z.read(n) and b'" t="n"></c>' in z.read(n)
                   for n in z.namelist() if n.startswith("xl/worksheets/"))
    expected = {f.rule for f in _findings(src)}
    assert {f.rule for f in _findings(filled)} == expected


def _findings(path: Path) -> list:
    from xjr_excel.validate.run import validate_file
    return validate_file(path)[1]


def test_a_package_without_its_content_types_is_damaged(tmp_path):
    """A bit flip in the zip directory can rename [Content_Types].xml: validate read it, clear crashed (KeyError)."""
    import make_corpus as mc
    src = fc.write_xlsxwriter({"附1": [["企业名称"], ["南京恒远精密机械有限公司"]]}, tmp_path / "_src.xlsx")
    p = mc.rewrite_zip(src, tmp_path / "南京市.xlsx", {"[Content_Types].xml": None, "[Content_Typeq].xml": b"<x/>"})
    with pytest.raises(errors.Damaged) as e:
        guard.check_file(p)
    assert "[Content_Types].xml" in e.value.message
