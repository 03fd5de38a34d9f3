"""Build the master workbook (``xjr template``) from the spec.

Sheets, in order: 填报说明, 封面, 实施方案, 附1–附5, and a hidden 选项 sheet with
the long choice lists.  Every attachment is one Excel Table per record type
(named as in the spec), pre-sized with blank formatted rows that carry the
dropdowns and input hints.  Titles are formulas over the cover's defined names
(XJR_City, XJR_Batch, …) so a city types its name once.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.workbook.defined_name import DefinedName

from xjr_excel.template import layout as L
from xjr_excel.template import xlsm as xlsm
from xjr_excel.template import marks as marks
from xjr_excel.spec import definition as S
from xjr_excel import atomic
from xjr_excel.errors import BadArgument, BadOutputName
from xjr_excel.template.guide import write_guide
from xjr_excel.spec.definition import PLAN_SECTION_TITLES, Spec, get_spec

OPTIONS_SHEET = "选项"
YEARS_NAME = "XJR_Years"          # the two history years, computed from XJR_Year
SUFFIXES = (".xlsx", ".xlsm")

# Whitespace that does not count towards a character limit (space, full-width space, LF, CR, tab).
# CHAR(1): LibreOffice holds a tab inside multi-line text as that control character.
_BLANKS = ('" "', '"\u3000"', "CHAR(10)", "CHAR(13)", "CHAR(9)", "CHAR(1)")


# ---------------------------------------------------------------- entry points

def build_workbook(path, *, city=None, batch=None, year=None, department=None, spec: Spec | None = None,
                   force: bool = False) -> Path:
    """Write the master workbook to ``path`` (.xlsx or .xlsm), atomically.

    An existing ``path`` is replaced only if it is a template we built and nobody saved since
    (a city may have filled it in), or with ``force``."""
    spec = spec or get_spec()
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise BadOutputName(f"输出文件“{path.name}”的扩展名应为 .xlsx 或 .xlsm。")
    params = submission_params(spec, city=city, batch=batch, year=year, department=department)
    return save_workbook(make_workbook(spec, params), path, spec, purpose="template", force=force)


def save_workbook(wb, path: Path, spec: Spec, *, purpose: str, inputs: tuple = (), force: bool = False) -> Path:
    """Save a workbook we built atomically, marked as our ``purpose`` output (an existing file is replaced
    only when it is ours or with ``force``); an .xlsm gets the ribbon and VBA (an error without their sources)."""
    macro = path.suffix.lower() == ".xlsm"
    if macro:
        xlsm.macros_dir()           # no sources, no .xlsm: fail before writing anything
        xlsm.prepare_workbook(wb, spec)
    with atomic.atomic_path(path, inputs=inputs, purpose=purpose, force=force) as tmp:
        atomic.save_workbook(wb, tmp, purpose)
        if macro:
            xlsm.package_macros(tmp, spec)
    return path



def submission_params(spec: Spec, *, city=None, batch=None, year=None, department=None) -> dict:
    """Cover values: what was given, else the policy's [submission] defaults."""
    sub = spec.policy.raw["submission"]
    p = {
        "city": (city or sub["default_city"]).strip(),
        "batch": int(batch if batch is not None else sub["default_batch"]),
        "year": int(year if year is not None else sub["default_year"]),
        "department": (department or "").strip(),
    }
    if p["batch"] < 1:
        raise BadArgument(f"批次应为≥1的整数，当前为{p['batch']}。")
    if not spec.policy.holds_year(p["year"]):
        lo, hi = spec.policy.year_range
        raise BadArgument(f"申报年度应为{lo}–{hi}之间的四位年份，当前为{p['year']}。")
    if not p["city"]:
        raise BadArgument("城市不能为空，如：--city 南京市。")
    return p


