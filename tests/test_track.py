"""The tracking form (跟踪表): generated from each sample city, filled in, validated, annotated,
merged by the province, and validated through the ribbon (xlwings remote engine)."""
from __future__ import annotations

import json
import shutil
import sys
import unicodedata
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import ribbon_engine as E  # noqa: I001 - sets the xlwings licence key before xlwings is used
from conftest_template import ROOT, SAMPLES
from office import convert
from xjr_excel import ribbon
from xjr_excel.template import marks as M
from xjr_excel.annotate.backends import openpyxl_book as A
from xjr_excel.annotate import plan as P
from xjr_excel.cli.main import main as xjr
from xjr_excel.spec.definition import get_spec
from xjr_excel.track import met
from xjr_excel.track.source import from_submission
from xjr_excel.track.spec import RECORD_SHEET, TABLE, get_track_spec
from xjr_excel.track.template import build_tracking
from xjr_excel.findings import summary
from xjr_excel.validate.run import validate_file

sys.path.insert(0, str(ROOT / "samples_src"))
import generate_track as G  # noqa: E402

SPEC = get_spec()
TSPEC = get_track_spec()
TRACK = SAMPLES / "track"
MANIFEST = json.loads((ROOT / "samples_src" / "track_manifest.json").read_text(encoding="utf-8"))
SUBMISSIONS = sorted(p.name for p in SAMPLES.glob("*.xls*"))
SHEET = TSPEC.sheet(TABLE).name
COLS = G.columns(TSPEC)
FIRST = TSPEC.table(TABLE).header_row + 1
# The test's own statement of "met" (DOMAIN.md), not the package's: numbers actual ≥ target,
# choices by their order.
ORDER = {"执行标准达到国际/国家/行业标准": ["否", "是"], "数字化和工业设计赋能、云端迁移": ["否", "是"],
         "上市计划": ["无", "已递交申请书", "已进入辅导期"]}


def shown(v):
    """A number the user typed as text in the messy sample (「７８.５%」) as the number it means."""
    if isinstance(v, str):
        t = unicodedata.normalize("NFKC", v).replace(",", "").rstrip("%").strip()
        try:
            return float(t)
        except ValueError:
            return v
    return v


def same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) < 1e-9
    return a == b


