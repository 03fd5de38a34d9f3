"""Small layout helpers for the master workbook: styles, titles, tables,
validations, page setup.  :mod:`xjr_excel.template.build` decides *what* goes where;
this module only knows *how* to put it there with openpyxl.
"""
from __future__ import annotations


from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table as XLTable, TableStyleInfo

from xjr_excel.ooxml.cells import abs_ref, column_letter as col, range_ref as ref, sheet_ref  # noqa: F401 - the builder's names
from xjr_excel.ooxml.excel_limits import ERROR_MAX, fit_validation
from xjr_excel.ooxml.wrap import wrapped_lines  # noqa: F401 - the builder's name
from xjr_excel.spec import definition as S

FONT = "宋体"
TITLE_FONT = Font(name=FONT, size=16, bold=True)
LABEL_FONT = Font(name=FONT, size=11, bold=True)
NOTE_FONT = Font(name=FONT, size=10, italic=False, color="555555")
HEADER_FONT = Font(name=FONT, size=10, bold=True)
BODY_FONT = Font(name=FONT, size=10)
LINK_FONT = Font(name=FONT, size=10, color="0563C1", underline="single")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
GROUP_FILL = PatternFill("solid", fgColor="BDD7EE")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER_WRAP = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT_WRAP = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP_WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)

INLINE_LIST_MAX = 200     # longer choice lists go to the hidden 选项 sheet (Excel caps inline lists at 255)


def excel_string(text: str) -> str:
    """A string literal inside an Excel formula."""
    return '"' + text.replace('"', '""') + '"'


def first_line(header: str) -> str:
    return header.split("\n")[0].strip()


def title_block(ws, *, label: str, title_formula: str, third_line: str | None, last_col: int,
                guide_sheet: str | None, spans: tuple[tuple[int, int], ...] = (), repeated_cols: int = 0) -> None:
    """Rows 1–3: label (附1…), the title (a formula over the cover names), stamp or note line.

    ``spans``: the column blocks printed on separate pages (default: one block up to ``last_col``);
    each block gets its own title and note line, so every page shows them whole.  The first
    ``repeated_cols`` columns print on every page: title and note keep out of them, or their
    repeated cells would print a cut-off piece of the first page's text on the later pages."""
    spans = spans or ((1, last_col),)
    ws.cell(1, 1, label).font = LABEL_FONT
    if guide_sheet:                     # top right of the first page
        link = ws.cell(1, max(spans[0][1], 2), "填报说明 ›")
        link.hyperlink = Hyperlink(ref=link.coordinate, location=sheet_ref(guide_sheet, "A1"),
                                   display="填报说明")
        link.font = LINK_FONT
        link.alignment = Alignment(horizontal="right")
    for i, (first, last) in enumerate(spans):
        start = first + repeated_cols if i == 0 else first
        c = ws.cell(2, start, title_formula)
        c.font = TITLE_FONT
        c.alignment = CENTER_WRAP
        if last > start:
            ws.merge_cells(ref(start, 2, last, 2))
        if third_line is not None:
            c = ws.cell(3, start, third_line)
            c.font = BODY_FONT
            c.alignment = LEFT_WRAP
            if last > start:
                ws.merge_cells(ref(start, 3, last, 3))
    ws.row_dimensions[2].height = 36
    if third_line is not None:
        ws.row_dimensions[3].height = 22


def header_cell(ws, row: int, column: int, text: str, fill=HEADER_FILL):
    c = ws.cell(row, column, text)
    c.font = HEADER_FONT
    c.fill = fill
    c.alignment = CENTER_WRAP
    c.border = BOX
    return c


def header_height(fields, base: float = 15.0) -> float:
    """Row height for wrapped headers: enough lines for the longest header in its column width."""
    return base * max((wrapped_lines(f.header, f.width - 2) for f in fields), default=1) + 6