def make_workbook(spec: Spec, params: dict) -> Workbook:
    """The openpyxl Workbook (not saved): every sheet, table, validation and name."""
    wb = Workbook()
    wb.remove(wb.active)
    names = {c.key: c.defined_name for c in spec.cover}
    sheets = {s.key: wb.create_sheet(s.name) for s in spec.sheets}
    options = wb.create_sheet(OPTIONS_SHEET)
    options.sheet_state = "hidden"
    lists = ChoiceLists(wb, options, names["year"], spec)

    guide_name = spec.sheet("guide").name
    cover_sheet(wb, sheets["cover"], spec, params)
    write_guide(sheets["guide"], spec, title_formula(spec, names, "重点“小巨人”申报工作簿填报说明"))
    _plan_sheet(sheets["plan"], spec, names, guide_name)
    for key in ("a1", "a2", "a3", "a4"):
        _attachment_sheet(sheets[key], spec, spec.sheet(key), names, lists, guide_name)
    _a5_sheet(sheets["a5"], spec, names, lists, guide_name)

    marks.install_marks(wb, spec)       # the hidden marks sheets 校验 writes into
    wb.active = 0
    return wb


# ---------------------------------------------------------------- names and lists

def title_formula(spec: Spec, names: dict, title: str) -> str:
    """=XJR_City&"第"&XJR_Batch&"批…" — the seed's 「××市第×批…」 from the cover."""
    return f'={names["city"]}&"第"&{names["batch"]}&"批"&{L.excel_string(title)}'


def stamp_formula(names: dict) -> str:
    return f'="市级中小企业主管部门："&{names["department"]}&"（盖章）"'


class ChoiceLists:
    """Where each dropdown gets its items: inline for short lists, the hidden sheet for long ones."""

    def __init__(self, wb, ws, year_name: str, spec: Spec):
        self.wb, self.ws, self.spec = wb, ws, spec
        self.by_items: dict[tuple, str] = {}
        self.next_col = 1
        # 附5 年度: the two years before the submission year, always computed, never typed.
        before = spec.policy.raw["submission"]["history_years_before"]
        self._column("年度（由封面申报年度推算）", [f"={year_name}-{d}" for d in before], YEARS_NAME)

    def _column(self, title: str, items, name: str) -> str:
        c = self.next_col
        self.next_col += 1
        self.ws.cell(1, c, title).font = L.HEADER_FONT
        for i, v in enumerate(items, start=2):
            self.ws.cell(i, c, v)
        self.ws.column_dimensions[L.col(c)].width = max(12, max(len(str(v)) for v in items) * 2)
        self.wb.defined_names[name] = DefinedName(
            name, attr_text=L.abs_ref(self.ws.title, c, 2, c, len(items) + 1))
        return name

    def source(self, table: S.Table, f: S.Field) -> str | None:
        """formula1 of the list validation, or None when the field has no dropdown."""
        if f.key == "year" and table.sheet == "a5":
            return YEARS_NAME
        if not f.choices:
            return None
        inline = ",".join(f.choices)
        if len(inline) <= L.INLINE_LIST_MAX and not any("," in c or '"' in c for c in f.choices):
            return f'"{inline}"'
        if f.choices not in self.by_items:
            self.by_items[f.choices] = self._column(
                L.first_line(f.header), list(f.choices), f"XJR_List_{f.key}")
        return self.by_items[f.choices]


# ---------------------------------------------------------------- sheets

