"""Python stays running between clicks: what it keeps follows the files it was built from."""
from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from conftest_validate import build_grids
from test_rules import TODAY

from xjr_excel.read.workbook import read_grids
from xjr_excel.session import FileCache, stamp
from xjr_excel.spec.definition import get_spec
from xjr_excel.spec.policy import default_data_dir
from xjr_excel.validate.run import validate


def _touch_later(path, text: str) -> None:
    before = os.stat(path).st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))      # a later save, even on a coarse clock


def test_spec_is_kept_until_the_policy_changes(tmp_path):
    policy = tmp_path / "policy.toml"
    shutil.copy(default_data_dir() / "policy.toml", policy)
    first = get_spec(str(policy))
    assert get_spec(str(policy)) is first                      # kept between clicks
    _touch_later(policy, policy.read_text(encoding="utf-8") + "\n# 新年度\n")
    second = get_spec(str(policy))
    assert second is not first                                  # the new policy is read
    assert get_spec(str(policy)) is second


def test_a_new_threshold_applies_on_the_next_click(tmp_path):
    """The same validation in one process, before and after the policy's R&D threshold is raised."""
    policy = tmp_path / "policy.toml"
    shutil.copy(default_data_dir() / "policy.toml", policy)
    grids = build_grids()

    def rd_findings():
        data = read_grids(grids, file="南京市.xlsx", spec=get_spec(str(policy)))
        return [f for f in validate(data, today=TODAY) if f.rule == "a4.rd_share"]

    assert rd_findings() == []
    text = policy.read_text(encoding="utf-8")
    lines = [ln if not ln.startswith("rd_share_min") else "rd_share_min = 50" for ln in text.splitlines()]
    assert lines != text.splitlines(), "policy.toml has no rd_share_min line"
    _touch_later(policy, "\n".join(lines) + "\n")
    assert len(rd_findings()) == 3                              # every enterprise is now below 50 %


def test_file_cache_reloads_a_changed_file(tmp_path):
    f = tmp_path / "names.txt"
    f.write_text("a", encoding="utf-8")
    loads = []
    cache = FileCache(lambda p: loads.append(p) or open(p, encoding="utf-8").read())
    assert cache.get(f) == "a" and cache.get(f) == "a" and len(loads) == 1
    _touch_later(f, "b")
    assert cache.get(f) == "b" and len(loads) == 2
    assert stamp(tmp_path / "missing")[0][1] is None


CHECK_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


@pytest.mark.engine
def test_clicks_on_different_books_in_one_python_leak_nothing():
    """Python stays running: 校验 on a faulty book, then on a clean one, then the faulty one again,
    each gives exactly what that click gives in a fresh process (same summary, same writes)."""
    import subprocess
    import sys
    from pathlib import Path

    import ribbon_engine as E
    from xjr_excel import ribbon

    root = Path(__file__).resolve().parents[1]
    models = {name: E.from_file(root / "samples" / name) for name in ("苏州市.xlsx", "南京市.xlsx")}

    def click(model):
        book = E.open_book(model)
        summary = ribbon.validate(book)
        actions = [a for a in book.json()["actions"]]
        for a in actions:                      # the check time written to 校验结果 and the state sheet
            if a["func"] == "setValues":
                a["values"] = [[None if isinstance(v, str) and CHECK_TIME.fullmatch(v.lstrip("'")) else v for v in row]
                               for row in a["values"]]
        return summary, actions

    faulty1, clean, faulty2 = click(models["苏州市.xlsx"]), click(models["南京市.xlsx"]), click(models["苏州市.xlsx"])
    assert faulty1 == faulty2
    assert faulty1[0]["errors"] > 0 and clean[0]["errors"] == 0
    code = ("import json, sys; sys.path[:0] = sys.argv[1:3]; import ribbon_engine as E; from xjr_excel import ribbon\n"
            "b = E.open_book(E.from_file(sys.argv[3])); print(json.dumps(ribbon.validate(b)))")
    fresh = subprocess.run([sys.executable, "-c", code, str(root / "tests"), str(root),
                            str(root / "samples" / "南京市.xlsx")], capture_output=True, text=True, check=True)
    assert json.loads(fresh.stdout.splitlines()[-1]) == clean[0]
