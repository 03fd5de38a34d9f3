"""The merge and collect summaries read well in an 80-column command prompt (Windows' default).

What a user would notice: a line wider than the window (the terminal breaks it anywhere), a file name
broken in two, a character lost or a sentence chopped into table cells.  Checked on the samples'
merge (a notice, a duplicate, mismatches) and on the samples' returned forms (refused, not listed,
superseded, a conflict), both at 80 columns; the wide layout stays a table.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from xjr_excel.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FORMS = SAMPLES / "forms"


def run(monkeypatch, columns: int, argv: list[str]) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        cli.main(argv)
    return buf.getvalue()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _fits(out: str, columns: int) -> None:
    # a path is printed whole on its own line (a terminal may wrap it; we never break it)
    wide = [line for line in out.splitlines()
            if cell_len(line.rstrip()) > columns and not re.fullmatch(r"(已写入：)?\S+", line.strip())]
    assert not wide, wide


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    d = tmp_path_factory.mktemp("narrow")
    # a long file name, as cities send them
    long_name = d / "苏州市工业和信息化局关于报送第二批重点小巨人企业申报材料的函（修改稿）.xlsx"
    long_name.write_bytes((SAMPLES / "苏州市.xlsx").read_bytes())
    not_a_workbook = d / "扬州市（报送稿）.xlsx"         # a CSV renamed: skipped with a long reason
    not_a_workbook.write_text("企业名称,法定代表人\n", encoding="utf-8")
    inputs = [str(SAMPLES / f) for f in ("南京市.xlsx", "常州市.xlsx", "无锡市.xlsx")] + [str(long_name),
                                                                                      str(not_a_workbook)]
    return d, inputs


def test_consolidate_summary_fits_80_columns_and_loses_nothing(merged, monkeypatch):
    d, inputs = merged
    argv = ["consolidate", *inputs, "--province", "江苏省", "--jobs", "1"]
    out = run(monkeypatch, 80, [*argv, "-o", str(d / "a.xlsx")])
    payload = json.loads(run(monkeypatch, 80, [*argv, "-o", str(d / "b.xlsx"), "--json", "--force"]))
    _fits(out, 80)
    notices = payload["province"]["notices"]
    assert notices                                    # the samples' batches differ: a notice to wrap
    flat = _squash(out)
    for n in notices:
        assert _squash("警告：" + n) in flat          # every character of it, under its one word
    assert not re.search(r"^\s*[，。、；：）」”]", out, re.M)   # no line starts with closing punctuation
    assert payload["skipped"]
    for s in payload["skipped"]:                     # the path whole on its line, the reason whole under it
        assert s["file"] + "：" in [line.strip() for line in out.splitlines()]
        assert _squash(s["reason"]) in flat
    for d_ in payload["duplicates"]:
        assert d_["name"] in out
    assert "江苏省汇总：" in out.splitlines()[0]        # the title on its own line, not a centred block
    for c in payload["cities"]:
        assert c["city"] in out


def test_consolidate_summary_stays_a_boxed_table_when_wide(merged, monkeypatch):
    d, inputs = merged
    out = run(monkeypatch, 160, ["consolidate", *inputs, "--province", "江苏省", "--jobs", "1",
                                 "-o", str(d / "c.xlsx")])
    assert "┃ 城市" in out and "┃ 警告 ┃" in out
    assert any("警告：各市封面的批次不一致" in line for line in out.splitlines())


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    d = tmp_path_factory.mktemp("narrow_collect")
    return d, [str(FORMS / "南京市-待回收.xlsx"), str(FORMS / "交回")]


def test_collect_summary_fits_80_columns_one_line_per_record_and_whole_file_names(collected, monkeypatch):
    d, (book, returned) = collected
    argv = ["collect", book, returned, "--jobs", "1"]
    out = run(monkeypatch, 80, [*argv, "-o", str(d / "a.xlsx")])
    p = json.loads(run(monkeypatch, 80, [*argv, "-o", str(d / "b.xlsx"), "--json", "--force"]))
    _fits(out, 80)
    lines = out.splitlines()
    assert lines[0] == (f"填报表回收：名单{p['summary']['records']}个，已交回{p['summary']['returned']}个，"
                        f"未交回{p['summary']['not_returned']}个")
    for x in p["records"]:
        # one line names the record, its list and its state
        assert any(line.strip().startswith(f"{x['list']} {x['name']}：{x['status']}") for line in lines), x["name"]
        if x["file"]:
            assert Path(x["file"]).name in [line.strip() for line in lines]       # never broken
    not_merged = [f for f in p["files"] if f["status"] != "merged"]
    assert not_merged and p["conflicts"]              # the samples have both: both are printed
    flat = _squash(out)
    for f in not_merged:
        assert any(line.strip().startswith(f["name"]) for line in lines), f["name"]
        assert _squash(f["reason"]) in flat
    for c in p["conflicts"]:
        assert _squash(f"工作簿“{c['city']}”，填报表“{c['form']}”") in flat
    assert not re.search(r"^\s*[，。、；：）」”]", out, re.M)


def test_collect_summary_stays_a_table_when_wide(collected, monkeypatch):
    d, (book, returned) = collected
    out = run(monkeypatch, 200, ["collect", book, returned, "--jobs", "1", "-o", str(d / "c.xlsx")])
    assert "┃ 名单 ┃ 名称" in out and "警告" in out