def cover_sheet(wb, ws, spec: Spec, params: dict) -> None:
    names = {c.key: c.defined_name for c in spec.cover}
    years = spec.policy.year_range
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 50
    ws.cell(1, 1, "封面（填报信息）").font = L.LABEL_FONT
    c = ws.cell(2, 1, title_formula(spec, names, "支持专精特新“小巨人”企业工作申报材料"))
    c.font = L.TITLE_FONT
    c.alignment = L.CENTER_WRAP
    ws.merge_cells("A2:C2")
    ws.row_dimensions[2].height = 36
    c = ws.cell(3, 1, "在黄色单元格填写；各表标题、盖章行和附5年度由此自动生成。")
    c.font = L.NOTE_FONT
    ws.merge_cells("A3:C3")
    for i, h in enumerate(("项目", "填写内容", "说明"), start=1):
        L.header_cell(ws, 4, i, h)
    values = {"city": params["city"], "batch": params["batch"], "year": params["year"],
              "department": params["department"] or None}
    for r, cf in enumerate(spec.cover, start=5):
        label = ws.cell(r, 1, cf.label + ("" if cf.required else "（选填）"))
        label.font, label.border, label.alignment = L.LABEL_FONT, L.BOX, L.LEFT_WRAP
        v = ws.cell(r, 2, values.get(cf.key))
        v.fill, v.border, v.font = L.INPUT_FILL, L.BOX, L.BODY_FONT
        v.number_format = S.NUMBER_FORMATS[cf.type]
        v.alignment = L.LEFT_WRAP
        h = ws.cell(r, 3, cf.hint)
        h.font, h.border, h.alignment = L.NOTE_FONT, L.BOX, L.LEFT_WRAP
        ws.row_dimensions[r].height = 24
        wb.defined_names[cf.defined_name] = DefinedName(cf.defined_name, attr_text=L.abs_ref(ws.title, 2, r, 2, r))
        field = S.Field(cf.key, cf.label, cf.type, required=cf.required, hint=cf.hint,
                        min=1 if cf.key == "batch" else (years[0] if cf.type == S.YEAR else None),
                        max=years[1] if cf.type == S.YEAR else None)
        ws.add_data_validation(L.validation_for(field, f"B{r}", list_source=None))
    ws.freeze_panes = "A5"
    L.page_setup(ws, landscape=False, print_rows=0, last_col=3, last_row=4 + len(spec.cover))


def _plan_sheet(ws, spec: Spec, names: dict, guide: str) -> None:
    t = spec.table("plan")
    items = spec.plan_items
    L.title_block(ws, label="实施方案", title_formula=title_formula(spec, names, spec.sheet("plan").title),
                  third_line="在“内容”列填写各小项正文。右侧统计各部分字数（不计空格、全角空格、换行、制表符），超过上限显示“超出”。",
                  last_col=t.last_col, guide_sheet=guide)
    L.place_table(ws, t, len(items))
    first, last = t.header_row + 1, t.header_row + len(items)
    cols = {f.key: t.first_col + i for i, f in enumerate(t.fields)}
    for r, it in enumerate(items, start=first):
        ws.cell(r, cols["section"], it.section)
        ws.cell(r, cols["item"], it.item)
        g = ws.cell(r, cols["guidance"], it.guidance)
        g.alignment = L.TOP_WRAP
        txt = ws.cell(r, cols["text"])
        txt.alignment, txt.fill = L.TOP_WRAP, L.INPUT_FILL
        ws.row_dimensions[r].height = 120
    text_field = t.field("text")
    ws.add_data_validation(L.validation_for(text_field, L.ref(cols["text"], first, cols["text"], last), list_source=None))

    # Live character counts per section, next to the table.
    c0 = t.last_col + 2
    widths = (6, 30, 9, 9, 12)
    for i, (h, w) in enumerate(zip(("部分", "标题", "字数上限", "当前字数", "状态"), widths)):
        L.header_cell(ws, t.header_row, c0 + i, h)
        ws.column_dimensions[L.col(c0 + i)].width = w
    sec = _abs_range(cols["section"], first, last)
    text = _abs_range(cols["text"], first, last)
    for i, (n, limit) in enumerate(sorted(spec.plan_limits.items())):
        r = t.header_row + 1 + i
        count_ref, limit_ref = f"{L.col(c0 + 3)}{r}", f"{L.col(c0 + 2)}{r}"
        vals = (n, PLAN_SECTION_TITLES[n], limit,
                f"=SUMPRODUCT(({sec}={n})*LEN({nonblank(text)}))",
                f'=IF({count_ref}>{limit_ref},"超出"&({count_ref}-{limit_ref})&"字",IF({count_ref}=0,"未填写","未超出"))')
        for j, v in enumerate(vals):
            cell = ws.cell(r, c0 + j, v)
            cell.font, cell.border = L.BODY_FONT, L.BOX
            cell.alignment = L.LEFT_WRAP if j == 1 else Alignment(horizontal="center", vertical="center")
    ws.freeze_panes = ws.cell(first, 1).coordinate
    L.page_setup(ws, landscape=False, print_rows=t.header_row, last_col=t.last_col, last_row=last)


