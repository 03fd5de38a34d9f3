"""Annotate → clear: what a user sees, and that clearing gives the workbook back exactly.

The fixture is the real master (template.build_workbook) filled with three
enterprises, with fills and notes of the user's own — some on cells that get
findings, some elsewhere — so the round trip has something to lose.
"""
from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill

from xjr_excel.annotate.backends import openpyxl_book as A
from xjr_excel.annotate import plan as P
from xjr_excel.template import marks as M
import office as render
from xjr_excel.template import build as template
from xjr_excel.errors import UserError
from xjr_excel.model import Finding
from xjr_excel.ooxml.carry_over import carry_over_parts
from xjr_excel.spec.definition import get_spec

CHECKED = dt.datetime(2026, 5, 20, 9, 30)
REL_UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"

ROWS_A3 = [
    ("南京精工轴承股份有限公司", "王立新", "91320100MA1M9XK20R", 420, dt.date(2008, 3, 2), 5200, "中型", "民营"),
    ("江苏新材科技有限公司", "李敏", "91320100MA1M9XK2Z", 150, dt.date(2012, 6, 18), 3000, "中型", "民营"),
    ("南京智控系统有限公司", "赵强", "913201155MA1N2B3C4", 1200, dt.date(2015, 9, 1), 8000, "中型", "民营"),
]


def make_city_workbook(path: Path) -> Path:
    """A filled city workbook with user fills, fonts, notes and rich text."""
    base = path.with_name("master" + path.suffix)
    template.build_workbook(base, city="南京市", batch=3, year=2026, department="南京市工业和信息化局")
    wb = openpyxl.load_workbook(base, keep_vba=path.suffix == ".xlsm", rich_text=True)
    ws = wb["附3"]
    for i, row in enumerate(ROWS_A3):
        for j, v in enumerate(row, start=1):
            ws.cell(5 + i, j, v)
    ws["B6"].fill = PatternFill("solid", fgColor="00B0F0")            # user fill on a cell with a finding
    ws["H5"].fill = PatternFill("solid", fgColor="92D050")            # … and on a clean cell
    ws["C6"].font = Font(bold=True, color="FF0000")
    ws["C6"].comment = Comment("营业执照复印件待补", "张三")            # user note on a cell with a finding
    ws["A7"].comment = Comment("第三家企业", "李四")                     # user note on a clean cell
    ws.conditional_formatting.add("D5:D40", CellIsRule(operator="greaterThan", formula=["1000"],
                                                        fill=PatternFill("solid", bgColor="C6EFCE")))
    ws["J5"] = CellRichText(["高速", TextBlock(InlineFont(b=True), "精密"), "轴承"])
    wb["附1"]["B5"] = ROWS_A3[0][0]
    wb["附1"]["B5"].comment = Comment("=以工信部公布为准", "王五")       # note text that looks like a formula
    wb.active = wb.sheetnames.index("封面")
    for s in wb.worksheets:
        s.sheet_view.tabSelected = s.title == "封面"
    wb.save(path)
    if path.suffix == ".xlsm":
        carry_over_parts(base, path)     # our own openpyxl edit above dropped the ribbon link too
    return path


def findings_for(file: str) -> list[Finding]:
    def f(sheet, cell, sev, rule, msg, value="", field="字段"):
        return Finding(file, sheet, cell, field, value, rule, sev, msg)
    return [
        f("附3", "C6", "error", "a3.credit_code", "统一社会信用代码“91320100MA1M9XK2Z”应为18位。", "91320100MA1M9XK2Z"),
        f("附3", "C6", "warning", "cell.control_chars", "含有不可见字符。", "9132\x07"),
        f("附3", "B6", "warning", "a3.phone", "提醒：请核对。", "=SUM(A1)"),
        f("附3", "G6", "error", "a3.size_staff", "企业规模填“中型”，但从业人数150人低于300人。", "中型"),
        f("附3", "D7", "warning", "a3.size_large", "从业人数1200人已达大型企业标准。", "1200"),
        f("附1", "B5", "error", "names.not_published", "企业名称不在公布名单中。", ROWS_A3[0][0]),
        f("封面", "B9", "error", "file.cover_missing", "封面缺少“联系人”。"),
        f("", "", "error", "file.sheet_missing", "缺少工作表“附6”。"),
    ]


