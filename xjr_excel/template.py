"""Build the master workbook (``xjr template``) from the spec.

Sheets, in order: 填报说明, 封面, 实施方案, 附1–附5, and a hidden 选项 sheet with
the long choice lists.  Every attachment is one Excel Table per record type
(named as in the spec), pre-sized with blank formatted rows that carry the
dropdowns and input hints.  Titles are formulas over the cover's defined names
(XJR_City, XJR_Batch, …) so a city types its name once.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.workbook.defined_name import DefinedName

from . import layout as L
from . import marks, xlsm
from . import spec as S
from .atomic import atomic_path
from .errors import UserError
from .spec import PLAN_SECTION_TITLES, Spec, get_spec

OPTIONS_SHEET = "选项"
YEARS_NAME = "XJR_Years"          # the two history years, computed from XJR_Year
SUFFIXES = (".xlsx", ".xlsm")
XLSM_MAIN_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

# Whitespace that does not count towards a character limit (space, full-width space, LF, CR, tab).
# CHAR(1): LibreOffice holds a tab inside multi-line text as that control character.
_BLANKS = ('" "', '"\u3000"', "CHAR(10)", "CHAR(13)", "CHAR(9)", "CHAR(1)")


# ---------------------------------------------------------------- entry points

def build_workbook(path, *, city=None, batch=None, year=None, department=None, spec: Spec | None = None) -> Path:
    """Write the master workbook to ``path`` (.xlsx or .xlsm), atomically."""
    spec = spec or get_spec()
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(f"输出文件“{path.name}”的扩展名应为 .xlsx 或 .xlsm。")
    params = submission_params(spec, city=city, batch=batch, year=year, department=department)
    wb = make_workbook(spec, params)
    macro = path.suffix.lower() == ".xlsm"
    packager = _macro_packager() if macro else None
    if packager is not None:
        packager.prepare_workbook(wb, spec)
    with atomic_path(path) as tmp:
        wb.save(tmp)
        if macro:
            if packager is not None:
                packager.package_macros(tmp, spec)
            else:
                mark_macro_enabled(tmp)
    return path


def cli_main(args) -> int:
    spec = get_spec(getattr(args, "policy", None))
    out = build_workbook(args.output, city=args.city, batch=args.batch, year=args.year,
                         department=args.department, spec=spec)
    p = submission_params(spec, city=args.city, batch=args.batch, year=args.year, department=args.department)
    print(f"已生成模板：{out}（{p['city']}第{p['batch']}批，申报年度{p['year']}）")
    return 0


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
        raise UserError(f"批次应为≥1的整数，当前为{p['batch']}。")
    if not 1900 <= p["year"] <= 2999:
        raise UserError(f"申报年度应为四位年份，当前为{p['year']}。")
    if not p["city"]:
        raise UserError("城市不能为空，如：--city 南京市。")
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
    _cover_sheet(wb, sheets["cover"], spec, params)
    _guide_sheet(sheets["guide"], spec, names)
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

def _cover_sheet(wb, ws, spec: Spec, params: dict) -> None:
    names = {c.key: c.defined_name for c in spec.cover}
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
                        min=1 if cf.key == "batch" else (1900 if cf.type == S.YEAR else None),
                        max=2999 if cf.type == S.YEAR else None)
        ws.add_data_validation(L.validation_for(field, f"B{r}", list_source=None))
    ws.freeze_panes = "A5"
    L.page_setup(ws, landscape=False, print_rows=0, last_col=3, last_row=4 + len(spec.cover))


def _guide_sheet(ws, spec: Spec, names: dict) -> None:
    p = spec.policy
    e, lim = p.eligibility, p.limits
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 26        # rule ids in the rules table
    ws.column_dimensions["C"].width = 18
    ws.column_dimensions["D"].width = 76
    c = ws.cell(1, 1, title_formula(spec, names, "重点“小巨人”申报工作簿填报说明"))
    c.font = L.TITLE_FONT
    c.alignment = L.CENTER_WRAP
    ws.merge_cells("A1:D1")
    ws.row_dimensions[1].height = 36
    row = [3]

    def heading(text):
        cell = ws.cell(row[0], 1, text)
        cell.font = L.LABEL_FONT
        ws.merge_cells(L.ref(1, row[0], 4, row[0]))
        row[0] += 1

    def para(n, text, height=None):
        ws.cell(row[0], 1, n).alignment = Alignment(horizontal="right", vertical="top")
        cell = ws.cell(row[0], 2, text)
        cell.alignment = L.TOP_WRAP
        cell.font = L.BODY_FONT
        ws.merge_cells(L.ref(2, row[0], 4, row[0]))
        ws.row_dimensions[row[0]].height = height or 15 * max(1, -(-len(text) // 58)) + 4
        row[0] += 1

    a = {s.key: s.name for s in spec.sheets}
    heading("一、填报步骤")
    steps = [
        f"在“{a['cover']}”填写城市、批次、申报年度和市级中小企业主管部门。各表标题、附1/附2盖章行和附5的年度随之自动更新，不要改动标题。",
        f"在“{a['plan']}”的“内容”列逐项填写正文。右侧实时统计每部分字数（不计空格、换行等空白字符），超过上限时显示“超出”。",
        f"在附1–附5中每行填写一条记录（附1、附3、附4每行一家企业，附2每行一个平台，附5按平台逐行填写）。"
        "行数不够时，在表格最后一行的最后一格按 Tab 键，或拖动表格右下角，表格会自动扩展并带上下拉列表和格式。",
        "带下拉箭头的单元格请从列表中选择；选中单元格时会显示填写提示。不要合并单元格，不要在表格中插入小计行。",
        "附1、附3、附4的企业名称须一一对应，并与工业和信息化部公布的名称完全一致；附2的每个平台都须在附5填写申请表。",
        "填好后点击“小巨人”选项卡中的“校验”（或在命令行运行 xjr validate 文件名）。有问题的单元格会标红（错误）或标黄（提醒），"
        "并写入“校验结果”工作表，逐条修改后再次校验，直到没有错误。",
        "打印附1、附2并加盖市级中小企业主管部门公章；将本工作簿按要求报送省级主管部门。",
    ]
    for i, s_ in enumerate(steps, start=1):
        para(i, s_)
    row[0] += 1
    heading("二、★优先")
    para("★", "请优先组织符合★条件的企业填报：附3中“★是否填补国内或国际空白”选择填补空白，或“★是否关键领域补短板”选“是”。"
              "校验结果和全省汇总中★企业排在前面。")
    para("", "产业导向须符合其一：《工业“四基”发展目录》重点领域、制造强国战略十大重点产业领域、关键领域补短板、"
             "关键核心技术攻关、填补国内（国际）空白、与重点行业龙头企业协同创新。表中只能反映“四基”、填补空白、补短板三项，"
             "三项都不是的企业会得到提醒，请在实施方案中说明。")
    row[0] += 1
    heading("三、申报条件和填写限制（校验依据）")
    ipo = "或".join(e["ipo_plans_that_count"])
    conditions = [
        f"专业化程度：主营业务收入占营业收入比重（实施期初始值）≥{e['main_revenue_share_min']}%。",
        f"创新能力：近2年研发经费支出占营业收入比重≥{e['rd_share_min']}%；并满足其一：有效发明专利≥{e['patents_min']}项、"
        f"研发机构≥{e['rd_institutions_min']}个、主持或参与制（修）订标准≥{e['standards_min']}个。",
        f"经营管理：质量管理体系认证≥{e['quality_certs_min']}项。",
        f"成长性：自第{p.growth_from_batch}批起，上年主营业务收入增长率>{e['growth_rate_min_exclusive']}，或有上市计划（{ipo}）；"
        "第一批不作要求。",
        f"企业规模须与从业人数相符（《中小企业划型标准规定》{p.raw['size_standard']['name']}，如出台新的划型标准，按最新标准执行）。",
        f"字数上限（不计空白字符）：实施方案第一部分{lim['plan_section_1']}字、第二部分{lim['plan_section_2']}字、"
        f"第三部分{lim['plan_section_3']}字；企业简介{lim['intro']}字（另附页无效）；提供服务内容{lim['service_content']}字；"
        f"填补空白具体领域{lim['gap_field']}字；补短板具体领域和环节{lim['shortboard_field']}字。",
        "统一社会信用代码18位，按GB 32100-2015校验位核对；认定文号用六角括号，如：工信部企业函〔2020〕123号。",
        f"附5“年度”为申报年度前两年（由封面“申报年度”推算）；手机号11位；邮政编码6位。",
        "附4所有指标均需填报：百分比填数值（85表示85%，填“85%”也可以）；个数填整数，没有填0。",
    ]
    for i, s_ in enumerate(conditions, start=1):
        para(i, s_)
    row[0] += 1
    heading("四、“校验”做什么")
    for i, s_ in enumerate([
        "只读取数据，不改动您填写的内容；不运行任何宏。",
        "逐项检查：必填、格式（数字、日期、信用代码、手机号等）、下拉选项、字数、序号连续、名称重复、"
        "附1/附3/附4和附2/附5之间是否对应、各项申报条件。",
        "在出错的单元格标红、提醒的单元格标黄并加批注，说明依据和改法；“校验结果”表列出全部问题，点击可跳转。",
        "“清除标记”去掉所有标记和批注，数据不变。错误必须改正；提醒请核对，确认无误可以保留。",
    ], start=1):
        para(i, s_)
    row[0] += 1
    heading("五、附2 注（模板原文）")
    para("", "各市组织符合条件的公共服务示范平台编写申请报告，申请报告主要包括：近年来服务我省国家级专精特新“小巨人”企业开展的主要工作"
             "及取得成效；集聚技术、资金和人才等创新资源，开展服务活动及示范带动情况；“十四五”期间重点服务措施；分年度（实施期满1年、"
             "实施期满2年）预期目标（参考《重点“小巨人”企业目标表》中列出的相关指标）及成效；典型服务案例等情况。后附：年度审计报告"
             "及服务收支情况的专项审计报告，或上一年度包含服务收支情况的审计报告；在“信用中国”网站无不良记录和失信记录的证明材料；"
             "服务的“小巨人”企业签订服务协议复印件；与集聚的服务资源签订的合作协议复印件；开展相关服务的证明材料；能够证明符合申报条件的"
             "其他材料和对申报材料真实性的声明（加盖申报单位公章）。")
    row[0] += 1
    heading("六、校验规则一览")
    for i, h in enumerate(("级别", "规则编号", "依据", "说明"), start=1):
        L.header_cell(ws, row[0], i, h)
    row[0] += 1
    for r in spec.rules:
        vals = ("错误" if r.severity == "error" else "提醒", r.id, r.clause, _generic_message(r.message))
        for i, v in enumerate(vals, start=1):
            cell = ws.cell(row[0], i, v)
            cell.font, cell.border, cell.alignment = L.BODY_FONT, L.BOX, L.TOP_WRAP
        ws.row_dimensions[row[0]].height = 15 * max(1, -(-len(vals[3]) // 44)) + 4
        row[0] += 1
    L.page_setup(ws, landscape=False, print_rows=0, last_col=4, last_row=row[0] - 1)


def _generic_message(template: str) -> str:
    """A rule's message template with its placeholders shown as “…”."""
    import re
    return re.sub(r"\{[a-z_]+\}", "…", template)


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
    title_cols = (t.first_col + [f.key for f in t.fields].index(TITLE_THROUGH[sheet.key])
                  if sheet.key in TITLE_THROUGH else t.last_col)
    L.title_block(ws, label=sheet.label, title_formula=title_formula(spec, names, sheet.title),
                  third_line=third, last_col=title_cols, guide_sheet=guide)
    if sheet.key == "a4":
        _indicator_headers(ws, spec, t)
    rows = t.template_rows
    L.place_table(ws, t, rows)
    _validations(ws, t, rows, lists)
    first = t.header_row + 1
    ws.freeze_panes = ws.cell(first, 2 if sheet.key in ("a3", "a4") else 1).coordinate
    L.page_setup(ws, landscape=sheet.landscape, print_rows=t.header_row, last_col=t.last_col,
                 last_row=t.header_row + rows, pages_wide=PAGES_WIDE.get(sheet.key, 1),
                 repeat_first_col=sheet.key in PAGES_WIDE)