def place_table(ws, table: S.Table, rows: int, *, style: str = "TableStyleLight9") -> XLTable:
    """Header row + ``rows`` blank formatted rows, registered as an Excel Table named ``table.name``."""
    hr, c0 = table.header_row, table.first_col
    for i, f in enumerate(table.fields):
        header_cell(ws, hr, c0 + i, f.header)
        ws.column_dimensions[col(c0 + i)].width = f.width
    ws.row_dimensions[hr].height = header_height(table.fields)
    last_row = hr + max(rows, 1)
    for i, f in enumerate(table.fields):
        align = LEFT_WRAP if f.type in (S.TEXT,) else Alignment(horizontal="center", vertical="center", wrap_text=True)
        for r in range(hr + 1, last_row + 1):
            c = ws.cell(r, c0 + i)
            c.number_format = f.number_format
            c.font = BODY_FONT
            c.alignment = align
            c.border = BOX
    t = XLTable(displayName=table.name, ref=ref(c0, hr, table.last_col, last_row))
    t.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True, showColumnStripes=False)
    ws.add_table(t)
    return t


def validation_for(f: S.Field, sqref: str, *, list_source: str | None) -> DataValidation:
    """The Excel data validation of one field: dropdown, number bounds or text length, always with a prompt."""
    dv: DataValidation
    if list_source is not None:
        strict = f.strict_choices
        dv = DataValidation(type="list", formula1=list_source, allow_blank=True,
                            errorStyle="stop" if strict else "warning")
        dv.error = (choice_error(f) if strict
                    else "不在下拉列表中。可以保留自填内容，确认无误后点“是”。")
    elif f.type in (S.INT, S.YEAR, S.NUMBER, S.PERCENT):
        kind = "whole" if f.type in (S.INT, S.YEAR) else "decimal"
        lo, hi = f.min, f.max
        if lo is not None and hi is not None:
            dv = DataValidation(type=kind, operator="between", formula1=_num(lo), formula2=_num(hi))
        elif lo is not None:
            dv = DataValidation(type=kind, operator="greaterThan" if f.min_exclusive else "greaterThanOrEqual",
                                formula1=_num(lo))
        elif hi is not None:
            dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=_num(hi))
        else:
            dv = DataValidation(type="decimal", operator="between", formula1="-1E+15", formula2="1E+15")
        dv.errorStyle = "stop"
        dv.error = f"“{first_line(f.header)}”应为{'整数' if kind == 'whole' else '数值'}" + _range_text(f) + "。"
    elif f.type == S.DATE:
        dv = DataValidation(type="date", operator="greaterThan", formula1="1", errorStyle="warning")
        dv.error = "应为日期，如：2015-03-02。可以保留文字日期（如2015年3月2日），校验时会识别。"
    elif f.max_len:
        # Excel counts every character; the rule counts non-whitespace ones, so only warn here.
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(f.max_len),
                            errorStyle="warning")
        dv.error = f"限{f.max_len}字以内（不计空白）。"
    else:
        dv = DataValidation(allow_blank=True)      # no check, only the input hint
    dv.allow_blank = True
    dv.showErrorMessage = dv.type is not None
    dv.errorTitle = dv.promptTitle = first_line(f.header)
    dv.prompt = prompt_text(f)
    dv.showInputMessage = True
    dv.sqref = sqref
    fit_validation(dv)          # every text within Excel's limits, whatever the spec says
    return dv


def choice_error(f: S.Field) -> str:
    """Error text of a strict dropdown: the items when they fit Excel's limit, else how to pick."""
    items = f"请从下拉列表选择：{'、'.join(f.choices)}"
    if len(items) <= ERROR_MAX:
        return items
    return (f"“{first_line(f.header)}”须从下拉列表的{len(f.choices)}项中选择，不能自行填写。"
            "请点单元格右侧的下拉箭头，在列表中找到并点选。")


