"""The master workbook: built from the spec, committed, readable by two readers, rendered by LibreOffice."""
from __future__ import annotations

import re
import sys
import zipfile

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries
from python_calamine import CalamineWorkbook

from conftest_template import MASTER, diff_content, workbook_content
import office as render
from xjr_excel.cli import main as cli
from xjr_excel.template import build as template
from xjr_excel.spec.definition import CHOICE, attachment_tables, get_spec

SPEC = get_spec()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A build with the policy defaults, exactly what `make workbook` commits."""
    return template.build_workbook(tmp_path_factory.mktemp("fresh") / "xjr-master.xlsm")


@pytest.fixture(scope="module")
def nanjing(tmp_path_factory):
    """A build for 南京市 第3批 through the command line, as .xlsm."""
    out = tmp_path_factory.mktemp("nj") / "南京市.xlsm"
    rc = cli.main(["template", "-o", str(out), "--city", "南京市", "--batch", "3", "--year", "2026",
                   "--department", "南京市工业和信息化局"])
    assert rc == 0
    return out


# ------------------------------------------------------------ the committed master

def test_committed_master_equals_a_fresh_build(fresh):
    assert MASTER.exists(), "workbook/xjr-master.xlsm is missing: run `make workbook`"
    diffs = diff_content(workbook_content(MASTER), workbook_content(fresh))
    assert not diffs, "workbook/xjr-master.xlsm is stale (run `make workbook`):\n" + "\n".join(diffs[:20])


def test_committed_master_carries_the_vba_of_a_fresh_build(fresh):
    """Every module's source, as olevba reads it: the committed macros are the ones in macros/."""
    from test_vba import _olevba_modules
    committed, built = _olevba_modules(MASTER), _olevba_modules(fresh)
    assert sorted(committed) == sorted(built), "modules differ (run `make workbook`)"
    stale = [name for name in built if committed[name] != built[name]]
    assert not stale, f"workbook/xjr-master.xlsm carries old VBA in {stale} (run `make workbook`)"


def test_master_is_a_macro_enabled_package():
    with zipfile.ZipFile(MASTER) as z:
        ct = z.read("[Content_Types].xml").decode()
    assert re.search(r'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main\+xml"', ct)


# ------------------------------------------------------------ structure against the spec

def test_sheets_in_spec_order_with_hidden_options(fresh):
    wb = openpyxl.load_workbook(fresh)
    visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert visible == [s.name for s in SPEC.sheets]
    assert wb[template.OPTIONS_SHEET].sheet_state == "hidden"
    cal = CalamineWorkbook.from_path(str(fresh))
    assert [s.name for s in SPEC.sheets] == cal.sheet_names[: len(SPEC.sheets)]


def test_tables_names_refs_headers_in_both_readers(fresh):
    wb = openpyxl.load_workbook(fresh)
    cal = CalamineWorkbook.from_path(str(fresh), load_tables=True)
    for t in SPEC.tables:
        ws = wb[SPEC.sheet(t.sheet).name]
        xl = ws.tables[t.name]
        min_col, min_row, max_col, max_row = range_boundaries(xl.ref)
        assert (min_col, min_row, max_col) == (t.first_col, t.header_row, t.last_col), t.name
        rows = t.template_rows or len(SPEC.plan_items)
        assert max_row == t.header_row + rows, t.name
        headers = [f.header for f in t.fields]
        assert [ws.cell(t.header_row, c).value for c in range(t.first_col, t.last_col + 1)] == headers
        assert [c.name for c in xl.tableColumns] == headers
        # calamine: the same table, columns as stored (line breaks escaped as _x000a_)
        ct = cal.get_table_by_name(t.name)
        assert ct.sheet == ws.title
        assert [c.replace("_x000a_", "\n") for c in ct.columns] == headers
        assert ct.start == (t.header_row, t.first_col - 1)          # 0-based: first data row, first column
    grid = cal.get_sheet_by_name("附3").to_python()
    assert grid[SPEC.table("a3").header_row - 1][0] == "企业名称"