def nonblank(rng: str) -> str:
    """SUBSTITUTE(...) removing every whitespace character we do not count."""
    expr = rng
    for b in _BLANKS:
        expr = f"SUBSTITUTE({expr},{b},\"\")"
    return expr


def _abs_range(column: int, first: int, last: int) -> str:
    c = L.col(column)
    return f"${c}${first}:${c}${last}"


def _note_line(sheet: S.Sheet) -> str | None:
    if sheet.stamp_line:
        return None   # replaced by the stamp formula
    return {
        "a3": "（组织具体企业填报）注：1.请优先组织符合★条件的企业填报。2.“企业名称”须与工业和信息化部公布名称一致。",
        "a4": "（组织具体企业填报）注：1.所有指标均需填报。2.“上年主营业务收入增长”不作为第一批重点“小巨人”企业的申报条件。",
    }.get(sheet.key)


def _attachment_sheet(ws, spec: Spec, sheet: S.Sheet, names: dict, lists: ChoiceLists, guide: str) -> None:
    (t,) = spec.tables_on(sheet.key)
    third = stamp_formula(names) if sheet.stamp_line else _note_line(sheet)
    breaks = {"a3": lambda: balanced_breaks(t), "a4": lambda: indicator_breaks(spec, t)}.get(sheet.key, tuple)()
    repeated = 1 if sheet.key in REPEAT_FIRST_COL else 0
    L.title_block(ws, label=sheet.label, title_formula=title_formula(spec, names, sheet.title),
                  third_line=third, last_col=t.last_col, guide_sheet=guide,
                  spans=blocks(t.first_col, breaks, t.last_col), repeated_cols=repeated)
    if sheet.key == "a4":
        _indicator_headers(ws, spec, t)
    rows = t.template_rows
    L.place_table(ws, t, rows)
    _validations(ws, t, rows, lists)
    first = t.header_row + 1
    ws.freeze_panes = ws.cell(first, 2 if sheet.key in ("a3", "a4") else 1).coordinate
    L.page_setup(ws, landscape=sheet.landscape, print_rows=t.header_row, last_col=t.last_col,
                 last_row=t.header_row + rows, col_breaks=breaks, repeat_first_col=bool(repeated))


# 附3 prints two A4 widths (identity | products, ★, 简介), 附4 one page width per block of 一级指标
# groups (never splitting an indicator); the first column (企业名称) repeats on every page.
# Manual breaks (not fit-to-width) so we know each page's columns: every page gets the title.
REPEAT_FIRST_COL = ("a3", "a4")
INDICATORS_PER_PAGE = 5


def blocks(first: int, breaks: tuple[int, ...], last: int) -> tuple[tuple[int, int], ...]:
    """(first, last) column of each printed page width, from the column breaks (break after column b)."""
    edges = [first - 1, *breaks, last]
    return tuple((a + 1, b) for a, b in zip(edges, edges[1:]))


def balanced_breaks(t: S.Table) -> tuple[int, ...]:
    """One break that splits ``t`` into two page widths as even as possible (the first column,
    repeated on the second page, counts on both)."""
    widths = [f.width for f in t.fields]
    best = min(range(1, len(widths)),
               key=lambda i: max(sum(widths[:i]), widths[0] + sum(widths[i:])))
    return (t.first_col + best - 1,)