def prompt_text(f: S.Field) -> str:
    parts = ["必填。" if f.required else "选填。"]
    if f.hint:
        parts.append(f.hint)
    elif f.choices:
        parts.append("从下拉列表选择：" + "、".join(f.choices[:8]) + ("…" if len(f.choices) > 8 else ""))
    elif f.max_len:
        parts.append(f"限{f.max_len}字以内。")
    return "".join(parts)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _range_text(f: S.Field) -> str:
    lo, hi = f.min, f.max
    if lo is not None and hi is not None:
        return f"，范围{_num(lo)}～{_num(hi)}"
    if lo is not None:
        return f"，{'>' if f.min_exclusive else '≥'}{_num(lo)}"
    if hi is not None:
        return f"，≤{_num(hi)}"
    return ""


# Page frame of every sheet we write (inches).  The header and footer sit inside the top and
# bottom margins with room for one line of text (0.45" ≈ 32 pt); LibreOffice cuts a footer whose
# margin leaves less than its line height (bottom 0.6", footer 0.5" did).
SIDE_MARGIN = 0.4
EDGE_MARGIN = 0.75
HEADER_FOOTER_MARGIN = 0.3
PAGE_NUMBER_FOOTER = "第 &P 页 共 &N 页"


def print_frame(ws, *, landscape: bool, header: str | None = None) -> None:
    """A4 in the given orientation, centred, our margins; the footer names the sheet (&A) and the
    page (第 &P 页 共 &N 页); ``header``, when given, is printed at the top of every page."""
    ws.page_setup.paperSize = 9             # A4 (ws.PAPERSIZE_A4; write-only sheets lack the constant)
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    m = ws.page_margins
    m.left = m.right = SIDE_MARGIN
    m.top = m.bottom = EDGE_MARGIN
    m.header = m.footer = HEADER_FOOTER_MARGIN
    ws.print_options.horizontalCentered = True
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = PAGE_NUMBER_FOOTER
    if header:
        ws.oddHeader.center.text = header.replace("&", "&&")     # a lone & starts a field code


def printable_width_cm(landscape: bool) -> float:
    return (29.7 if landscape else 21.0) - 2 * SIDE_MARGIN * 2.54


def page_setup(ws, *, landscape: bool, print_rows: int, last_col: int, last_row: int,
               col_breaks: tuple[int, ...] = (), repeat_first_col: bool = False, pages_wide: int = 1) -> None:
    """A4, header rows repeated on every page; fit to one page width, or one page width per block
    between manual ``col_breaks`` (Excel and LibreOffice ignore manual breaks under fit-to-page, so
    those sheets get a fixed scale that fits their widest block)."""
    print_frame(ws, landscape=landscape)
    if col_breaks or pages_wide > 1:       # a record's parts print on consecutive pages
        ws.page_setup.pageOrder = "overThenDown"
    if col_breaks:
        for c in col_breaks:
            ws.col_breaks.append(Break(id=c))
        edges = [0, *col_breaks, last_col]
        repeated = width_cm(ws, [1]) if repeat_first_col else 0.0      # printed again on every later page
        widest = max(width_cm(ws, range(a + 1, b + 1)) + (repeated if a else 0.0)
                     for a, b in zip(edges, edges[1:]))
        printable = printable_width_cm(landscape)
        # 0.68: LibreOffice lays a width unit out ~1.4x wider than 7 px with CJK default fonts
        # (measured on 附5); erring small keeps each block on one page in Excel too.
        ws.page_setup.scale = max(10, min(100, int(printable / widest * 100 * 0.68)))
    else:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = pages_wide
        ws.page_setup.fitToHeight = 0
    if repeat_first_col:
        ws.print_title_cols = "A:A"
    if print_rows:
        ws.print_title_rows = f"1:{print_rows}"
    ws.print_area = ref(1, 1, last_col, last_row)


def width_cm(ws, columns) -> float:
    """Printed width of columns: Excel's width unit is one '0' of the default font, ~7 px + 5 px padding."""
    total_px = 0.0
    for c in columns:
        w = ws.column_dimensions[col(c)].width or 8.43
        total_px += w * 7 + 5
    return total_px / 96 * 2.54