def submission_a4(path) -> list[dict]:
    """附4 of a submission as the user sees it (openpyxl), by header text: name → {header: value}."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = next(w for w in wb.worksheets if w.title in ("附4", "附件4"))
    out = []
    for row in ws.iter_rows(min_row=7):
        if row[0].value:       # 0.85 in a cell formatted as % means 85
            out.append([c.value * 100 if isinstance(c.value, float) and "%" in c.number_format else c.value
                        for c in row])
    return out


@pytest.fixture(scope="module")
def blanks(tmp_path_factory):
    d = tmp_path_factory.mktemp("track")
    out = {}
    for name in SUBMISSIONS:
        target = d / f"{name}.track.xlsx"
        build_tracking(target, from_submission(SAMPLES / name, SPEC), 1, TSPEC)
        out[name] = target
    return out


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_generated_from_each_sample_city(blanks, name):
    path = blanks[name]
    a4 = submission_a4(SAMPLES / name)
    wb = openpyxl.load_workbook(path)
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"] == ["填报说明", "封面", SHEET]
    assert wb[RECORD_SHEET].sheet_state == "veryHidden"
    ws = wb[SHEET]
    assert ws.protection.sheet
    names = [ws.cell(r, COLS["name"]).value for r in range(FIRST, FIRST + len(a4))]
    assert names == [row[0] for row in a4]
    assert ws.cell(FIRST + len(a4), COLS["name"]).value is None
    # 附4 column order: name, then (i0, y1, y2) per indicator; the tracking sheet shows i0 and y1
    for i, ind in enumerate(SPEC.indicators):
        for k, row in enumerate(a4):
            r = FIRST + k
            assert same(ws.cell(r, COLS[f"{ind.key}_i0"]).value, shown(row[1 + 3 * i]))
            assert same(ws.cell(r, COLS[f"{ind.key}_target"]).value, shown(row[2 + 3 * i]))
            assert ws.cell(r, COLS[f"{ind.key}_i0"]).protection.locked
            assert not ws.cell(r, COLS[f"{ind.key}_actual"]).protection.locked
            assert ws.cell(r, COLS[f"{ind.key}_met"]).value.startswith("=IF(")
    assert not ws.cell(FIRST, COLS["reason"]).protection.locked
    assert ws.print_title_cols == "$A:$A" and str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    # a blank form: every 实际值 is reported missing, nothing else on the sheet
    _data, found = validate_file(path)
    on_sheet = [f for f in found if f.sheet == SHEET]
    assert {f.rule for f in on_sheet} == {"field.required"}
    assert len(on_sheet) == 13 * len(a4)
    cover = [f for f in found if f.sheet != SHEET]
    assert {(f.rule, f.field) for f in cover} == {("file.cover_missing", "填报日期")}


def test_period_two_takes_the_two_year_targets(tmp_path):
    src = from_submission(SAMPLES / "南京市.xlsx", SPEC)
    build_tracking(tmp_path / "t.xlsx", src, 2, TSPEC)
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")[SHEET]
    first = src.enterprises[0]
    assert ws.cell(FIRST, COLS["growth_target"]).value == first.values["growth_y2"]
    cover = openpyxl.load_workbook(tmp_path / "t.xlsx")["封面"]
    assert "满两年" in [c.value for row in cover.iter_rows() for c in row]


@pytest.mark.parametrize("entry", MANIFEST["files"], ids=lambda f: f["file"])
def test_every_planted_miss_is_found_at_its_cell(entry):
    _data, found = validate_file(TRACK / entry["file"])
    got = {(f.sheet, f.cell, f.rule, f.severity) for f in found}
    expected = {(e["sheet"], e["cell"], e["rule"], e["severity"]) for e in entry["expected_findings"]}
    assert got == expected
    assert entry["clean"] == (not found)


def test_the_generator_reproduces_the_answer_key(tmp_path):
    G.main([str(tmp_path)])
    fresh = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert fresh == MANIFEST
    rules = {e["rule"] for f in fresh["files"] for e in f["expected_findings"]}
    assert {"track.reason_missing", "track.condition_lost", "track.locked_changed", "field.required",
            "field.max"} <= rules


def _edit(src, dst, edits: dict[tuple[int, str], object]):
    wb = openpyxl.load_workbook(src)
    for (r, key), v in edits.items():
        wb[SHEET].cell(r, COLS[key], v)
    wb.save(dst)
    return dst


def test_changed_locked_cells_are_errors_naming_the_original(tmp_path):
    clean = TRACK / next(f["file"] for f in MANIFEST["files"] if f["city"] == "南京市")
    ws = openpyxl.load_workbook(clean)[SHEET]
    code = ws.cell(FIRST + 1, COLS["credit_code"]).value
    initial = ws.cell(FIRST + 2, COLS["patents_i0"]).value
    path = _edit(clean, tmp_path / "edited.xlsx", {(FIRST + 1, "credit_code"): "91320100MA1000001X",
                                                   (FIRST + 2, "patents_i0"): initial + 5})
    _d, found = validate_file(path)
    locked = {(f.cell, f.rule): f for f in found}
    c1 = f"{openpyxl.utils.get_column_letter(COLS['credit_code'])}{FIRST + 1}"
    c2 = f"{openpyxl.utils.get_column_letter(COLS['patents_i0'])}{FIRST + 2}"
    assert set(locked) == {(c1, "track.locked_changed"), (c2, "track.locked_changed")}
    assert code in locked[(c1, "track.locked_changed")].message
    assert f"生成时为“{initial}”" in locked[(c2, "track.locked_changed")].message


def test_removed_and_added_enterprises_and_a_lost_record(tmp_path):
    clean = TRACK / next(f["file"] for f in MANIFEST["files"] if f["city"] == "南京市")
    wb = openpyxl.load_workbook(clean)
    ws = wb[SHEET]
    last = FIRST + next(f["enterprises"] for f in MANIFEST["files"] if f["city"] == "南京市") - 1
    gone = ws.cell(FIRST + 3, 1).value
    for c in range(1, ws.max_column + 1):
        ws.cell(FIRST + 3, c).value = None
        ws.cell(last + 1, c).value = ws.cell(last, c).value
    ws.cell(last + 1, 1).value = "新增的企业有限公司"
    wb.save(tmp_path / "rows.xlsx")
    _d, found = validate_file(tmp_path / "rows.xlsx")
    rules = {(f.rule, f.cell) for f in found}
    assert ("track.enterprise_missing", f"A{FIRST + 3}") in rules
    assert ("track.enterprise_added", f"A{last + 1}") in rules
    assert any(gone in f.message for f in found if f.rule == "track.enterprise_missing")
    del wb[RECORD_SHEET]
    wb.save(tmp_path / "norecord.xlsx")
    _d, found = validate_file(tmp_path / "norecord.xlsx")
    assert "track.record_missing" in {f.rule for f in found}


def test_met_follows_the_policy():
    inds = {i.key: i for i in TSPEC.indicators}
    p = TSPEC.policy
    assert met.is_met(p, inds["patents"], 5, 5) and not met.is_met(p, inds["patents"], 5, 4)
    assert met.is_met(p, inds["growth"], -3, -2.5) and not met.is_met(p, inds["growth"], 10, 9.99)
    assert met.is_met(p, inds["digital"], "否", "否") and not met.is_met(p, inds["digital"], "是", "否")
    ipo = inds["ipo_plan"]
    assert met.is_met(p, ipo, "已递交申请书", "已进入辅导期（2027年3月）")
    assert not met.is_met(p, ipo, "已递交申请书", "无")
    assert met.is_met(p, ipo, "无", "无")
    assert met.is_met(p, inds["patents"], 5, None) is None


@pytest.mark.slow
def test_the_live_formula_agrees_with_the_validator_in_libreoffice(tmp_path):
    """LibreOffice recalculates every 完成 cell; each must equal the rule's verdict."""
    src = TRACK / next(f["file"] for f in MANIFEST["files"] if f["city"] == "苏州市")
    out = convert(src, tmp_path, "xlsx:Calc MS Excel 2007 XML")
    book = CalamineWorkbook.from_path(str(out))
    grid = book.get_sheet_by_name(SHEET).to_python()
    verdicts = []
    for row in grid[FIRST - 1:]:
        if not row[0]:
            continue
        for ind in TSPEC.indicators:
            target, actual = row[COLS[f"{ind.key}_target"] - 1], row[COLS[f"{ind.key}_actual"] - 1]
            want = met.is_met(TSPEC.policy, ind, target, actual)
            assert row[COLS[f"{ind.key}_met"] - 1] == {True: "是", False: "否"}[want], (ind.key, target, actual)
            verdicts.append(want)
    assert verdicts.count(False) >= 3
    _d, found = validate_file(out)          # LibreOffice's save validates the same way
    _d, before = validate_file(src)
    assert {(f.cell, f.rule) for f in found} == {(f.cell, f.rule) for f in before}


