"""The ribbon's Python side, run through xlwings' remote engine on payloads built from real workbooks.

Each test builds the master (.xlsm, from the template) filled with a city's data, hands
xlwings what an Office.js client would send, runs the button's function, and plays the
recorded actions back on a model of the workbook to see what the user would see.
"""
from __future__ import annotations

import collections
import copy
import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest

import ribbon_engine as E  # noqa: I001 - sets the xlwings licence key before xlwings is used
from conftest_validate import PLATFORMS, build_grids, cell_of, records, with_value, write_xlsx
from xjr_excel.annotate.backends import openpyxl_book as A
from xjr_excel.annotate import plan as P
from xjr_excel.template import marks as M
from xjr_excel import ribbon
from xjr_excel.annotate.backends import xlwings_book as X
from xjr_excel.template import build as template
from xjr_excel.findings import summary
from xjr_excel.validate.run import validate_file

pytestmark = pytest.mark.engine      # every test here drives xlwings' remote engine


def fill_master(path: Path, recs) -> Path:
    """The master template, filled in as a city official would (formulas left alone)."""
    template.build_workbook(path, city="南京市", batch=3, year=2026)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    for name, grid in build_grids(recs).items():
        ws = wb[name]
        for r, row in enumerate(grid, start=1):
            for c, v in enumerate(row, start=1):
                cur = ws.cell(r, c).value
                if v in ("", None) or (isinstance(cur, str) and cur.startswith("=")):
                    continue
                ws.cell(r, c, v)
    wb.save(path)
    return path


def broken_records():
    recs = with_value("a3", 0, "credit_code", "91320100MA1000001X")        # bad check digit
    recs = with_value("a4", 1, "main_rev_share_i0", 40, recs)               # below the threshold
    recs = with_value("a2", 0, "doc_no", "工信部企业函(2020)120号", recs)  # wrong brackets (warning)
    recs = with_value("a5_basic", 0, "postcode", "21000", recs)
    return recs


def run(model: E.Model, fn, **kw):
    book = E.open_book(model)
    result = fn(book, **kw)
    actions = book.json()["actions"]
    return result, actions, E.apply(model, actions)


def twin_cells(model: E.Model) -> dict[tuple[str, str], int]:
    """(user sheet, A1) → code, from the marks sheets (what conditional formatting colours)."""
    users = [s.name for s in model.sheets if not s.name.startswith("_xjr_")]
    keys = M.locate_sheets(users)
    out = {}
    for key, sheet in keys.items():
        twin = M.marks_sheet_name(key)
        if twin not in [s.name for s in model.sheets]:
            continue
        for (r, c), v in model.sheet(twin).cells.items():
            out[(sheet, f"{openpyxl.utils.get_column_letter(c)}{r}")] = v
    return out


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    path = fill_master(tmp_path_factory.mktemp("ribbon") / "南京市.xlsm", broken_records())
    return path


def test_validate_marks_and_notes_exactly_the_cells_the_cli_reports(broken):
    _data, findings = validate_file(broken)
    assert findings, "the broken sample must have findings"
    model = E.from_file(broken)
    result, actions, after = run(model, ribbon.validate)

    expected = {(f.sheet, f.cell) for f in findings if f.cell}
    marked = twin_cells(after)
    assert set(marked) == expected
    worst = collections.defaultdict(int)
    for f in findings:
        if f.cell:
            worst[(f.sheet, f.cell)] = max(worst[(f.sheet, f.cell)], M.SEVERITY_CODE[f.severity])
    assert marked == dict(worst)

    noted = {(s.name, a) for s in after.sheets for a in s.notes} - {(s.name, a) for s in model.sheets for a in s.notes}
    assert noted == expected
    for f in findings:
        if f.cell:
            assert f.message in after.sheet(f.sheet).notes[f.cell]

    assert result == {**summary(findings), "notes_skipped": 0}
    first = after.sheets[0]
    assert first.name == P.RESULTS_SHEET and after.active == 0
    rule_col = {v for (r, c), v in first.cells.items() if c == 7}
    assert {f.rule for f in findings} <= rule_col
    assert after.alerts and f"{result['errors']}个错误" in after.alerts[-1][0]
    assert all(s.visibility != "Visible" for s in after.sheets if s.name.startswith("_xjr_"))


