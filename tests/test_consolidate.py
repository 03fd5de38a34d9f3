"""xjr consolidate: the provincial merge as the provincial official would check it.

The folder under test holds the committed samples plus what arrives in real mail:
a truncated workbook (泰州市.xlsx), an Excel lock file (~$南京市.xlsx), a text file,
and 南京市 sent twice (the second copy with a later 填报日期 and one corrected number).

Totals are checked against sums computed here straight from the city files with
python-calamine and the seed's header texts — not with our reader.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import office as render
from xjr_excel.province.consolidate import consolidate, exit_code
from xjr_excel.province.book import RUN_TIME_CELL

pytestmark = pytest.mark.slow      # subprocesses / LibreOffice / process pools: `make test-fast` skips these

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
PROVINCE = "江苏省"
NEWER_NANJING = "南京市（第二次报送）.xlsx"
BROKEN = "泰州市.xlsx"
ENCRYPTED = "盐城市.xlsx"
WRONG_TEMPLATE = "企业统计数据.xlsx"
LOCK = "~$南京市.xlsx"
PATENTS_I0 = "有效发明专利（个）\n实施期初始值"


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.iterdir() if p.suffix in (".xlsx", ".xlsm") and not p.name.startswith("~$"))


# --------------------------------------------------------------------------- independent reading (calamine)

def squash(v) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v if v is not None else "")))


def number(v) -> float:
    if v is None or v == "":
        return 0
    if isinstance(v, (int, float)):
        return v
    return float(squash(v).replace(",", ""))


def sheet_grid(path: Path, label: str) -> list[list]:
    """The sheet called 附N or 附件N (cities rename them)."""
    wb = CalamineWorkbook.from_path(str(path))
    digit = label[-1]
    name = next(n for n in wb.sheet_names if squash(n) in (f"附{digit}", f"附件{digit}", f"附表{digit}"))
    return wb.get_sheet_by_name(name).to_python()


def records(path: Path, label: str, key_header: str) -> list[dict]:
    """Rows under the header row that has ``key_header``; keys are squashed header texts."""
    grid = sheet_grid(path, label)
    h = next(i for i, row in enumerate(grid) if any(squash(c) == squash(key_header) for c in row))
    headers = [squash(c) for c in grid[h]]
    out = []
    for row in grid[h + 1:]:
        first = squash(row[0]) if row else ""
        if first.startswith(("注", "说明")):
            break
        rec = {headers[i]: row[i] for i in range(min(len(row), len(headers))) if headers[i]}
        if any(squash(v) for k, v in rec.items() if k != "序号"):
            out.append(rec)
    return out


def city_of(path: Path) -> str:
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("封面").to_python()
    return next(squash(r[1]) for r in grid if r and squash(r[0]) == "城市")


def independent_totals(files: list[Path]) -> dict:
    tot = Counter()
    per_city = {}
    for f in files:
        c = Counter()
        a1 = records(f, "附1", "序号")
        c["enterprises"] = sum(1 for r in a1 if squash(r.get(squash("企业名称\n（须与工业和信息化部公布的名称一致）"))))
        c["platforms"] = len(records(f, "附2", "序号"))
        starred = set()
        for r in records(f, "附3", "统一社会信用代码"):
            gap, short = squash(r.get("★是否填补国内或国际空白")), squash(r.get("★是否关键领域补短板"))
            if (gap not in ("", "否")) or short == "是":
                starred.add(squash(r.get("企业名称")))
            c["a3"] += 1
            c["size:" + squash(r.get("企业规模"))] += 1
            if squash(r.get("是否属于《工业“四基”发展目录》所列重点领域")) == "是":
                c["four_base:" + squash(r.get("“四基”具体类别"))] += 1
        for r in records(f, "附4", "企业名称"):
            for k, v in r.items():
                # count indicators are the columns whose unit is （个） or （项） (squashed: NFKC brackets)
                m = re.match(r"(.+\([个项]\))(实施期初始值|实施期满一年目标|实施期满两年目标)$", k)
                if m:
                    c[f"sum:{m.group(1)}:{m.group(2)}"] += number(v)
        # ★ is counted where 全省附1 shows it: the 附1 rows whose enterprise 附3 marks ★
        c["star"] = sum(1 for r in a1 if squash(r.get(squash("企业名称\n（须与工业和信息化部公布的名称一致）"))) in starred)
        per_city[city_of(f)] = c
        tot.update(c)
    return {"total": tot, "cities": per_city}


def output_grid(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def block_rows(grid: list[list], title_start: str) -> tuple[list[str], dict[str, list]]:
    """One block of the 统计 sheet, its 「（续）」 parts joined: headers and rows by city (incl. 全省合计)."""
    starts = [k for k, r in enumerate(grid) if str(r[1]).startswith(title_start)]    # titles sit in B
    headers, rows = ["城市"], {}
    for i in starts:
        part = [str(c) for c in grid[i + 1]]
        width = next((j for j in range(len(part), 0, -1) if part[j - 1]), 1)
        headers += part[1:width]
        for r in grid[i + 2:]:
            if not r or r[0] == "":
                break
            rows.setdefault(r[0], [r[0]]).extend(r[1:width])
            if r[0] == "全省合计":
                break
    return headers, rows


# --------------------------------------------------------------------------- the folder of mail

def edit_workbook(src: Path, dst: Path, change) -> None:
    wb = openpyxl.load_workbook(src, keep_vba=src.suffix == ".xlsm")
    change(wb)
    wb.save(dst)


def cover_cell(wb, label: str):
    ws = wb["封面"]
    for row in ws.iter_rows(max_col=2):
        if row[0].value == label:
            return row[1]
    raise KeyError(label)


def header_column(ws, header: str) -> tuple[int, int]:
    """(header row, column) of a header cell."""
    for row in ws.iter_rows(max_row=12):
        for c in row:
            if isinstance(c.value, str) and squash(c.value) == squash(header):
                return c.row, c.column
    raise KeyError(header)


def newer_nanjing(src: Path, dst: Path) -> None:
    """The same city again, filled in later, with one number corrected (+100 patents, first enterprise)."""
    def change(wb):
        c = cover_cell(wb, "填报日期")
        c.value = dt.datetime(2026, 6, 30)
        ws = wb["附4"]
        r, col = header_column(ws, PATENTS_I0)
        ws.cell(r + 1, col).value = number(ws.cell(r + 1, col).value) + 100
    edit_workbook(src, dst, change)


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("mail")
    for f in sample_files():
        shutil.copy2(f, d / f.name)
    newer_nanjing(SAMPLES / "南京市.xlsx", d / NEWER_NANJING)
    data = (SAMPLES / "南京市.xlsx").read_bytes()
    (d / BROKEN).write_bytes(data[: len(data) // 2])          # a truncated e-mail attachment
    (d / LOCK).write_bytes(b"\x0bzhang san  " + b"\x00" * 40)  # what Excel leaves while a file is open
    (d / "说明.txt").write_text("各市材料已收齐。", encoding="utf-8")
    from msoffcrypto.format.ooxml import OOXMLFile
    with open(SAMPLES / "常州市.xlsx", "rb") as fin, open(d / ENCRYPTED, "wb") as fout:
        OOXMLFile(fin).encrypt("1234", fout)                    # sent with an open password
    wb = openpyxl.Workbook()
    wb.active.append(["企业名称", "营业收入"])
    wb.active.append(["某某科技有限公司", 1200])
    wb.save(d / WRONG_TEMPLATE)                                 # somebody's own table, not the template
    return d


@pytest.fixture(scope="module")
def merged(mailbox, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "江苏省汇总.xlsx"
    payload = consolidate([mailbox], out, province=PROVINCE, jobs=2, progress=False)
    return out, payload


def used_files(mailbox: Path) -> list[Path]:
    """What should be merged: every sample except the older 南京市, plus the newer one."""
    return [mailbox / f.name for f in sample_files() if f.name != "南京市.xlsx"] + [mailbox / NEWER_NANJING]


# --------------------------------------------------------------------------- tests

def test_broken_lock_and_duplicate_city_are_reported(mailbox, merged):
    out, payload = merged
    skipped = {Path(s["file"]).name: s["reason"] for s in payload["skipped"]}
    assert set(skipped) == {BROKEN, LOCK, "说明.txt", "南京市.xlsx", ENCRYPTED, WRONG_TEMPLATE}
    assert "锁定文件" in skipped[LOCK]
    assert "加密" in skipped[ENCRYPTED] or "密码" in skipped[ENCRYPTED]
    assert "模板" in skipped[WRONG_TEMPLATE]
    # a text file in the inbox is plainly not a submission: listed as ignored, not a reason to exit 1
    assert "已忽略" in skipped["说明.txt"]
    assert next(s["code"] for s in payload["skipped"] if s["file"].endswith("说明.txt")) == "XJR-I-IGNORED"
    assert NEWER_NANJING in skipped["南京市.xlsx"] and "填报日期" in skipped["南京市.xlsx"]
    # every reason says what to do next (请…), or that nothing needs doing (无需处理)
    assert [n for n, r in skipped.items() if "请" not in r and "无需处理" not in r] == []
    assert skipped[BROKEN]            # the reader's Chinese reason (damaged / not a workbook)
    assert re.search(r"[\u4e00-\u9fff]", skipped[BROKEN])
    # the broken file's city is listed as unreadable, so the official asks again
    cities = {c["city"]: c for c in payload["cities"]}
    assert cities["泰州市"]["status"] == "无法读取" and cities["泰州市"]["enterprises"] == 0
    assert cities["盐城市"]["status"] == "无法读取"
    assert cities["南京市"]["file"] == NEWER_NANJING
    # every other city is merged, under the city its cover names
    assert {c for c, v in cities.items() if v["status"] != "无法读取"} == {city_of(f) for f in used_files(mailbox)}
    assert exit_code(payload) == 1
    # 合并记录 names every file with its SHA-256
    grid = output_grid(out, "合并记录")
    hdr = next(i for i, r in enumerate(grid) if r[0] == "序号")
    names = {r[1]: r for r in grid[hdr + 1:] if r[1]}
    assert set(names) == {p.name for p in mailbox.iterdir()}
    import hashlib
    for p in mailbox.iterdir():
        assert names[p.name][2] == hashlib.sha256(p.read_bytes()).hexdigest()


def test_totals_equal_independent_sums(mailbox, merged):
    out, payload = merged
    expect = independent_totals(used_files(mailbox))
    tot, prov = expect["total"], payload["province"]
    assert prov["enterprises"] == tot["enterprises"] > 0
    assert prov["platforms"] == tot["platforms"] > 0
    assert prov["star"] == tot["star"] > 0
    assert prov["by_size"] == {k[5:]: v for k, v in tot.items() if k.startswith("size:") and v}
    four_base = {squash(k): v for k, v in prov["by_four_base"].items()}
    for k, v in tot.items():
        if k.startswith("four_base:"):
            assert four_base[k[10:] or "未填类别"] == v
    periods = {"实施期初始值": "i0", "实施期满一年目标": "y1", "实施期满两年目标": "y2"}
    sums = {squash(v["indicator"]): v for v in prov["indicator_sums"].values()}
    checked = 0
    for k, v in tot.items():
        if k.startswith("sum:"):
            _, short, period = k.split(":")
            assert sums[short][periods[period]] == v, k
            checked += 1
    assert checked == 18          # 6 count indicators × 3 periods
    # per city, in the JSON and in the workbook's 统计 sheet (read back with calamine)
    grid = output_grid(out, "统计")
    headers, rows = block_rows(grid, "一、")
    col = {h: i for i, h in enumerate(headers)}
    for city, c in expect["cities"].items():
        j = next(x for x in payload["cities"] if x["city"] == city)
        assert (j["enterprises"], j["platforms"], j["star"]) == (c["enterprises"], c["platforms"], c["star"]), city
        row = rows[city]
        assert row[col["重点“小巨人”企业（附1）"]] == c["enterprises"]
        assert row[col["★企业（附1）"]] == c["star"]
        assert row[col["公共服务示范平台（附2）"]] == c["platforms"]
    total = rows["全省合计"]
    assert total[col["重点“小巨人”企业（附1）"]] == tot["enterprises"]
    assert total[col["★企业（附1）"]] == tot["star"]
    assert total[col["错误"]] == sum(c["errors"] for c in payload["cities"])
    # the province total row of the 附4 block equals the independent sums
    headers, rows = block_rows(grid, "六、")
    assert len(headers) == 1 + 18
    for i, h in enumerate(headers[1:], start=1):
        short, period = h.split("\n")
        assert rows["全省合计"][i] == tot[f"sum:{squash(short)}:{period}"], h
    # the corrected number of the newer 南京市 file is in, the old one's is not
    nj_new = independent_totals([mailbox / NEWER_NANJING])["total"]
    nj_old = independent_totals([mailbox / "南京市.xlsx"])["total"]
    key = f"sum:{squash(PATENTS_I0.split(chr(10))[0])}:实施期初始值"
    assert nj_new[key] == nj_old[key] + 100
    assert rows["南京市"][headers.index(PATENTS_I0)] == nj_new[key]


def test_nothing_else_is_lost(mailbox, merged):
    """Every record of every used city is in the merged sheets, with its source file, sheet and row."""
    out, _ = merged
    used = used_files(mailbox)
    for label, sheet, key in (("附1", "附1", "序号"), ("附3", "附3", "统一社会信用代码")):
        grid = output_grid(out, sheet)
        h = next(i for i, r in enumerate(grid) if "市" in r and "来源文件" in r)
        hdr = grid[h]
        name_col = next(i for i, c in enumerate(hdr) if str(c).startswith("企业名称"))
        got = Counter((r[hdr.index("市")], squash(r[name_col]), r[hdr.index("来源文件")])
                      for r in grid[h + 1:] if r[hdr.index("来源文件")])
        want = Counter()
        for f in used:
            for r in records(f, label, key):
                name = next(v for k, v in r.items() if k.startswith("企业名称"))
                want[(city_of(f), squash(name), f.name)] += 1
        assert got == want, label
    # source rows point at the city's sheet row that holds the record
    grid = output_grid(out, "附3")
    h = next(i for i, r in enumerate(grid) if "来源行" in r)
    hdr = grid[h]
    for r in grid[h + 1:h + 6]:
        src = sheet_grid(mailbox / r[hdr.index("来源文件")], "附3")
        row = src[int(r[hdr.index("来源行")]) - 1]
        assert squash(r[hdr.index("企业名称")]) in [squash(v) for v in row]


def test_province_lists_star_first_renumbered(merged):
    out, payload = merged
    grid = output_grid(out, "附1")
    assert grid[1][0] == f"{PROVINCE}第{payload['province']['batch']}批重点“小巨人”企业名单汇总表"
    assert grid[2][0] == "省级中小企业主管部门：（盖章）"
    h = next(i for i, r in enumerate(grid) if r[0] == "序号")
    rows = [r for r in grid[h + 1:] if isinstance(r[0], (int, float)) and r[0] != ""]
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
    stars = [r[4] == "★" for r in rows]
    assert stars == sorted(stars, reverse=True) and any(stars) and not all(stars)
    assert len(rows) == payload["province"]["enterprises"]
    # print-ready: A4, header row repeated, print area = the official columns (not the source columns)
    ws = openpyxl.load_workbook(out)["附1"]
    assert ws.page_setup.paperSize == 9 and ws.print_title_rows == "$4:$4"
    assert ws.print_area == f"'附1'!$A$1:$E${h + 2 + len(rows)}"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1


def test_duplicates_across_cities(tmp_path):
    """The same enterprise (credit code, or the name written with other brackets/spaces) in two cities."""
    src = SAMPLES / "南京市.xlsx"
    other = SAMPLES / "无锡市.xlsx"
    a3 = records(src, "附3", "统一社会信用代码")
    name0, code0 = a3[0]["企业名称"], a3[0]["统一社会信用代码"]
    name1 = a3[1]["企业名称"]
    shutil.copy2(src, tmp_path / src.name)

    def change(wb):
        ws = wb["附3"]
        r, c_name = header_column(ws, "企业名称")
        _, c_code = header_column(ws, "统一社会信用代码")
        ws.cell(r + 1, c_code).value = code0              # same code, different name
        ws.cell(r + 2, c_name).value = " " + name1.replace("有限", " 有限") + " "   # same name, messier
    edit_workbook(other, tmp_path / other.name, change)
    out = tmp_path / "out.xlsx"
    payload = consolidate([tmp_path], out, province=PROVINCE, jobs=1, progress=False)
    dups = [d for d in payload["duplicates"] if d["scope"] == "多个城市间"]
    by_match = {d["match"]: d for d in dups}
    assert len(dups) == 2
    assert set(by_match["统一社会信用代码"]["cities"]) == {"南京市", "无锡市"}
    assert by_match["统一社会信用代码"]["credit_code"] == code0
    assert set(by_match["企业名称"]["cities"]) == {"南京市", "无锡市"}
    grid = output_grid(out, "重复")
    body = [r for r in grid if isinstance(r[0], (int, float)) and r[0] != "" and r[1] == "多个城市间"]
    assert {r[5] for r in body} == {"南京市", "无锡市"}
    assert all(r[6] in ("南京市", "无锡市") and r[6] != r[5] for r in body)   # the other city is named
    assert any(squash(r[3]) == squash(name0) for r in body)


def all_cells(path: Path) -> dict[str, list[list]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def test_idempotent_same_inputs_same_cells(mailbox, merged, tmp_path):
    """Merging twice gives the same value in every cell of every sheet — except the run time in
    合并记录!B2, the only cell allowed to differ."""
    first, _ = merged
    second = tmp_path / "again.xlsx"
    consolidate([mailbox], second, province=PROVINCE, jobs=1, progress=False,
                run_time=dt.datetime(2030, 1, 1, 8, 0))
    a, b = all_cells(first), all_cells(second)
    assert list(a) == list(b)
    rt = openpyxl.utils.cell.coordinate_to_tuple(RUN_TIME_CELL)
    assert a["合并记录"][rt[0] - 1][rt[1] - 1] != b["合并记录"][rt[0] - 1][rt[1] - 1] == "2030-01-01 08:00:00"
    b["合并记录"][rt[0] - 1][rt[1] - 1] = a["合并记录"][rt[0] - 1][rt[1] - 1]
    for sheet in a:
        assert a[sheet] == b[sheet], sheet


def test_replacing_one_city_changes_only_its_rows(tmp_path):
    """A corrected 苏州市 file (one credit code fixed, one number changed): only 苏州市's rows, the
    province totals and 合并记录 (its SHA-256, counts, run time) change."""
    from samples_src.codes import credit_code
    before_dir, after_dir = tmp_path / "before", tmp_path / "after"
    before_dir.mkdir()
    for f in sample_files():
        shutil.copy2(f, before_dir / f.name)
    shutil.copytree(before_dir, after_dir)
    bad = "苏州市.xlsx"
    assert bad in {f.name for f in sample_files()}

    def correct(wb):
        ws = wb["附3"]
        r, c = header_column(ws, "统一社会信用代码")
        ws.cell(r + 2, c).value = credit_code(7, area="3205")
        ws4 = wb["附4"]
        r4, c4 = header_column(ws4, PATENTS_I0)
        ws4.cell(r4 + 1, c4).value = number(ws4.cell(r4 + 1, c4).value) + 1
    edit_workbook(before_dir / bad, after_dir / bad, correct)
    t = dt.datetime(2030, 1, 1)
    p1 = consolidate([before_dir], tmp_path / "p1.xlsx", province=PROVINCE, jobs=1, progress=False, run_time=t)
    p2 = consolidate([after_dir], tmp_path / "p2.xlsx", province=PROVINCE, jobs=1, progress=False, run_time=t)
    c1 = {c["city"]: c for c in p1["cities"]}
    c2 = {c["city"]: c for c in p2["cities"]}
    assert c2["苏州市"]["errors"] == c1["苏州市"]["errors"] - 1
    assert {k: v for k, v in c1.items() if k != "苏州市"} == {k: v for k, v in c2.items() if k != "苏州市"}
    a, b = all_cells(tmp_path / "p1.xlsx"), all_cells(tmp_path / "p2.xlsx")
    changed = Counter()
    # 问题清单: 苏州市 has one finding fewer; every other city's rows are the same, at the same place
    issues_a, issues_b = a.pop("问题清单"), b.pop("问题清单")
    assert len(issues_b) == len(issues_a) - 1
    assert [r for r in issues_a[3:] if r[1] != "苏州市"] == [r for r in issues_b[3:] if r[1] != "苏州市"]
    for sheet in a:
        assert len(a[sheet]) == len(b[sheet]), sheet
        for ra, rb in zip(a[sheet], b[sheet]):
            if ra == rb:
                continue
            if sheet == "统计":
                # a city's row, the totals, or the 文字摘要 (which names 苏州市's errors)
                assert ra[0] in ("苏州市", "全省合计") or "苏州市" in str(ra[1]), (sheet, ra, rb)
            elif sheet == "合并记录":
                assert "苏州市" in ra, (sheet, ra, rb)
            else:
                assert "苏州市" in ra and "苏州市" in rb, (sheet, ra, rb)
            changed[sheet] += 1
    assert changed["附3"] == 1 and changed["附4"] == 1 and changed["合并记录"] == 1
    assert changed["附1"] == 0 and changed["附2"] == 0


def test_strict_leaves_cities_with_errors_out_of_lists(mailbox, tmp_path):
    out = tmp_path / "strict.xlsx"
    payload = consolidate([mailbox], out, province=PROVINCE, strict=True, jobs=1, progress=False)
    bad = {c["city"] for c in payload["cities"] if c["status"] == "有错误"}
    good = {c["city"] for c in payload["cities"] if c["status"] == "合格"}
    assert bad and good
    grid = output_grid(out, "附1")
    h = next(i for i, r in enumerate(grid) if r[0] == "序号")
    cities_in_list = {r[1] for r in grid[h + 1:] if isinstance(r[0], (int, float)) and r[0] != ""}
    assert cities_in_list == good
    _, rows = block_rows(output_grid(out, "统计"), "一、")
    assert bad <= set(rows)                                   # still reported
    assert payload["province"]["enterprises"] == sum(c["enterprises"] for c in payload["cities"]
                                                     if c["city"] in good)


def test_json_shape_and_exit_code(mailbox, tmp_path):
    out = tmp_path / "cli.xlsx"
    proc = subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", "consolidate", str(mailbox), "-o", str(out),
                           "--province", PROVINCE, "--json", "--jobs", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1, proc.stderr          # some cities have errors, some files skipped
    data = json.loads(proc.stdout)
    assert set(data) == {"cities", "province", "duplicates", "mismatches", "skipped", "issues"}
    assert data["issues"] == []                       # no --issues-dir: no 问题清单 workbooks
    for c in data["cities"]:
        assert set(c) == {"city", "file", "status", "enterprises", "platforms", "star", "errors", "warnings"}
        assert c["status"] in ("合格", "有错误", "无法读取")
    from xjr_excel.errors import REFUSALS
    codes = {c.code for c in REFUSALS.values()}
    for s in data["skipped"]:
        assert set(s) == {"file", "reason", "code"} and s["code"] in codes, s     # why, for machines too
    assert data["province"]["province"] == PROVINCE and data["province"]["enterprises"] > 0
    assert out.exists()


def test_exit_codes_all_clean_and_nothing_readable(tmp_path):
    clean = [f for f in sample_files() if city_of(f) in ("南京市",)]
    d = tmp_path / "clean"
    d.mkdir()
    for f in clean:
        shutil.copy2(f, d / f.name)
    p = consolidate([d], tmp_path / "ok.xlsx", province=PROVINCE, jobs=1, progress=False)
    assert [c["status"] for c in p["cities"]] == ["合格"] and exit_code(p) == 0
    p = consolidate([d, tmp_path / "没有这个文件.xlsx"], tmp_path / "ok.xlsx", province=PROVINCE, jobs=1, progress=False)
    assert "找不到" in p["skipped"][0]["reason"] and exit_code(p) == 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "镇江市.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    out = tmp_path / "none.xlsx"
    p = consolidate([bad], out, province=PROVINCE, jobs=1, progress=False)
    assert exit_code(p) == 2 and not out.exists() and p["skipped"][0]["file"].endswith("镇江市.xlsx")


INJECTED = {
    "segment": '=CONCAT("IN","JECTED")',
    "product_name": "+1+2",
    "legal_rep": "@SUM(1,1)",
    "intro": "-2+3 开头的简介",
}


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    """City text starting with = + - @ is written as text (string cells), and LibreOffice shows it as typed."""
    def change(wb):
        ws = wb["附3"]
        for header, value in (("具体细分领域名称", INJECTED["segment"]), ("主导产品名称", INJECTED["product_name"]),
                              ("法定代表人", INJECTED["legal_rep"]),
                              ("企业简介\n（不超过500字，另附页无效）", INJECTED["intro"])):
            r, c = header_column(ws, header)
            ws.cell(r + 1, c).value = value
            ws.cell(r + 1, c).data_type = "s"
    edit_workbook(SAMPLES / "南京市.xlsx", tmp_path / "南京市.xlsx", change)
    out = tmp_path / "inj.xlsx"
    consolidate([tmp_path / "南京市.xlsx"], out, province=PROVINCE, jobs=1, progress=False)
    ws = openpyxl.load_workbook(out)["附3"]
    found = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value in INJECTED.values():
                found[c.value] = c
    assert set(found) == set(INJECTED.values())
    for c in found.values():
        assert c.data_type == "s" and c.quotePrefix, c.coordinate
    # calamine sees the text too (a formula would come back as its cached value or empty)
    texts = {v for r in output_grid(out, "附3") for v in r}
    assert set(INJECTED.values()) <= texts
    # LibreOffice evaluates nothing: the PDF shows the text as typed
    pdf = render.convert(out, tmp_path / "pdf")
    text = render.pdf_text(pdf)
    assert 'CONCAT("IN","JECTED")' in text.replace(" ", "") or "=CONCAT" in text
    assert "INJECTED" not in text.replace('"JECTED"', "")


def test_output_opens_in_calamine_and_libreoffice(merged, tmp_path):
    out, payload = merged
    wb = CalamineWorkbook.from_path(str(out))
    assert wb.sheet_names[:3] == ["统计", "附1", "附2"] and "重复" in wb.sheet_names and "合并记录" in wb.sheet_names
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python()
    pdf = render.convert(out, tmp_path)          # fails (not skips) when LibreOffice is missing
    text = render.pdf_text(pdf)
    assert f"{PROVINCE}第" in text and "全省合计" in text and "省级中小企业主管部门" in text


def test_docs_pngs_regenerate(tmp_path):
    """docs/province_png.py renders 统计 and 附1 of the samples' merge to PNG."""
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "province_png.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "province-stats.png" in pngs and "province-a1.png" in pngs
    for p in tmp_path.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000


