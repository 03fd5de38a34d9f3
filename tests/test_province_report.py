"""The provincial report agrees with itself and can be handed up (issue 21), checked on the merge of
the five samples as the provincial official would check it:

* every total is counted here straight from the city workbooks (python-calamine, the seed's header
  texts), not with our reader, and 统计, 全省附1 and the JSON all say the same;
* where 附1 and 附3 differ, 统计 says so and lists the enterprises; an enterprise listed twice in one
  city is a 重复 group and both of its 附1 rows are marked;
* 问题清单 holds exactly the findings ``xjr validate --json`` reports for each city; ``--issues-dir``
  writes one such workbook per city with errors;
* the 文字摘要's numbers are 统计's; the charts are there (openpyxl reads them back) and LibreOffice
  prints them; 统计 prints in reading order with no page that holds only the 城市 column.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from test_consolidate import block_rows, city_of, records, sample_files, squash
from xjr_excel.cli import main as cli
from xjr_excel.province.consolidate import consolidate

ROOT = Path(__file__).resolve().parents[1]
PROVINCE = "江苏省"
DEPARTMENT = "江苏省工业和信息化厅"
A1_NAME = squash("企业名称\n（须与工业和信息化部公布的名称一致）")


def grid(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def from_inputs(files: list[Path]) -> dict:
    """Counts straight from the samples: 附1 rows, 附1 rows whose enterprise 附3 marks ★, 附3 rows, and
    the enterprises whose 附1 and 附3 rows do not pair one to one."""
    out = Counter()
    uneven = set()
    for f in files:
        city = city_of(f)
        a1 = [squash(r.get(A1_NAME)) for r in records(f, "附1", "序号") if squash(r.get(A1_NAME))]
        a3 = records(f, "附3", "统一社会信用代码")
        starred = {squash(r["企业名称"]) for r in a3
                   if squash(r.get("★是否填补国内或国际空白")) not in ("", "否")
                   or squash(r.get("★是否关键领域补短板")) == "是"}
        out["a1"] += len(a1)
        out["star"] += sum(1 for n in a1 if n in starred)
        out["a3"] += len(a3)
        n1, n3 = Counter(a1), Counter(squash(r["企业名称"]) for r in a3)
        uneven |= {(city, n) for n in set(n1) | set(n3) if not n1[n] == n3[n] == 1}
    return {"counts": out, "uneven": uneven}


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    out = tmp / "江苏省汇总.xlsx"
    payload = consolidate([str(f) for f in sample_files()], out, province=PROVINCE, jobs=1, progress=False,
                          department=DEPARTMENT, issues_dir=tmp / "问题清单")
    return out, payload


def stats_grid(out: Path) -> list[list]:
    return grid(out, "统计")


def summary_text(out: Path) -> str:
    g = stats_grid(out)
    i = next(k for k, r in enumerate(g) if str(r[1]).startswith("文字摘要"))
    return g[i + 1][1]


# ------------------------------------------------------------------ totals agree, or say why

def test_totals_agree_everywhere_or_say_why(merged):
    out, payload = merged
    expect = from_inputs(sample_files())
    want = expect["counts"]
    assert want["a1"] != want["a3"], "the samples' 附1 and 附3 differ: the case this test is about"
    # 统计 一 (附1 rows, ★ rows), 二 and 三 (附3 rows, whose categories add up to them)
    headers, rows = block_rows(stats_grid(out), "一、")
    tot = dict(zip(headers, rows["全省合计"]))
    assert tot["重点“小巨人”企业（附1）"] == want["a1"] == payload["province"]["enterprises"]
    assert tot["★企业（附1）"] == want["star"] == payload["province"]["star"]
    for block in ("二、", "三、"):
        headers, rows = block_rows(stats_grid(out), block)
        t = rows["全省合计"]
        assert t[headers.index("附3企业")] == want["a3"] == sum(t[headers.index("附3企业") + 1:]), block
        for city, r in rows.items():
            assert r[1] == sum(r[2:]), (block, city)
    # 全省附1: its rows, its ★ marks and its note say the same
    a1 = grid(out, "附1")
    h = next(i for i, r in enumerate(a1) if r[0] == "序号")
    body = [r for r in a1[h + 1:] if isinstance(r[0], float)]
    assert len(body) == want["a1"] and sum(1 for r in body if r[4] == "★") == want["star"]
    note = next(r[0] for r in a1 if str(r[0]).startswith("注："))
    assert f"共{want['a1']}行，其中标★的{want['star']}行" in note
    # where 附1 and 附3 differ, 统计 says so and lists the enterprises (section 八)
    g = stats_grid(out)
    said = next(r[1] for r in g if str(r[1]).startswith("计数来源"))
    assert f"共{want['a1']}行、其中★{want['star']}行" in said and f"共{want['a3']}家" in said
    assert f"不一致的企业{len(expect['uneven'])}家" in said
    i = next(k for k, r in enumerate(g) if str(r[1]).startswith("八、附1与附3不一致"))
    listed = set()
    for r in g[i + 2:]:
        if not r[0]:
            break
        listed.add((r[0], squash(r[1])))
        assert r[6], r                               # why, in words
    assert listed == expect["uneven"]
    assert {(m["city"], squash(m["name"])) for m in payload["mismatches"]} == listed


def test_within_city_duplicate_is_listed_and_both_rows_marked(merged):
    out, payload = merged
    # found here: a name twice in one city's 附1
    twice = [(city_of(f), n) for f in sample_files()
             for n, k in Counter(squash(r.get(A1_NAME)) for r in records(f, "附1", "序号")).items() if n and k > 1]
    assert twice, "无锡市's sample lists an enterprise twice"
    dup = grid(out, "重复")
    assert any(str(r[0]).startswith(f"共{len(payload['duplicates'])}组") for r in dup)
    assert f"共0组" not in "".join(str(r[0]) for r in dup)
    body = [r for r in dup if isinstance(r[0], float)]
    for city, name in twice:
        group = [r for r in body if squash(r[3]) == name and r[5] == city]
        assert group and {r[1] for r in group} == {"同一城市内"}
        assert sum(1 for r in group if r[8] == "附1") == 2            # both 附1 rows, with their row numbers
        # both rows of 全省附1 carry the group and the mark
        a1 = openpyxl.load_workbook(out)["附1"]
        hdr = next(r for r in a1.iter_rows() if r[0].value == "序号")
        dcol = next(c.column for c in hdr if c.value == "重复")
        rows = [r for r in a1.iter_rows(min_row=hdr[0].row + 1) if r[2].value and squash(r[2].value) == name]
        assert len(rows) == 2
        assert len({a1.cell(r[0].row, dcol).value for r in rows}) == 1 and a1.cell(rows[0][0].row, dcol).value
        assert all(r[2].fill.fgColor.rgb.endswith("FCE4D6") for r in rows)


# ------------------------------------------------------------------ 问题清单

def validate_json(path: Path) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", "validate", str(path), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["findings"]


SEV = {"error": "错误", "warning": "警告"}


def issue_rows(path: Path) -> list[list]:
    g = grid(path, "问题清单")
    h = next(i for i, r in enumerate(g) if r[0] == "序号")
    assert g[h][:10] == ["序号", "城市", "文件", "工作表", "单元格", "字段", "当前值", "说明", "级别", "规则"]
    return [r for r in g[h + 1:] if r[0] != ""]


@pytest.mark.slow      # runs xjr validate per city
def test_issue_list_holds_every_finding_of_every_city(merged):
    out, payload = merged
    rows = issue_rows(out)
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
    want = []
    for f in sorted(sample_files(), key=lambda f: city_of(f)):
        want += [[city_of(f), f.name, x["sheet"], x["cell"], x["field"], x["value"], x["message"],
                  SEV[x["severity"]], x["rule"]] for x in validate_json(f)]
    for r in rows:         # a long 当前值 (企业简介) is shown by its first 80 characters and its length
        v = next(w[5] for w in want if w[:5] == r[1:6] and w[6] == r[7])
        if len(v) > 80:
            assert r[6].startswith(v[:80]) and f"共{len(v)}字" in r[6]
            r[6] = v
    assert [r[1:10] for r in rows] == want
    assert {r[8] for r in rows} == {"错误", "警告"}
    ws = openpyxl.load_workbook(out)["问题清单"]
    assert ws.auto_filter.ref.startswith("A3:J")                     # each city's list one filter away
    # one workbook per city with errors, the same rows, and their paths in the JSON
    bad = {c["city"] for c in payload["cities"] if c["errors"]}
    assert {i["city"] for i in payload["issues"]} == bad
    for i in payload["issues"]:
        mine = issue_rows(Path(i["path"]))
        assert [r[1:] for r in mine] == [r[1:] for r in issue_rows(out) if r[1] == i["city"]]
        assert sum(1 for r in mine if r[8] == "错误") == i["errors"]


def test_issues_dir_never_destroys_a_file_that_is_not_ours(tmp_path):
    from xjr_excel.errors import OutputExists
    folder = tmp_path / "lists"
    folder.mkdir()
    theirs = folder / "常州市-问题清单.xlsx"
    theirs.write_bytes(b"the official's own notes")
    with pytest.raises(OutputExists):
        consolidate([str(f) for f in sample_files()], tmp_path / "p.xlsx", province=PROVINCE, jobs=1,
                    progress=False, issues_dir=folder)
    assert theirs.read_bytes() == b"the official's own notes"
    assert not (tmp_path / "p.xlsx").exists()          # refused before anything was written
    # our own lists are replaced on the next run; an inbox holding them is still a clean inbox
    import shutil
    theirs.unlink()
    for f in sample_files():
        shutil.copy2(f, folder / f.name)
    p1 = consolidate([folder], tmp_path / "p.xlsx", province=PROVINCE, jobs=1, progress=False, issues_dir=folder)
    p2 = consolidate([folder], tmp_path / "p.xlsx", province=PROVINCE, jobs=1, progress=False, issues_dir=folder)
    assert [i["path"] for i in p1["issues"]] == [i["path"] for i in p2["issues"]] != []
    assert all(Path(i["path"]).parent == folder for i in p2["issues"])
    assert p2["skipped"] == [] and p2["cities"] == p1["cities"]


# ------------------------------------------------------------------ 文字摘要

def test_summary_numbers_are_the_tables_numbers(merged):
    out, payload = merged
    text = summary_text(out)
    g = stats_grid(out)
    h1, r1 = block_rows(g, "一、")
    tot = dict(zip(h1, r1["全省合计"]))
    cities = [c for c in r1 if c != "全省合计"]
    assert re.search(r"共收到(\d+)个市", text).group(1) == str(len(cities))
    assert re.search(r"附1名单共(\d+)家", text).group(1) == str(int(tot["重点“小巨人”企业（附1）"]))
    assert re.search(r"补短板）(\d+)家", text).group(1) == str(int(tot["★企业（附1）"]))
    assert re.search(r"示范平台(\d+)个", text).group(1) == str(int(tot["公共服务示范平台（附2）"]))
    for block in ("二、", "三、"):
        h, r = block_rows(g, block)
        t = dict(zip(h, r["全省合计"]))
        assert re.search(r"按附3所填(\d+)家", text).group(1) == str(int(t["附3企业"]))
        for k, v in t.items():
            if k not in ("城市", "附3企业", "非“四基”") and v:
                assert f"{k}{int(v)}家" in text, (block, k, v)
    h2, r2 = block_rows(g, "二、")
    t2 = dict(zip(h2, r2["全省合计"]))
    four = int(sum(v for k, v in t2.items() if k not in ("城市", "附3企业", "非“四基”")))
    assert f"重点领域的{four}家" in text and f"非“四基”{int(t2['非“四基”'])}家" in text
    # which cities are clean, which must correct how many errors
    for c in cities:
        row = dict(zip(h1, r1[c]))
        if row["状态"] == "合格":
            assert re.search(rf"{c}[^；。]*未发现错误", text), c
        else:
            assert f"{c}{int(row['错误'])}个错误" in text, c
    assert text == payload["province"]["summary"]


# ------------------------------------------------------------------ --department, --strict

def test_department_on_every_list_and_strict_in_plain_words(merged, tmp_path):
    out, _ = merged
    for sheet in ("附1", "附2"):
        assert f"省级中小企业主管部门：{DEPARTMENT}（盖章）" in [r[0] for r in grid(out, sheet)], sheet
    wb = openpyxl.load_workbook(out, read_only=True)
    for sheet in [n for n in wb.sheetnames if n.startswith(("附3", "附4", "附5"))]:
        assert any(f"省级中小企业主管部门：{DEPARTMENT}" in str(r[0]) for r in grid(out, sheet)[:4]), sheet
    strict = tmp_path / "strict.xlsx"
    payload = consolidate([str(f) for f in sample_files()], strict, province=PROVINCE, jobs=1, progress=False,
                          strict=True)
    bad = [c["city"] for c in payload["cities"] if c["status"] == "有错误"]
    words = "".join(str(r[1]) for r in grid(strict, "统计")[:12])
    assert "只纳入没有错误的城市" in words and all(c in words for c in bad) and "未列入附1至附5" in words
    # the CLI takes both
    out2 = tmp_path / "cli.xlsx"
    assert cli.main(["consolidate", *map(str, sample_files()), "-o", str(out2), "--province", PROVINCE,
                     "--department", DEPARTMENT, "--strict", "--jobs", "1"]) == 1
    assert f"省级中小企业主管部门：{DEPARTMENT}（盖章）" in [r[0] for r in grid(out2, "附1")]


# ------------------------------------------------------------------ charts

def test_charts_read_back_over_the_tables(merged):
    out, _ = merged
    ws = openpyxl.load_workbook(out)["统计"]
    charts = ws._charts
    assert len(charts) == 3
    values = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row}

    def cells(ref: str) -> list:
        m = re.fullmatch(r"'统计'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", ref)
        from openpyxl.utils import column_index_from_string as ci
        c0, r0, c1, r1 = ci(m.group(1)), int(m.group(2)), ci(m.group(3)), int(m.group(4))
        return [values.get((r, c)) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    per_city = charts[0]
    h1, r1 = block_rows(stats_grid(out), "一、")
    cats = cells(per_city.series[0].cat.strRef.f if per_city.series[0].cat.strRef else per_city.series[0].cat.numRef.f)
    assert cats == [c for c in r1 if c != "全省合计"]
    got = [cells(s.val.numRef.f) for s in per_city.series]
    assert got == [[r1[c][h1.index(k)] for c in cats] for k in ("重点“小巨人”企业（附1）", "★企业（附1）")]
    for chart, block in ((charts[1], "二、"), (charts[2], "三、")):
        h, r = block_rows(stats_grid(out), block)
        s = chart.series[0]
        cat = cells(s.cat.strRef.f if s.cat.strRef else s.cat.numRef.f)
        assert dict(zip(cat, cells(s.val.numRef.f))) == {k: r["全省合计"][h.index(k)] for k in cat}
        assert set(cat) == set(h[2:]), block


# ------------------------------------------------------------------ printed: order, no key-only page, charts

@pytest.mark.slow
def test_stats_prints_in_reading_order_with_charts(merged, tmp_path):
    import office as render
    from printed import printed_pages, sheet_pages
    out, payload = merged
    # the block titles as the sheet holds them: 一 … 七, each 「（续）」 right after its block
    titles = [str(r[1]) for r in stats_grid(out) if re.match(r"[一二三四五六七八九]、", str(r[1]))]
    bases = [t.removesuffix("（续）") for t in titles]
    firsts = [b[0] for i, b in enumerate(bases) if i == 0 or bases[i - 1] != b]
    assert firsts[:7] == list("一二三四五六七") and len(firsts) == len(set(firsts)), titles
    assert any(t.endswith("（续）") for t in titles), "the samples' wide blocks continue"
    # printed in that order: each title found after the one before, page after page
    pages = sheet_pages(printed_pages(render.convert(out, tmp_path)), "统计")
    text = "".join(p.text for p in pages)
    pos = 0
    for t in titles:
        at = text.find(t.replace(" ", ""), pos)
        assert at >= 0, (t, text[pos:pos + 200])
        pos = at + 1
    # no page holds only the 城市 column: every page shows more than city names and its footer
    cities = [c["city"] for c in payload["cities"]] + ["城市", "全省合计"]
    for p in pages:
        rest = p.text
        for w in cities + ["统计", "第", "页", "共"]:
            rest = rest.replace(w, "")
        assert len(re.sub(r"[\d\s]", "", rest)) > 20, (p.number, p.text[:200])
    # LibreOffice drew the charts: their titles are visible ink, after the tables
    for title in ("各市重点企业数与★企业数", "全省按“四基”重点领域", "全省按企业规模"):
        assert title in text.replace(" ", ""), title
    assert text.index("七、") < text.index("九、图表")