def test_results_sheet_matches_the_cli_plan(broken):
    _data, findings = validate_file(broken)
    model = E.from_file(broken)
    _r, _a, after = run(model, ribbon.validate)
    sheet_names = [s.name for s in model.sheets if not s.name.startswith("_xjr_") and s.name != "xlwings.conf"]
    plan = P.plan_annotations(findings, None, sheet_names, "x", file_name=broken.name)
    got = after.sheet(P.RESULTS_SHEET).grid()
    # Same finding rows as the CLI's 校验结果 (links become HYPERLINK formulas showing the address).
    rows = plan.results[plan.table_header_row + 1:]
    for i, row in enumerate(rows):
        line = got[plan.table_header_row + 1 + i]
        assert line[1] == row[1] and line[6] == row[6] and line[7] == row[7]
        if row[2]:
            assert line[2].startswith("=HYPERLINK(") and f'"{row[2]}")' in line[2]


def _many_blank_resources(n: int):
    recs = records()
    recs["a5_res"] = [{"unit": PLATFORMS[i % 2], "resource": None, "field": "技术"} for i in range(n)]
    return recs


@pytest.mark.parametrize("n", [50, 500])
def test_actions_grow_with_runs_not_cells(tmp_path, n):
    path = fill_master(tmp_path / f"many{n}.xlsm", _many_blank_resources(n))
    _data, findings = validate_file(path)
    column = [f for f in findings if f.rule == "field.required" and f.sheet == "附5"]
    assert len(column) >= n
    model = E.from_file(path)
    _r, actions, after = run(model, ribbon.validate)
    count = collections.Counter(a["func"] for a in actions)
    twin_pos = [i for i, s in enumerate(E.apply(model, []).sheets) if s.name == M.marks_sheet_name("a5")]
    marks_writes = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] in twin_pos]
    assert len(marks_writes) <= 3, "one write per contiguous run of marked rows"
    others = sum(v for k, v in count.items() if k != "addNote")
    assert others <= 60, count
    # Notes are per cell by Excel's own API: exactly one per marked cell, never more.
    assert count["addNote"] == len({(f.sheet, f.cell) for f in findings if f.cell})
    test_actions_grow_with_runs_not_cells.others[n] = others


test_actions_grow_with_runs_not_cells.others = {}


def test_non_note_actions_do_not_depend_on_the_number_of_errors():
    others = test_actions_grow_with_runs_not_cells.others
    assert set(others) == {50, 500}, "runs after the parametrized test"
    assert others[50] == others[500]


def test_clear_after_validate_restores_the_original_look(tmp_path):
    path = fill_master(tmp_path / "notes.xlsm", broken_records())
    wb = openpyxl.load_workbook(path, keep_vba=True)
    wb["附1"]["D1"].comment = openpyxl.comments.Comment("用户自己的批注", "张三")
    wb.save(path)
    model = E.from_file(path)
    _r, _a, validated = run(model, ribbon.validate)
    assert validated.look() != model.look()
    cleared_result, _a2, cleared = run(validated, ribbon.clear)
    assert cleared_result["cleared"] is True
    assert cleared.look() == model.look()
    assert [s.name for s in cleared.sheets] == [s.name for s in model.sheets]
    assert not any(cleared.sheet(M.marks_sheet_name(k)).cells for k in M.marked_sheet_keys()
                   if M.marks_sheet_name(k) in [s.name for s in cleared.sheets])
    assert "已清除" in cleared.alerts[-1][0]


def test_validating_twice_does_not_stack(broken):
    model = E.from_file(broken)
    _r, _a, once = run(model, ribbon.validate)
    _r, _a, twice = run(once, ribbon.validate)
    assert twin_cells(twice) == twin_cells(once)
    assert {s.name: s.notes for s in twice.sheets} == {s.name: s.notes for s in once.sheets}
    assert [s.name for s in twice.sheets] == [s.name for s in once.sheets]