def test_earlier_provincial_output_in_the_folder_is_not_merged(merged, tmp_path):
    out, _ = merged
    shutil.copy2(SAMPLES / "南京市.xlsx", tmp_path / "南京市.xlsx")
    shutil.copy2(out, tmp_path / "江苏省汇总（上次）.xlsx")
    p = consolidate([tmp_path], tmp_path / "江苏省汇总.xlsx", province=PROVINCE, jobs=1, progress=False)
    assert [c["city"] for c in p["cities"]] == ["南京市"]
    assert "全省汇总" in p["skipped"][0]["reason"]
    # the output written into the input folder is not read back as an input on the next run
    p2 = consolidate([tmp_path], tmp_path / "江苏省汇总.xlsx", province=PROVINCE, jobs=1, progress=False)
    assert [Path(s["file"]).name for s in p2["skipped"]] == ["江苏省汇总（上次）.xlsx"]


def test_names_reference_is_used_for_every_city(tmp_path):
    """--names: a city whose enterprises are missing from the MIIT list gets names.not_published errors."""
    nj = records(SAMPLES / "南京市.xlsx", "附1", "序号")
    names = [next(v for k, v in r.items() if k.startswith("企业名称")) for r in nj]
    ref = tmp_path / "names.csv"
    ref.write_text("企业名称\n" + "\n".join(names[1:]), encoding="utf-8")     # the first one is not published
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy2(SAMPLES / "南京市.xlsx", d / "南京市.xlsx")
    without = consolidate([d], tmp_path / "a.xlsx", province=PROVINCE, jobs=1, progress=False)
    with_ref = consolidate([d], tmp_path / "b.xlsx", province=PROVINCE, names_path=str(ref), jobs=2,
                           progress=True)
    assert without["cities"][0]["status"] == "合格"
    assert with_ref["cities"][0]["status"] == "有错误"
    assert with_ref["cities"][0]["errors"] >= 1