def indicator_breaks(spec: Spec, t: S.Table) -> tuple[int, ...]:
    """附4 column breaks: whole 一级指标 groups packed up to INDICATORS_PER_PAGE indicators a page."""
    groups: list[list] = []
    for ind in spec.indicators:
        if groups and groups[-1][0].group == ind.group:
            groups[-1].append(ind)
        else:
            groups.append([ind])
    breaks, col, on_page = [], t.first_col + 1, 0
    for g in groups:
        if on_page and on_page + len(g) > INDICATORS_PER_PAGE:
            breaks.append(col - 1)          # break after the previous group's last column
            on_page = 0
        on_page += len(g)
        col += len(g) * len(spec.periods)
    return tuple(breaks)


def _indicator_headers(ws, spec: Spec, t: S.Table) -> None:
    """附4 above the table: 一级指标 merged over its columns, the full 二级指标 over its three periods."""
    group_row, ind_row = t.header_row - 2, t.header_row - 1
    L.header_cell(ws, group_row, t.first_col, "一级指标", fill=L.GROUP_FILL)
    L.header_cell(ws, ind_row, t.first_col, "二级指标", fill=L.GROUP_FILL)
    n_periods = len(spec.periods)
    col = t.first_col + 1
    group_start, group = col, None
    for ind in spec.indicators:
        if ind.group != group:
            if group is not None:
                merged_header(ws, group_row, group_start, col - 1, group)
            group, group_start = ind.group, col
        merged_header(ws, ind_row, col, col + n_periods - 1, ind.header, fill=L.HEADER_FILL)
        col += n_periods
    merged_header(ws, group_row, group_start, col - 1, group)
    ws.row_dimensions[group_row].height = 20
    ws.row_dimensions[ind_row].height = 96


def merged_header(ws, row, c1, c2, text, fill=L.GROUP_FILL):
    for c in range(c1, c2 + 1):
        L.header_cell(ws, row, c, text if c == c1 else None, fill=fill)
    if c2 > c1:
        ws.merge_cells(L.ref(c1, row, c2, row))


def _validations(ws, t: S.Table, rows: int, lists: ChoiceLists) -> None:
    first, last = t.header_row + 1, t.header_row + max(rows, 1)
    for i, f in enumerate(t.fields):
        c = t.first_col + i
        ws.add_data_validation(L.validation_for(f, L.ref(c, first, c, last), list_source=lists.source(t, f)))


def _a5_sheet(ws, spec: Spec, names: dict, lists: ChoiceLists, guide: str) -> None:
    sheet = spec.sheet("a5")
    tables = spec.tables_on("a5")
    first_table = tables[0]
    L.title_block(ws, label=sheet.label, title_formula=title_formula(spec, names, sheet.title),
                  third_line=None, last_col=first_table.last_col, guide_sheet=guide,
                  spans=tuple((t.first_col, t.last_col) for t in tables))
    last_row = 0
    for t in tables:
        c = ws.cell(t.header_row - 1, t.first_col, t.title)
        c.font = L.LABEL_FONT
        c.alignment = Alignment(horizontal="left", vertical="center")
        if t.last_col > t.first_col:
            ws.merge_cells(L.ref(t.first_col, t.header_row - 1, t.last_col, t.header_row - 1))
        L.place_table(ws, t, t.template_rows)
        _validations(ws, t, t.template_rows, lists)
        ws.column_dimensions[L.col(t.last_col + 1)].width = 3     # the gap between tables
        last_row = max(last_row, t.header_row + t.template_rows)
    ws.row_dimensions[tables[0].header_row - 1].height = 22
    ws.freeze_panes = ws.cell(tables[0].header_row + 1, 1).coordinate
    L.page_setup(ws, landscape=True, print_rows=tables[0].header_row, last_col=tables[-1].last_col,
                 last_row=last_row, col_breaks=tuple(t.last_col + 1 for t in tables[:-1]))