def test_a_cell_with_a_user_note_keeps_it_when_the_engine_cannot_read_notes(tmp_path):
    recs = broken_records()
    path = fill_master(tmp_path / "usernote.xlsm", recs)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    bad = cell_of("a3", 0, "credit_code")
    wb["附3"][bad].comment = openpyxl.comments.Comment("原来的批注", "张三")
    wb.save(path)
    model = E.from_file(path)
    result, _a, after = run(model, ribbon.validate)
    assert after.sheet("附3").notes[bad] == model.sheet("附3").notes[bad]     # untouched
    assert result["notes_skipped"] == 1
    assert ("附3", bad) in twin_cells(after)                                  # still marked
    assert "原有批注" in after.alerts[-1][0]


def test_a_workbook_that_is_not_the_template_gets_a_chinese_message(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "工资表"
    wb.active["A1"] = "姓名"
    path = tmp_path / "other.xlsx"
    wb.save(path)
    model = E.from_file(path)
    result, actions, after = run(model, ribbon.validate)
    assert result is None
    assert [a["func"] for a in actions if a["func"] not in E.FORMAT_ONLY] == ["alert"]
    text = after.alerts[0][0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text) and "Traceback" not in text
    assert after.alerts[0][3] == "critical"


def test_an_internal_error_is_a_readable_message_with_a_log(broken, monkeypatch, tmp_path):
    monkeypatch.setenv("XJR_LOG_DIR", str(tmp_path))
    from xjr_excel.validate import run as V

    def boom(*_a, **_k):
        raise RuntimeError("boom")
    monkeypatch.setattr(V, "validate", boom)
    model = E.from_file(broken)
    result, _actions, after = run(model, ribbon.validate)
    assert result is None
    text = after.alerts[-1][0]
    assert "程序内部出错" in text and "RuntimeError" in text and "Traceback" not in text
    logs = list(tmp_path.glob("xjr-*.log"))
    assert logs and "boom" in logs[0].read_text(encoding="utf-8")


@pytest.mark.slow
def test_consolidate_reads_city_files_from_disk_and_reports_the_output(tmp_path):
    files = []
    for city in ("南京市", "苏州市"):
        files.append(Path(write_xlsx(build_grids(city=city), tmp_path / f"{city}.xlsx")))
    digests = {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    master = fill_master(tmp_path / "master.xlsm", records())
    model = E.from_file(master)
    payload, actions, after = run(model, ribbon.consolidate, paths=[str(f) for f in files], province="江苏省")
    assert payload is not None, after.alerts
    out = Path(payload["province"]["output"])
    assert out.exists() and out.parent == tmp_path
    assert {c["city"] for c in payload["cities"]} == {"南京市", "苏州市"}
    text = after.alerts[-1][0]
    assert "已合并2个城市" in text and str(out) in text and "请在Excel中打开" in text
    assert {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files} == digests   # inputs untouched
    assert [s.name for s in after.sheets] == [s.name for s in model.sheets]              # master untouched


@pytest.mark.slow
def test_consolidate_dialog_answers_reach_the_provincial_workbook(tmp_path):
    """The 合并汇总 dialog's department and strict answers do what --department and --strict do."""
    import openpyxl
    from xjr_excel.model import Finding  # noqa: F401 - the package imports as the button does
    samples = Path(__file__).resolve().parents[1] / "samples"
    files = [shutil.copy2(samples / n, tmp_path / n) for n in ("南京市.xlsx", "苏州市.xlsx")]
    model = E.from_file(fill_master(tmp_path / "master.xlsm", records()))
    payload, _actions, after = run(model, ribbon.consolidate, paths=[str(f) for f in files], province="江苏省",
                                   department="江苏省工业和信息化厅", strict=True)
    assert payload is not None, after.alerts
    assert payload["province"]["strict"] is True and payload["province"]["cities"] == 1   # 苏州市 has errors
    assert "苏州市有错误，未列入名单" in after.alerts[-1][0]
    wb = openpyxl.load_workbook(payload["province"]["output"])
    a1 = [r[0] for r in wb["附1"].iter_rows(max_row=4, values_only=True)]
    assert "省级中小企业主管部门：江苏省工业和信息化厅（盖章）" in a1
    words = "".join(str(r[1]) for r in wb["统计"].iter_rows(max_row=12, values_only=True))
    assert "只纳入没有错误的城市" in words and "苏州市" in words


@pytest.mark.slow
def test_consolidate_without_paths_explains_the_button(broken):
    model = E.from_file(broken)
    result, _a, after = run(model, ribbon.consolidate)
    assert result is None and "选择各市上报的工作簿" in after.alerts[-1][0]


def test_row_runs_split_only_at_gaps():
    grid = [[2, None], [None, 1], [None, None], [1, None]]
    runs = X.row_runs("B5", grid)
    assert runs == [(5, 2, [[2, None], [None, 1]]), (8, 2, [[1]])]
    assert X.row_runs("A1", [[None, 2]] * 500) == [(1, 2, [[2]] * 500)]


def test_payload_model_round_trip(broken):
    model = E.from_file(broken)
    assert E.apply(model, []).look() == copy.deepcopy(model).look()


SAMPLES = sorted((Path(__file__).resolve().parents[1] / "samples").glob("*.xls*"))


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_samples_marks_and_notes_match_the_cli(sample):
    _data, findings = validate_file(sample)
    model = E.from_file(sample)
    result, _actions, after = run(model, ribbon.validate)
    expected = {(f.sheet, f.cell) for f in findings if f.cell}
    assert set(twin_cells(after)) == expected
    before_notes = {(s.name, a) for s in model.sheets for a in s.notes}
    assert {(s.name, a) for s in after.sheets for a in s.notes} - before_notes == expected
    assert {k: v for k, v in result.items() if k != "notes_skipped"} == summary(findings)
    # Marks are conditional formats driven by the marks sheets: no direct fill on a user sheet.
    original = {s.name: s.fills for s in model.sheets}
    assert all(s.fills == original[s.name] for s in after.sheets if s.name in original)


def test_samples_exist():
    assert len(SAMPLES) >= 3, "samples/ (generated by the template helper) should hold city workbooks"


# ---- desktop-only reads (COM), checked against a stand-in for Excel's object model ----------

class _Count:
    def __init__(self, n):
        self.Count = n


class _FakeApi:
    """The slice of Excel's Range COM object that hidden_rows/merged_ranges use."""

    def __init__(self, sheet, r1, c1, r2, c2):
        self.sheet, self.Row, self.Column = sheet, r1, c1
        self.r2, self.c2 = r2, c2
        self.Rows, self.Columns = _Count(r2 - r1 + 1), _Count(c2 - c1 + 1)

    def _cells(self):
        return [(r, c) for r in range(self.Row, self.r2 + 1) for c in range(self.Column, self.c2 + 1)]

    @property
    def MergeCells(self):  # noqa: N802 - COM name
        flags = {any(r1 <= r <= r2 and c1 <= c <= c2 for r1, c1, r2, c2 in self.sheet.merges) for r, c in self._cells()}
        return None if len(flags) > 1 else flags.pop()

    @property
    def MergeArea(self):  # noqa: N802
        for r1, c1, r2, c2 in self.sheet.merges:
            if r1 <= self.Row <= r2 and c1 <= self.Column <= c2:
                return _FakeApi(self.sheet, r1, c1, r2, c2)
        return self

    def Cells(self, r, c):  # noqa: N802
        return _FakeApi(self.sheet, self.Row + r - 1, self.Column + c - 1, self.Row + r - 1, self.Column + c - 1)

    def SpecialCells(self, kind):  # noqa: N802
        assert kind == X.XL_CELL_TYPE_VISIBLE
        rows = [r for r in range(self.Row, self.r2 + 1) if r not in self.sheet.hidden]
        areas, start = [], None
        for r in rows + [None]:
            if start is not None and (r is None or r != prev + 1):
                areas.append(_FakeApi(self.sheet, start, 1, prev, 1))
                start = None
            if r is not None and start is None:
                start = r
            prev = r
        self.sheet.calls += 1
        return type("Visible", (), {"Areas": areas})()


class _FakeSheet:
    def __init__(self, hidden=(), merges=()):
        self.hidden, self.merges, self.calls = set(hidden), list(merges), 0

    def range(self, a, b=None):
        b = b or a
        return type("R", (), {"api": _FakeApi(self, a[0], a[1], b[0], b[1])})()


def test_hidden_rows_from_visible_areas():
    assert X.hidden_rows(_FakeSheet(hidden={3, 4, 9}), 10) == {3, 4, 9}
    assert X.hidden_rows(_FakeSheet(), 10) == set()
    assert X.hidden_rows(object(), 10) == set()          # no COM: nothing known, no error


def test_merged_ranges_found_column_by_column():
    merges = [(5, 1, 6, 1), (2, 2, 2, 4), (20, 3, 22, 3)]
    assert sorted(X.merged_ranges(_FakeSheet(merges=merges), 30, 6)) == sorted(merges)
    assert X.merged_ranges(_FakeSheet(), 30, 6) == []
    assert X.merged_ranges(object(), 30, 6) == []


def test_percent_formatted_cells_are_read_as_the_cli_reads_them():
    from conftest_validate import SPEC, write_xlsx  # noqa: F401 - same grids the reader tests use
    from xjr_excel.read import workbook as reader
    recs = with_value("a4", 0, "main_rev_share_i0", 0.85)
    grids = build_grids(recs)
    where = cell_of("a4", 0, "main_rev_share_i0")
    r, c = openpyxl.utils.cell.coordinate_to_tuple(where)

    class Book:     # a desktop book whose only percent-formatted cell is that one
        class sheets(dict):  # noqa: N801
            pass

    book = Book()
    book.sheets = {name: type("S", (), {"range": staticmethod(
        lambda rc, name=name: type("C", (), {"number_format": "0%" if (name, rc) == ("附4", (r, c)) else "General"})())})()
        for name in grids}
    data = reader.read_grids(grids, file="x.xlsx")
    got = X._percent_cells(book, data, grids, SPEC)  # noqa: SLF001
    assert got == {"附4": {(r, c)}}
    fixed = reader.read_grids(grids, file="x.xlsx", percent_cells=got)
    assert fixed.tables["a4"].frame.loc[r, "main_rev_share_i0"] == pytest.approx(85)


CLICK_IN_A_FRESH_PYTHON = """
import json, os, sys
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
import xlwings as xw
import xjr_excel.ribbon as ribbon
summary = ribbon.validate(xw.Book(json=json.load(open(sys.argv[1], encoding="utf-8"))))
print(json.dumps({"summary": summary, "loaded": sorted({m.split(".")[0] for m in sys.modules}),
                  "ours": sorted(m for m in sys.modules if m.startswith("xjr_excel."))}))
"""


@pytest.mark.slow      # a fresh Python, as the first click of an Excel session starts one
def test_a_click_loads_only_what_it_needs(broken, tmp_path):
    """Every cold click pays for every import: 校验 loads the reader and the validator (pandas,
    pandera, python-stdnum), not openpyxl (files), the merge, the command line or its tools."""
    import json
    import os
    import subprocess
    import sys
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(E.payload(E.from_file(broken)), ensure_ascii=False, default=str), encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", CLICK_IN_A_FRESH_PYTHON, str(payload)], capture_output=True,
                         text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["summary"]["errors"] > 0                    # the click did validate
    loaded = set(result["loaded"])
    assert {"xlwings", "pandas", "pandera", "stdnum", "xjr_excel"} <= loaded
    assert not loaded & {"openpyxl", "python_calamine", "rich", "rapidfuzz", "xlrd", "msoffcrypto", "oletools",
                         "olefile", "frictionless"}, sorted(loaded)
    # of ours: no file door (the click reads the grids xlwings hands over), no merge, command line or template
    # builder (template.marks, the marks' conditional formats the annotator writes, is light and is needed)
    assert not [m for m in result["ours"] if m.startswith(("xjr_excel.guard", "xjr_excel.province", "xjr_excel.cli",
                                                           "xjr_excel.template.", "xjr_excel.ooxml.package"))
                and m not in ("xjr_excel.template.marks",)], result["ours"]