# ------------------------------------------------------------------ snapshots

def _color(c):
    return None if c is None else (c.type, c.rgb if c.type == "rgb" else c.value)


def cell_state(c) -> tuple:
    v = c.value
    value = repr(v) if isinstance(v, CellRichText) else v
    note = (c.comment.text, c.comment.author) if c.comment else None
    return (value, c.fill.fill_type, _color(c.fill.fgColor), _color(c.fill.bgColor), c.font.b, c.font.i,
            _color(c.font.color), c.font.name, c.font.sz, c.number_format, note)


def load(path: Path):
    return openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm", rich_text=True)


BLANK = cell_state(openpyxl.Workbook().active["A1"])


def snapshot(path: Path) -> dict:
    wb = load(path)
    cells = {}
    for ws in wb.worksheets:
        for c in list(ws._cells.values()):
            state = cell_state(c)
            if state != BLANK:
                cells[(ws.title, c.coordinate)] = state
    return {
        "cells": cells,
        "sheets": [(ws.title, ws.sheet_state) for ws in wb.worksheets],
        "active": wb.active.title,
        "selected": [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected],
        "validations": {ws.title: sorted((str(dv.sqref), dv.type, dv.formula1, dv.formula2)
                                         for dv in ws.data_validations.dataValidation) for ws in wb.worksheets},
        "cf": {ws.title: sorted((str(cf.sqref), tuple(r.formula or ()), r.priority) for cf in ws.conditional_formatting
                                for r in cf.rules) for ws in wb.worksheets},
        "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
        "merged": {ws.title: sorted(str(r) for r in ws.merged_cells.ranges) for ws in wb.worksheets},
        "tables": {ws.title: sorted((t.name, t.ref) for t in ws.tables.values()) for ws in wb.worksheets},
    }


def assert_same(a: dict, b: dict) -> None:
    for key in a:
        if key == "cells":
            diff = {k: (a["cells"].get(k), b["cells"].get(k)) for k in set(a["cells"]) | set(b["cells"])
                    if a["cells"].get(k) != b["cells"].get(k)}
            assert not diff, f"cells differ: {dict(list(diff.items())[:10])}"
        else:
            assert a[key] == b[key], key