# 附3 prints two A4 widths (identity | products, ★, 简介), 附4 three (its 一级指标 groups); the first
# column (企业名称) repeats on every page. The title centres over what the first page shows.
PAGES_WIDE = {"a3": 2, "a4": 3}
TITLE_THROUGH = {"a3": "segment", "a4": "foreign_certs_y2"}


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
                _merged_header(ws, group_row, group_start, col - 1, group)
            group, group_start = ind.group, col
        _merged_header(ws, ind_row, col, col + n_periods - 1, ind.header, fill=L.HEADER_FILL)
        col += n_periods
    _merged_header(ws, group_row, group_start, col - 1, group)
    ws.row_dimensions[group_row].height = 20
    ws.row_dimensions[ind_row].height = 96


def _merged_header(ws, row, c1, c2, text, fill=L.GROUP_FILL):
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
                  third_line=None, last_col=first_table.last_col, guide_sheet=guide)
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


# ---------------------------------------------------------------- packaging

def _macro_packager():
    """The VBA/ribbon packager, or None when the macro sources are not installed (then the .xlsm
    is a valid macro-enabled package without a VBA project, and we say so)."""
    try:
        xlsm.macros_dir()
    except FileNotFoundError as e:
        print(f"提示：未找到宏源文件（{e}），生成的 .xlsm 不含宏。", file=sys.stderr)
        return None
    return xlsm


def mark_macro_enabled(path: Path) -> None:
    """Make an openpyxl .xlsx package a valid macro-enabled (.xlsm) one: the workbook part's content type."""
    path = Path(path)
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    fd, tmp = tempfile.mkstemp(suffix=".zip", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info, data in items:
                if info.filename == "[Content_Types].xml":
                    data = data.replace(XLSX_MAIN_CT.encode(), XLSM_MAIN_CT.encode())
                zout.writestr(info, data)
        shutil.move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