def test_a4_group_headers_above_the_table(fresh):
    ws = openpyxl.load_workbook(fresh)["附4"]
    t = SPEC.table("a4")
    merged = {str(m) for m in ws.merged_cells.ranges}
    col = t.first_col + 1
    for ind in SPEC.indicators:
        span = f"{get_column_letter(col)}{t.header_row - 1}:{get_column_letter(col + 2)}{t.header_row - 1}"
        assert span in merged and ws.cell(t.header_row - 1, col).value == ind.header
        col += len(SPEC.periods)
    groups = [ws.cell(t.header_row - 2, c).value for c in range(t.first_col + 1, t.last_col + 1)]
    assert [g for g in groups if g] == list(dict.fromkeys(i.group for i in SPEC.indicators))


def _validations(ws):
    """cell → DataValidation (first data row of each range is enough to check)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            c1, r1, c2, r2 = rng.bounds
            for c in range(c1, c2 + 1):
                out[(r1, c)] = (dv, r2)
    return out


def _list_items(wb, formula: str) -> list:
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    dn = wb.defined_names[formula]
    (sheet, ref), = dn.destinations
    ws = wb[sheet]
    return [c.value for row in ws[ref.replace("$", "")] for c in row]


def test_every_field_has_a_hint_and_every_choice_a_dropdown(fresh):
    wb = openpyxl.load_workbook(fresh)
    for t in attachment_tables(SPEC):
        ws = wb[SPEC.sheet(t.sheet).name]
        dvs = _validations(ws)
        for i, f in enumerate(t.fields):
            c = t.first_col + i
            dv, last = dvs[(t.header_row + 1, c)]
            assert last == t.header_row + t.template_rows, (t.name, f.key)
            assert dv.showInputMessage and dv.prompt and len(dv.prompt) <= 255 and len(dv.promptTitle) <= 32
            if f.choices:
                assert dv.type == "list", (t.name, f.key)
                assert _list_items(wb, dv.formula1) == list(f.choices)
                assert dv.errorStyle == ("stop" if f.strict_choices else "warning"), (t.name, f.key)
            if f.key == "year" and t.sheet == "a5":
                assert dv.type == "list" and dv.formula1 == template.YEARS_NAME
            if f.type == CHOICE:
                assert f.choices
            if f.number_format != "General":
                assert ws.cell(t.header_row + 1, c).number_format == f.number_format


def test_year_dropdown_is_computed_from_the_cover_year(fresh):
    wb = openpyxl.load_workbook(fresh)
    items = _list_items(wb, template.YEARS_NAME)
    assert items == ["=XJR_Year-1", "=XJR_Year-2"]
    assert "2025" not in str(items)


def test_cover_names_and_title_formulas(nanjing):
    wb = openpyxl.load_workbook(nanjing)
    cover = wb["封面"]
    for cf in SPEC.cover:
        (sheet, ref), = wb.defined_names[cf.defined_name].destinations
        assert sheet == "封面"
        r = int(ref.split("$")[-1])
        assert cover.cell(r, 1).value.startswith(cf.label)
    assert cover.cell(5, 2).value == "南京市" and cover.cell(6, 2).value == 3 and cover.cell(7, 2).value == 2026
    for s in SPEC.sheets:
        if s.key in ("cover", "guide"):
            continue
        ws = wb[s.name]
        title = next(c.value for c in ws[2] if c.value)     # A2, or B2 where column A repeats on every page
        assert title.startswith("=XJR_City&\"第\"&XJR_Batch&\"批\"") and s.title in title, s.name
        if s.label:
            assert ws["A1"].value == s.label
        if s.stamp_line:
            assert ws["A3"].value == '="市级中小企业主管部门："&XJR_Dept&"（盖章）"'
    assert "XJR_City" in wb["填报说明"]["A1"].value


def test_print_and_view_setup(fresh):
    wb = openpyxl.load_workbook(fresh)
    for t in attachment_tables(SPEC):
        s = SPEC.sheet(t.sheet)
        ws = wb[s.name]
        assert str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4)
        assert ws.page_setup.orientation == ("landscape" if s.landscape else "portrait")
        assert ws.print_title_rows.replace("$", "") == f"1:{t.header_row}"
        first_data = t.header_row + 1
        assert ws.freeze_panes == (f"B{first_data}" if s.key in ("a3", "a4") else f"A{first_data}")
    for key in ("a1", "a2"):
        ws = wb[SPEC.sheet(key).name]
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.cell(1, SPEC.table(key).last_col).hyperlink.location or \
            ws.cell(1, SPEC.table(key).last_col).hyperlink.target


def test_plan_sheet_counts_every_section(fresh):
    ws = openpyxl.load_workbook(fresh)["实施方案"]
    t = SPEC.table("plan")
    rows = list(ws.iter_rows(min_row=t.header_row + 1, max_row=t.header_row + len(SPEC.plan_items),
                             max_col=t.last_col, values_only=True))
    assert [(r[0], r[1]) for r in rows] == [(p.section, p.item) for p in SPEC.plan_items]
    formulas = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "SUMPRODUCT" in c.value]
    assert len(formulas) == len(SPEC.plan_limits)
    for f in formulas:
        for blank in ('" "', '"\u3000"', "CHAR(10)", "CHAR(13)", "CHAR(9)"):
            assert blank in f


def test_cli_rejects_a_bad_extension(tmp_path, capsys):
    assert cli.main(["template", "-o", str(tmp_path / "x.xls")]) == 2
    assert "扩展名" in capsys.readouterr().err
    assert not (tmp_path / "x.xls").exists()


# ------------------------------------------------------------ LibreOffice (must FAIL when it is missing)

@pytest.mark.slow
def test_libreoffice_renders_titles_with_city_and_batch(nanjing, tmp_path):
    pdf = render.convert(nanjing, tmp_path)
    text = render.pdf_text(pdf)
    for s in SPEC.sheets:
        if s.key not in ("cover", "guide"):
            assert f"南京市第3批{s.title}" in text, s.name
    assert "市级中小企业主管部门：南京市工业和信息化局（盖章）" in text
    assert "XJR_" not in text and "#NAME" not in text


@pytest.mark.slow
def test_libreoffice_evaluates_years_and_plan_counts(tmp_path):
    src = template.build_workbook(tmp_path / "plan.xlsx", city="无锡市", batch=2, year=2031)
    wb = openpyxl.load_workbook(src)
    ws = wb["实施方案"]
    t = SPEC.table("plan")
    first = t.header_row + 1
    text_col = t.first_col + [f.key for f in t.fields].index("text")
    sec1 = "一二三 四\u3000五\n六\t七\r\n八"                      # 8 characters between blanks
    long2 = "字" * (SPEC.plan_limits[2] + 1)
    rows = {p.section: [] for p in SPEC.plan_items}
    for i, p in enumerate(SPEC.plan_items):
        rows[p.section].append(first + i)
    ws.cell(rows[1][0], text_col, sec1)
    ws.cell(rows[1][1], text_col, "ab c")
    ws.cell(rows[2][0], text_col, long2[:700])
    ws.cell(rows[2][2], text_col, long2[700:])
    wb.save(src)
    out = render.convert(src, tmp_path / "lo", fmt="xlsx")
    calc = openpyxl.load_workbook(out, data_only=True)
    years = [c.value for c in calc[template.OPTIONS_SHEET]["A"][1:3]]
    assert years == [2030, 2029]
    count_col = t.last_col + 2 + 3                 # 部分 | 标题 | 字数上限 | 当前字数 | 状态, right of the table
    sheet = calc["实施方案"]
    counts = {n: (sheet.cell(first + i, count_col).value, sheet.cell(first + i, count_col + 1).value)
              for i, n in enumerate(sorted(SPEC.plan_limits))}
    assert counts[1][0] == 8 + 3 and counts[1][1] == "未超出"
    assert counts[2][0] == SPEC.plan_limits[2] + 1 and counts[2][1].startswith("超出")
    assert counts[3] == (0, "未填写")


def test_xlsm_without_macro_sources_is_an_error(tmp_path, capsys, monkeypatch):
    """No VBA/ribbon sources installed: `xjr template x.xlsm` refuses (exit 2, Chinese, writes nothing);
    an .xlsx template needs no macros and is still built."""
    monkeypatch.setitem(sys.modules, "xjr_excel.macros", None)     # the package is not installed
    out = tmp_path / "master.xlsm"
    assert cli.main(["template", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "未找到宏源文件" in err and "重新安装" in err
    assert list(tmp_path.iterdir()) == []
    assert cli.main(["template", "-o", str(tmp_path / "master.xlsx")]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["master.xlsx"]