def _independent_counts(path):
    """Targets/met/missed of one tracking workbook, computed here from the cells (openpyxl)."""
    ws = openpyxl.load_workbook(path, data_only=True)[SHEET]
    shorts = {i.key: i.short for i in SPEC.indicators}
    n = {"targets": 0, "met": 0, "missed": 0, "enterprises": 0, "all_met": 0}
    for r in range(FIRST, ws.max_row + 1):
        if not ws.cell(r, 1).value:
            continue
        n["enterprises"] += 1
        every = True
        for key, short in shorts.items():
            t, a = ws.cell(r, COLS[f"{key}_target"]).value, ws.cell(r, COLS[f"{key}_actual"]).value
            if t is None:
                continue
            n["targets"] += 1
            if a is None:
                every = False
                continue
            if short in ORDER:
                ok = max(i for i, x in enumerate(ORDER[short]) if str(a).startswith(x)) >= ORDER[short].index(t)
            else:
                ok = a >= t
            n["met" if ok else "missed"] += 1
            every &= ok
        n["all_met"] += every
    return n


@pytest.mark.slow
def test_provincial_totals_equal_independent_sums(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in MANIFEST["files"]:
        shutil.copy(TRACK / f["file"], inbox / f["file"])
    out = tmp_path / "省汇总-完成情况.xlsx"
    from xjr_excel.province.consolidate import consolidate
    payload = consolidate([inbox], out, province="江苏省", jobs=1, progress=False)
    assert payload["form"] == "track"
    by_city = {c["city"]: c for c in payload["cities"]}
    total = {"targets": 0, "met": 0, "missed": 0, "enterprises": 0, "all_met": 0}
    for f in MANIFEST["files"]:
        mine = _independent_counts(inbox / f["file"])
        assert {k: by_city[f["city"]][k] for k in mine} == mine, f["city"]
        for k in total:
            total[k] += mine[k]
    assert {k: payload["province"][k] for k in total} == total
    assert total["missed"] > 0 and total["met"] > total["missed"]
    per_ind = payload["province"]["by_indicator"]
    assert sum(v["targets"] for v in per_ind.values()) == total["targets"]
    assert sum(v["missed"] for v in per_ind.values()) == total["missed"]
    # the sheets say the same
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["完成情况", "未完成清单", "风险名单", "合并记录"]
    summary_rows = [r for r in wb["完成情况"].iter_rows(values_only=True) if r[0] == "全省合计"]
    assert summary_rows[0][3:7] == (total["enterprises"], total["targets"], total["met"], total["missed"])
    misses = [r for r in wb["未完成清单"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert len(misses) == total["missed"]
    planted_risks = {(f["city"], e["cell"]) for f in MANIFEST["files"] for e in f["expected_findings"]
                     if e["rule"] == "track.condition_lost"}
    risks = [r for r in wb["风险名单"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert len(risks) == len(planted_risks) == payload["province"]["at_risk"]
    assert {(r[1], r[-1]) for r in risks} == {(c, int(cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
                                             for c, cell in planted_risks}


@pytest.mark.slow
def test_a_tracking_workbook_among_submissions_is_set_aside(tmp_path):
    from xjr_excel.province.consolidate import consolidate
    shutil.copy(SAMPLES / "南京市.xlsx", tmp_path / "南京市.xlsx")
    shutil.copy(TRACK / MANIFEST["files"][1]["file"], tmp_path / MANIFEST["files"][1]["file"])
    shutil.copy(SAMPLES / "常州市.xlsx", tmp_path / "常州市.xlsx")
    payload = consolidate([tmp_path], tmp_path / "out.xlsx", province="江苏省", jobs=1, progress=False)
    assert "form" not in payload
    reasons = {s["file"].split("/")[-1]: s["reason"] for s in payload["skipped"]}
    assert "跟踪表" in reasons[MANIFEST["files"][1]["file"]]


@pytest.mark.slow
def test_a_submission_among_tracking_workbooks_is_skipped_with_its_refusal_code(tmp_path, capsys):
    from xjr_excel.cli.consolidate_cmd import print_summary
    from xjr_excel.province.consolidate import consolidate
    for f in MANIFEST["files"]:
        shutil.copy(TRACK / f["file"], tmp_path / f["file"])
    shutil.copy(SAMPLES / "南京市.xlsx", tmp_path / "申报-南京市.xlsx")
    payload = consolidate([tmp_path], tmp_path / "out.xlsx", province="江苏省", jobs=1, progress=False)
    assert payload["form"] == "track"
    codes = {s["file"].split("/")[-1]: s.get("code") for s in payload["skipped"]}
    assert codes["申报-南京市.xlsx"] == "XJR-E-OTHER-FORM"
    assert all(codes.values()), codes          # every file not merged says which refusal it was
    print_summary(payload)                     # the one summary printer, with the tracking form's table
    out = capsys.readouterr().out
    assert "目标完成情况" in out and "未合并的文件：" in out and "申报-南京市.xlsx" in out


@pytest.mark.slow
def test_cli_track_writes_an_xlsm_with_the_ribbon_and_annotate_clear_round_trip(tmp_path, capsys):
    out = tmp_path / "扬州市-跟踪表.xlsm"
    assert xjr(["track", str(SAMPLES / "扬州市.xlsm"), "-o", str(out), "--period", "2"]) == 0
    assert "满两年" in capsys.readouterr().out
    with zipfile.ZipFile(out) as z:
        assert "xl/vbaProject.bin" in z.namelist() and "customUI/customUI14.xml" in z.namelist()
    wb = openpyxl.load_workbook(out, keep_vba=True)
    assert "xlwings.conf" in wb.sheetnames and RECORD_SHEET in wb.sheetnames
    # annotate the Suzhou sample (planted misses) and clear it again
    src = TRACK / next(f["file"] for f in MANIFEST["files"] if f["city"] == "苏州市")
    _d, found = validate_file(src)
    marked = tmp_path / "marked.xlsx"
    A.annotate_file(src, marked, found, TSPEC)
    codes = M.marked_cells(openpyxl.load_workbook(marked))[M.marks_sheet_name(TABLE)]
    assert set(codes) == {f.cell for f in found}
    ws = openpyxl.load_workbook(marked)[SHEET]
    assert all(ws[f.cell].comment is not None for f in found)
    assert ws.protection.sheet, "annotating keeps the sheet protected"
    cleared = tmp_path / "cleared.xlsx"
    A.clear_file(marked, cleared)
    wb = openpyxl.load_workbook(cleared)
    assert not any(M.marked_cells(wb).values())
    assert P.RESULTS_SHEET not in wb.sheetnames
    assert all(c.comment is None for row in wb[SHEET].iter_rows() for c in row)
    _d, again = validate_file(cleared)
    assert {(f.cell, f.rule) for f in again} == {(f.cell, f.rule) for f in found}


def _twin_cells(model: E.Model) -> dict[tuple[str, str], int]:
    twin = model.sheet(M.marks_sheet_name(TABLE))
    return {(SHEET, f"{openpyxl.utils.get_column_letter(c)}{r}"): v for (r, c), v in twin.cells.items()}


@pytest.mark.engine
@pytest.mark.parametrize("city", ["苏州市", "无锡市"])
def test_ribbon_validates_a_tracking_workbook_like_the_cli(city):
    src = TRACK / next(f["file"] for f in MANIFEST["files"] if f["city"] == city)
    _d, found = validate_file(src)
    model = E.from_file(src)
    book = E.open_book(model)
    result = ribbon.validate(book)
    after = E.apply(model, book.json()["actions"])
    on_sheet = {(f.sheet, f.cell) for f in found if f.sheet == SHEET}
    assert set(_twin_cells(after)) == on_sheet
    noted = {(s.name, a) for s in after.sheets for a in s.notes}
    assert {(f.sheet, f.cell) for f in found if f.cell} <= noted
    assert {k: v for k, v in result.items() if k != "notes_skipped"} == summary(found)
    rules_listed = {v for (r, c), v in after.sheet(P.RESULTS_SHEET).cells.items() if c == 7}
    assert {f.rule for f in found} <= rules_listed


@pytest.mark.slow
def test_split_from_a_provincial_merge_writes_what_each_city_submission_would(tmp_path):
    from xjr_excel.province.consolidate import consolidate
    prov = tmp_path / "江苏省汇总.xlsx"
    consolidate([SAMPLES], prov, province="江苏省", jobs=1, progress=False)
    assert xjr(["track", str(prov), "--split", str(tmp_path / "split"), "--period", "1"]) == 0
    split = sorted((tmp_path / "split").glob("*.xlsx"))
    assert [p.name.split("-")[0] for p in split] == sorted(n.split(".")[0] for n in SUBMISSIONS)
    for name in SUBMISSIONS:
        direct = tmp_path / f"direct-{name}.xlsx"
        build_tracking(direct, from_submission(SAMPLES / name, SPEC), 1, TSPEC)
        mine = next(p for p in split if p.name.startswith(name.split(".")[0]))
        a, b = (openpyxl.load_workbook(p)[SHEET] for p in (direct, mine))
        locked = [COLS["name"], COLS["credit_code"]] + [COLS[f"{i.key}_{x}"] for i in SPEC.indicators
                                                        for x in ("i0", "target")]
        for r in range(FIRST, a.max_row + 1):
            assert [a.cell(r, c).value for c in locked] == [b.cell(r, c).value for c in locked], (name, r)
    assert xjr(["track", str(SAMPLES / "南京市.xlsx"), "--split", str(tmp_path / "x"), "--period", "1"]) == 2


@pytest.mark.slow
def test_a_completion_cell_typed_over_is_an_error(tmp_path):
    src = TRACK / next(f["file"] for f in MANIFEST["files"] if f["city"] == "苏州市")
    out = convert(src, tmp_path, "xlsx:Calc MS Excel 2007 XML")     # cached 是/否 values
    wb = openpyxl.load_workbook(out)
    wb[SHEET].cell(FIRST, COLS["export_share_met"], "是")            # the planted miss, claimed met
    wb.save(tmp_path / "typed.xlsx")
    _d, found = validate_file(tmp_path / "typed.xlsx")
    cell = f"{openpyxl.utils.get_column_letter(COLS['export_share_met'])}{FIRST}"
    assert ("track.met_formula", cell) in {(f.rule, f.cell) for f in found}


@pytest.mark.slow
def test_docs_pngs_regenerate(tmp_path):
    """docs/track_png.py renders the marked 目标完成情况 and the provincial 完成情况."""
    import subprocess
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "track_png.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    for name in ("track-sheet.png", "track-province.png"):
        p = tmp_path / name
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000


@pytest.mark.slow
def test_spec_json_of_the_tracking_form(capsys):
    assert xjr(["spec", "--form", "track", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    (table,) = d["tables"]
    assert table["sheet"] == SHEET and len(table["columns"]) == 2 + 4 * 13 + 1
    ids = {r["id"] for r in d["rules"]}
    assert {"track.reason_missing", "track.condition_lost", "track.locked_changed", "field.required"} <= ids
    assert "a3.credit_code" not in ids


def test_a_changed_period_on_the_cover_is_an_error(tmp_path):
    src = TRACK / next(f["file"] for f in MANIFEST["files"] if f["city"] == "南京市")
    wb = openpyxl.load_workbook(src)
    cover = wb["封面"]
    row = next(r for r in range(1, cover.max_row + 1) if cover.cell(r, 1).value == "实施期")
    assert cover.cell(row, 2).value == "满一年"
    for value, rule in (("满两年", "track.period_changed"), ("满三年", "track.period")):
        cover.cell(row, 2, value)
        wb.save(tmp_path / "p.xlsx")
        _d, found = validate_file(tmp_path / "p.xlsx")
        assert [(f.sheet, f.cell, f.rule) for f in found] == [("封面", f"B{row}", rule)]


@pytest.mark.slow
def test_every_tracking_output_is_within_excel_limits(tmp_path):
    """What Excel would 'repair' on open (tests/excel_limits.py): the 跟踪表 (.xlsm with the ribbon),
    the same after 校验 marks, and the provincial 完成情况."""
    from excel_limits import check_package
    from xjr_excel.province.consolidate import consolidate
    xlsm = tmp_path / "苏州市-跟踪表.xlsm"
    assert xjr(["track", str(SAMPLES / "苏州市.xlsx"), "-o", str(xlsm), "--period", "1"]) == 0
    data, found = validate_file(xlsm)
    assert found
    marked = A.annotate_file(xlsm, tmp_path / "marked.xlsm", found, data.spec)
    prov = tmp_path / "完成情况.xlsx"
    consolidate([TRACK], prov, province="江苏省", jobs=1, progress=False)
    for path in (xlsm, marked, prov, *sorted(TRACK.glob("*.xls*"))):
        assert check_package(path) == [], path.name