def package_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def assert_sound_package(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert len(names) == len(set(names)), "duplicate zip entries"


def assert_macros_and_ribbon(original: Path, other: Path, *, sheets_added: bool = False) -> None:
    """The VBA project is the original's byte for byte; an annotated file's only adds the (empty)
    document modules of the sheets annotate added, every other module unchanged."""
    from xjr_excel.ooxml import vba
    assert_sound_package(other)
    a, b = package_parts(original), package_parts(other)
    if sheets_added:
        old, new = vba.read_project(a["xl/vbaProject.bin"]), vba.read_project(b["xl/vbaProject.bin"])
        assert [m for m in new if m.name in {o.name for o in old}] == old
        assert all(vba.is_empty_document(m) for m in new if m not in old)
    else:
        assert b["xl/vbaProject.bin"] == a["xl/vbaProject.bin"]
    assert b["customUI/customUI14.xml"] == a["customUI/customUI14.xml"]
    assert REL_UI14.encode() in b["_rels/.rels"] and b"customUI/customUI14.xml" in b["_rels/.rels"]
    ct = b["[Content_Types].xml"]
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in ct
    assert b'Extension="bin" ContentType="application/vnd.ms-office.vbaProject"' in ct or \
        b'PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"' in ct


@pytest.fixture(scope="module", params=[".xlsx", ".xlsm"])
def city(request, tmp_path_factory) -> Path:
    return make_city_workbook(tmp_path_factory.mktemp("city") / f"南京市{request.param}")


# ------------------------------------------------------------------ the must-show round trip

def test_annotate_then_clear_gives_the_original_back(city, tmp_path):
    before = snapshot(city)
    annotated = A.annotate_file(city, tmp_path / f"a{city.suffix}", findings_for(city.name), checked_at=CHECKED)
    cleared = A.clear_file(annotated, tmp_path / f"c{city.suffix}")
    after = snapshot(cleared)
    assert_same(before, after)
    assert_sound_package(annotated)
    assert_sound_package(cleared)
    assert before["cells"][("附3", "C6")][-1] == ("营业执照复印件待补", "张三")
    assert before["cells"][("附3", "B6")][2] == ("rgb", "0000B0F0")
    if city.suffix == ".xlsm":
        assert_macros_and_ribbon(city, annotated, sheets_added=True)
        assert_macros_and_ribbon(city, cleared)


def test_annotated_file_shows_marks_notes_and_results(city, tmp_path):
    out = A.annotate_file(city, tmp_path / f"a{city.suffix}", findings_for(city.name), checked_at=CHECKED)
    wb = load(out)
    # marks hold exactly the finding cells, the worst severity per cell
    assert M.marked_cells(wb) == {
        "_xjr_marks_cover": {"B9": 2}, "_xjr_marks_plan": {}, "_xjr_marks_a1": {"B5": 2}, "_xjr_marks_a2": {},
        "_xjr_marks_a3": {"C6": 2, "B6": 1, "G6": 2, "D7": 1}, "_xjr_marks_a4": {}, "_xjr_marks_a5": {}}
    assert all(wb[s].sheet_state == "veryHidden" for s in wb.sheetnames if s.startswith("_xjr_"))
    # the user's own fill is untouched: colour comes from conditional formatting only
    assert wb["附3"]["B6"].fill.fgColor.rgb == "0000B0F0"
    rules = sorted((r.priority, str(cf.sqref), r.formula[0], r.stopIfTrue)
                   for cf in wb["附3"].conditional_formatting for r in cf.rules)
    assert rules == [(1, "A1:BL10000", "INDEX(XJR_Marks_a3,ROW(),COLUMN())=2", True),     # ours first: no
                     (2, "A1:BL10000", "INDEX(XJR_Marks_a3,ROW(),COLUMN())=1", True),     # user rule hides a mark
                     (3, "D5:D40", "1000", None)]
    assert wb.defined_names["XJR_Marks_a3"].attr_text == "'_xjr_marks_a3'!$A$1:$BL$10000"
    # notes: every message, ours first, the user's note kept under it
    note = wb["附3"]["C6"].comment
    assert note.author == P.NOTE_AUTHOR
    assert "【错误】统一社会信用代码" in note.text and "【警告】含有不可见字符" in note.text
    assert "a3.credit_code" not in note.text and "cell.control_chars" not in note.text    # rule ids: 校验结果 and JSON only
    assert note.text.endswith(f"{P.ORIGINAL_NOTE_HEADING}\n营业执照复印件待补")
    assert wb["附3"]["A7"].comment.text == "第三家企业"                  # untouched
    assert wb["附3"]["G6"].comment.text.startswith(f"{P.NOTE_AUTHOR}：\n【错误】")
    # results: first sheet, active and the only selected tab; one row per finding with a link
    assert wb.sheetnames[0] == P.RESULTS_SHEET and wb.active.title == P.RESULTS_SHEET
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [P.RESULTS_SHEET]
    rs = wb[P.RESULTS_SHEET]
    rows = list(rs.iter_rows(values_only=True))
    head = rows.index(P.RESULTS_HEADER)
    body = rows[head + 1:]
    assert len(body) == len(findings_for(city.name))
    assert [r[0] for r in body] == list(range(1, len(body) + 1))
    assert rows[1][:2] == ("检查时间", "2026-05-20 09:30:00")
    for i, (f, row) in enumerate(zip(findings_for(city.name), body)):
        link = rs.cell(head + 2 + i, 3).hyperlink
        if f.cell:
            assert link.location == f"'{f.sheet}'!{f.cell}" and row[2] == f.cell
            assert wb[f.sheet][f.cell] is not None         # the target exists
        else:
            assert link is None and row[1] == "（整个文件）"
    assert body[2][4] == "=SUM(A1)"                             # a value is text, never a formula
    assert body[1][4] == "9132<U+0007>"                         # control characters shown, not written
    counts = {r[0]: r[1:4] for r in rows[rows.index(("工作表", "错误", "警告", "合计", None, None, None, None)) + 1:head]
              if r[0]}
    assert counts["附3"] == (2, 3, 5) and counts["附1"] == (1, 0, 1) and counts["附5"] == (0, 0, 0)
    assert counts["（整个文件）"] == (1, 0, 1) and counts["合计"] == (5, 3, 8)


def test_validating_again_replaces_never_stacks(city, tmp_path):
    first = A.annotate_file(city, tmp_path / f"1{city.suffix}", findings_for(city.name), checked_at=CHECKED)
    fewer = [f for f in findings_for(city.name) if f.cell != "G6" and f.sheet != "附1"]
    second = A.annotate_file(first, tmp_path / f"2{city.suffix}", fewer, checked_at=CHECKED)
    wb = load(second)
    assert wb.sheetnames.count(P.RESULTS_SHEET) == 1
    assert M.marked_cells(wb)["_xjr_marks_a3"] == {"C6": 2, "B6": 1, "D7": 1}
    assert M.marked_cells(wb)["_xjr_marks_a1"] == {}
    assert wb["附3"]["G6"].comment is None
    assert wb["附1"]["B5"].comment.text == "=以工信部公布为准"            # restored when its finding went away
    note = wb["附3"]["C6"].comment.text
    assert note.count(P.NOTE_AUTHOR) == 1 and note.count(P.ORIGINAL_NOTE_HEADING) == 1
    rows = list(wb[P.RESULTS_SHEET].iter_rows(values_only=True))
    assert len(rows) - rows.index(P.RESULTS_HEADER) - 1 == len(fewer)
    assert_same(snapshot(city), snapshot(A.clear_file(second, tmp_path / f"c{city.suffix}")))


@pytest.mark.slow
def test_second_reader_and_libreoffice_open_the_annotated_file(city, tmp_path):
    from python_calamine import CalamineWorkbook
    out = A.annotate_file(city, tmp_path / f"a{city.suffix}", findings_for(city.name), checked_at=CHECKED)
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names[0] == P.RESULTS_SHEET
    rows = book.get_sheet_by_name(P.RESULTS_SHEET).to_python()
    assert [r[6] for r in rows if r and r[6] and "." in str(r[6])] == [f.rule for f in findings_for(city.name)]
    a3 = book.get_sheet_by_name("附3").to_python()
    assert a3[5][2] == "91320100MA1M9XK2Z"                     # the user's data reads as before
    pdf = render.convert(out, tmp_path / "pdf")               # fails when LibreOffice is missing
    text = render.pdf_text(pdf)
    assert "校验结果" in text and "a3.size_staff" in text


@pytest.mark.slow
def test_libreoffice_paints_error_and_warning_cells(tmp_path):
    """Render a marked cell through LibreOffice and check the pixel colours of the PDF page."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "附3"
    for r in range(1, 6):
        for c in range(1, 4):
            ws.cell(r, c, "      ")
    M.install_marks(wb, sheet_keys={"a3": "附3"})
    src = tmp_path / "s.xlsx"
    wb.save(src)
    fs = [Finding("s.xlsx", "附3", "A1", "", "", "x", "error", "e"),
          Finding("s.xlsx", "附3", "C5", "", "", "y", "warning", "w")]
    out = A.annotate_file(src, tmp_path / "m.xlsx", fs)
    only = load(out)
    del only[P.RESULTS_SHEET]
    only.save(tmp_path / "view.xlsx")
    pdf = render.convert(tmp_path / "view.xlsx", tmp_path)
    import subprocess
    ppm = subprocess.run(["pdftoppm", "-r", "30", "-f", "1", "-l", "1", str(pdf)], capture_output=True,
                         check=True).stdout
    header_end = ppm.index(b"\n", ppm.index(b"\n", ppm.index(b"\n") + 1) + 1) + 1
    pixels = ppm[header_end:]
    colours = {tuple(pixels[i:i + 3]) for i in range(0, len(pixels), 3)}
    hexes = {"%02X%02X%02X" % c for c in colours}
    assert M.ERROR_FILL in hexes and M.WARNING_FILL in hexes


def test_renamed_sheets_and_old_templates(tmp_path):
    """附件3 is found by its table; a file without marks gets them, and clear takes them away again."""
    src = make_city_workbook(tmp_path / "old.xlsx")
    wb = openpyxl.load_workbook(src, rich_text=True)
    M.uninstall_marks(wb)
    wb["附3"].title = "附件3"
    wb.save(src)
    before = snapshot(src)
    assert not any(n.startswith("_xjr_") for n, _ in before["sheets"])
    fs = [Finding(src.name, "附件3", "C6", "统一社会信用代码", "x", "a3.credit_code", "error", "错")]
    out = A.annotate_file(src, tmp_path / "old-a.xlsx", fs)
    wb = load(out)
    assert M.marked_cells(wb)["_xjr_marks_a3"] == {"C6": 2}
    assert any("XJR_Marks_a3" in r.formula[0] for cf in wb["附件3"].conditional_formatting for r in cf.rules)
    assert_same(before, snapshot(A.clear_file(out, tmp_path / "old-c.xlsx")))


def test_in_place_with_backup_and_refusals(tmp_path):
    from xjr_excel.atomic import backup
    src = make_city_workbook(tmp_path / "p.xlsx")
    before = snapshot(src)
    bak = backup(src)
    A.annotate_file(src, src, findings_for(src.name))
    assert P.RESULTS_SHEET in openpyxl.load_workbook(src).sheetnames
    assert_same(before, snapshot(bak))
    A.clear_file(src, src)
    assert_same(before, snapshot(src))
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UserError, match="无法读取“old.xls”.*另存为.xlsx"):     # .xls: an .xlsx copy, if readable
        A.annotate_file(tmp_path / "old.xls", tmp_path / "x.xlsx", [])
    with pytest.raises(UserError, match="清除标记只能在 .xlsx / .xlsm 工作簿上进行.*另存为"):
        A.clear_file(tmp_path / "old.xls", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_clean_file_gets_a_results_sheet_saying_so(tmp_path):
    src = make_city_workbook(tmp_path / "ok.xlsx")
    wb = load(A.annotate_file(src, tmp_path / "ok-a.xlsx", []))
    rows = list(wb[P.RESULTS_SHEET].iter_rows(values_only=True))
    assert rows[3][1].startswith("未发现问题")
    assert all(v == {} for v in M.marked_cells(wb).values())


# ------------------------------------------------------------------ the shared plan

def test_plan_is_plain_data_for_both_writers():
    spec = get_spec()
    fs = findings_for("c.xlsx")
    plan = P.plan_annotations(fs, spec, ["填报说明", "封面", "实施方案", "附1", "附2", "附3", "附4", "附5"], CHECKED)
    top_left, grid = plan.marks["_xjr_marks_a3"]
    assert top_left == "B6" and grid == [[1, 2, None, None, None, 2], [None, None, 1, None, None, None]]
    assert set(plan.marks) == {"_xjr_marks_a3", "_xjr_marks_a1", "_xjr_marks_cover"}
    assert set(plan.notes) == {("附3", "C6"), ("附3", "B6"), ("附3", "G6"), ("附3", "D7"), ("附1", "B5"), ("封面", "B9")}
    assert all(len(r) == P.RESULTS_WIDTH for r in plan.results)
    assert plan.results[plan.table_header_row] == list(P.RESULTS_HEADER)
    assert plan.links[(plan.table_header_row + 1, 2)] == "'附3'!C6"
    assert P.hyperlink_formula(plan.links[(plan.table_header_row + 1, 2)], "C6") == '=HYPERLINK("#\'附3\'!C6","C6")'
    assert P.location("O'Neil", "A1") == "'O''Neil'!A1"
    # renamed sheets are found by name rules when no tables are known
    plan2 = P.plan_annotations([Finding("c", "附件3", "A5", "", "", "r", "error", "m")], spec, ["附件3"], CHECKED)
    assert plan2.marks == {"_xjr_marks_a3": ("A5", [[2]])}


def test_real_findings_from_the_validator(tmp_path):
    from xjr_excel.validate import run as validate
    src = make_city_workbook(tmp_path / "real.xlsx")
    data, findings = validate.validate_file(src)
    assert any(f.severity == "error" for f in findings)
    out = A.annotate_file(src, tmp_path / "real-a.xlsx", findings)
    wb = load(out)
    keys = M.workbook_sheet_keys(wb)
    expected: dict[str, dict[str, int]] = {}
    for f in findings:
        key = next((k for k, s in keys.items() if s == f.sheet), None)
        if f.cell and key in M.marked_sheet_keys():
            cells = expected.setdefault(M.marks_sheet_name(key), {})
            cells[f.cell] = max(cells.get(f.cell, 0), M.SEVERITY_CODE[f.severity])
    got = {k: v for k, v in M.marked_cells(wb).items() if v}
    assert got == expected
    rows = list(wb[P.RESULTS_SHEET].iter_rows(values_only=True))
    assert len(rows) - rows.index(P.RESULTS_HEADER) - 1 == len(findings)
    assert_same(snapshot(src), snapshot(A.clear_file(out, tmp_path / "real-c.xlsx")))


def test_committed_macro_sample_round_trip(tmp_path):
    """The sample .xlsm built by the template with the real VBA project and ribbon."""
    sample = Path(__file__).resolve().parents[1] / "samples" / "扬州市.xlsm"
    src = tmp_path / sample.name
    shutil.copy(sample, src)
    fs = [Finding(src.name, "附3", "C5", "统一社会信用代码", "x", "a3.credit_code", "error", "校验位不正确。"),
          Finding(src.name, "附4", "B5", "主营业务收入占比", "65", "a4.main_rev_share", "error", "低于70%。")]
    out = A.annotate_file(src, tmp_path / "a.xlsm", fs)
    back = A.clear_file(out, tmp_path / "c.xlsm")
    assert_macros_and_ribbon(src, out, sheets_added=True)
    assert_macros_and_ribbon(src, back)
    assert_same(snapshot(src), snapshot(back))
    assert sample.read_bytes() == src.read_bytes()              # the input is never modified


def test_results_rows_are_tall_enough_for_every_line():
    """A 校验结果 row is as tall as its longest wrapped cell, each line break a line of its own
    (neither Excel nor LibreOffice grows a row when opening a file: a short row cuts the text)."""
    value = "第一行\n第二行\n第三行\n第四行"
    long_message = "企业简介超过字数上限。" * 12
    fs = [Finding("c.xlsx", "附3", "C6", "企业简介", value, "field.max_len", "error", "短"),
          Finding("c.xlsx", "附3", "C7", "企业简介", "短", "field.max_len", "error", long_message)]
    plan = P.plan_annotations(fs, get_spec(), ["附3"], CHECKED)
    heights = P.results_style(plan).row_heights
    rows = {cells[7]: r for r, cells in enumerate(plan.results, start=1)}
    assert heights[rows["短"]] >= 4 * P.LINE_HEIGHT
    # 132 CJK characters in the 说明 column: 90 width units are about 630 px, a character at 11 pt
    # about 14.7 px, so about 43 a line: four lines
    assert heights[rows[long_message]] >= 4 * P.LINE_HEIGHT
