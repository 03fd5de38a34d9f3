"""Python stays running between clicks: what it keeps follows the files it was built from."""
from __future__ import annotations

import os
import shutil

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
