"""Write the tracking workbook (跟踪表) for one city: 填报说明, 封面, 目标完成情况, the record.

The 目标完成情况 sheet is laid out like 附4 (一级指标 over 二级指标 over the columns), one row per
enterprise.  Names, codes, 初始值 and 目标值 are written from the submission and locked (sheet
protection without a password: it prevents slips, the record catches the rest); 实际值 and
未完成原因 are the only input cells.  完成 is a live formula (track.met).
"""
from __future__ import annotations

import re
from copy import copy
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Protection

from xjr_excel.template import marks
from xjr_excel.errors import UserError
from xjr_excel.model import SEVERITY_LABEL
from xjr_excel.spec import definition as S
from xjr_excel.spec.definition import Spec
from xjr_excel.template import build
from xjr_excel.template import layout as L
from xjr_excel.track import met, record
from xjr_excel.track.source import Source
from xjr_excel.track.spec import LOCKED_KEYS, TABLE, locked, period_label

UNLOCKED = Protection(locked=False)
INDICATORS_PER_PAGE = 4          # 4 columns each: one A4 landscape width holds four indicators


def title_formula(spec: Spec) -> str:
    names = {c.key: c.defined_name for c in spec.cover}
    return (f'={names["city"]}&"第"&{names["batch"]}&"批"&{L.excel_string(spec.sheet(TABLE).title)}'
            f'&"（实施期"&{names["period"]}&"）"')


def build_tracking(path, source: Source, period: int, spec: Spec, force: bool = False) -> Path:
    """Write the tracking workbook to ``path`` (.xlsx, or .xlsm with the ribbon), atomically.

    An existing ``path`` is replaced only if it is a tracking workbook we built and nobody saved
    since (a city may have filled it in), or with ``force``."""
    path = Path(path)
    if path.suffix.lower() not in build.SUFFIXES:
        raise UserError(f"输出文件“{path.name}”的扩展名应为 .xlsx 或 .xlsm。")
    try:
        label = period_label(spec.policy, period)
    except ValueError as e:
        raise UserError(str(e)) from None
    return build.save_workbook(make_workbook(spec, source, label), path, spec, purpose="track",
                              inputs=(source.file,), force=force)


def make_workbook(spec: Spec, source: Source, period_label_: str) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {s.key: wb.create_sheet(s.name) for s in spec.sheets}
    _cover(wb, sheets["cover"], spec, source, period_label_)
    _guide(sheets["guide"], spec, period_label_)
    rec = _tracking_sheet(sheets[TABLE], spec, source, period_label_)
    record.write(wb, rec)
    marks.install_marks(wb, spec)
    wb.active = 0
    return wb


# ---------------------------------------------------------------- 封面

def _cover(wb, ws, spec: Spec, source: Source, label: str) -> None:
    c = source.cover
    build.cover_sheet(wb, ws, spec, {"city": c.get("city"), "batch": c.get("batch"), "year": c.get("year"),
                                      "department": c.get("department")})
    ws["A2"] = title_formula(spec)
    ws["A3"] = "城市、批次、申报年度和实施期在生成时写入，请勿修改；请填写部门、联系人、电话和日期。"
    values = {"period": label, "contact": c.get("contact"), "phone": c.get("phone")}
    for r, cf in enumerate(spec.cover, start=5):
        if cf.key in values and values[cf.key] is not None:
            ws.cell(r, 2, values[cf.key])


# ---------------------------------------------------------------- 填报说明

def _guide(ws, spec: Spec, label: str) -> None:
    e = spec.policy.eligibility
    names = {s.key: s.name for s in spec.sheets}
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 18
    ws.column_dimensions["D"].width = 76
    c = ws.cell(1, 1, title_formula(spec).replace("（实施期", "填报说明（实施期", 1))
    c.font, c.alignment = L.TITLE_FONT, L.CENTER_WRAP
    ws.merge_cells("A1:D1")
    ws.row_dimensions[1].height = 36
    orders = spec.policy.raw["tracking"]["met_order"]
    sections = [
        ("一、填报步骤", [
            f"在“{names['cover']}”填写部门、联系人、电话和填报日期。城市、批次、申报年度和实施期（{label}）在生成时写入，不要改动。",
            f"在“{names[TABLE]}”中逐家企业填写13项指标的“实际值”（黄色单元格）。企业名称、统一社会信用代码、初始值和目标值"
            "来自批准的申报材料，已锁定，不得修改；改动会在校验时报错。",
            "“完成”列自动计算。任何一项为“否”时，须在该企业的“未完成原因”中逐项说明。",
            "填好后点击“小巨人”选项卡中的“校验”（或运行 xjr validate 文件名），按“校验结果”逐条修改，直到没有错误，再报送省级主管部门。",
        ]),
        ("二、完成的判定", [
            "数值指标：实际值≥目标值为完成。",
            *[f"“{next(i.short for i in spec.indicators if i.key == k)}”：按 {' < '.join(v)} 的顺序，实际达到目标的档次为完成。"
              for k, v in orders.items()],
        ]),
        ("三、仍须符合的申报条件（不符合时给出警告）", [
            f"专业化：主营业务收入占营业收入比重≥{e['main_revenue_share_min']}%。",
            f"创新能力：研发经费支出占营业收入比重≥{e['rd_share_min']}%；有效发明专利≥{e['patents_min']}个、"
            f"研发机构≥{e['rd_institutions_min']}个、主持或参与制修订标准≥{e['standards_min']}个三项之一。",
            f"经营管理：质量管理体系认证≥{e['quality_certs_min']}项。",
            "未完成目标且无合理原因，或不再符合申报条件的企业，省级主管部门可撤销支持。",
        ]),
    ]
    row = 3
    for heading, paras in sections:
        ws.cell(row, 1, heading).font = L.LABEL_FONT
        ws.merge_cells(L.ref(1, row, 4, row))
        row += 1
        for n, text in enumerate(paras, start=1):
            ws.cell(row, 1, n).alignment = Alignment(horizontal="right", vertical="top")
            cell = ws.cell(row, 2, text)
            cell.alignment, cell.font = L.TOP_WRAP, L.BODY_FONT
            ws.merge_cells(L.ref(2, row, 4, row))
            ws.row_dimensions[row].height = 15 * max(1, -(-len(text) // 58)) + 4
            row += 1
        row += 1
    ws.cell(row, 1, "四、校验规则一览").font = L.LABEL_FONT
    row += 1
    for i, h in enumerate(("级别", "规则编号", "依据", "说明"), start=1):
        L.header_cell(ws, row, i, h)
    for r in spec.rules:
        row += 1
        vals = (SEVERITY_LABEL[r.severity], r.id, r.clause, re.sub(r"\{[a-z_]+\}", "…", r.message))
        for i, v in enumerate(vals, start=1):
            cell = ws.cell(row, i, v)
            cell.font, cell.border, cell.alignment = L.BODY_FONT, L.BOX, L.TOP_WRAP
        ws.row_dimensions[row].height = 15 * max(1, -(-len(vals[3]) // 44)) + 4
    L.page_setup(ws, landscape=False, print_rows=0, last_col=4, last_row=row)


# ---------------------------------------------------------------- 目标完成情况

def _tracking_sheet(ws, spec: Spec, source: Source, label: str) -> record.Record:
    t = spec.table(TABLE)
    sheet = spec.sheet(TABLE)
    target_of = spec.policy.raw["tracking"]["periods"]
    target_period = next(p["target"] for p in target_of.values() if p["label"] == label)
    cols = {f.key: t.first_col + i for i, f in enumerate(t.fields)}
    breaks = _breaks(spec, cols)
    L.title_block(ws, label=sheet.label, title_formula=title_formula(spec),
                  third_line=f"注：1.实际值为实施期{label}时的数值，所有指标均需填报。2.初始值、目标值来自批准的申报材料，已锁定。"
                             "3.“完成”自动计算；有“否”时须填写未完成原因。",
                  last_col=t.last_col, guide_sheet=spec.sheet("guide").name,
                  spans=build.blocks(t.first_col, breaks, t.last_col), repeated_cols=1)     # whole on every page
    _headers(ws, spec, t, cols)
    n = max(len(source.enterprises), 1)
    first = t.header_row + 1
    last = t.header_row + n
    table = L.place_table(ws, t, 1)        # one styled row; the others copy its styles (fast for thousands)
    for f in t.fields:
        if not locked(f) and not f.formula:     # 实际值, 未完成原因: the only input cells
            cell = ws.cell(first, cols[f.key])
            cell.protection = UNLOCKED
            cell.fill = L.INPUT_FILL
    styles = [(c, ws.cell(first, c)._style) for c in cols.values()]
    for r in range(first + 1, last + 1):
        for c, st in styles:
            ws.cell(r, c)._style = copy(st)
    table.ref = L.ref(t.first_col, t.header_row, t.last_col, last)
    rec = record.Record([f.key for f in t.fields if locked(f)], period=label)
    inds = {i.key: i for i in spec.indicators}
    for r, ent in enumerate(source.enterprises, start=first):
        values = {"name": ent.name, "credit_code": ent.credit_code}
        for ind in spec.indicators:
            values[f"{ind.key}_i0"] = ent.values.get(f"{ind.key}_i0")
            values[f"{ind.key}_target"] = ent.values.get(f"{ind.key}_{target_period}")
        rec.rows[r] = {k: values.get(k) for k in rec.keys}
        for f in t.fields:
            cell = ws.cell(r, cols[f.key])
            if f.key in values:
                cell.value = values[f.key]
            elif f.formula:
                ind = inds[f.indicator]
                cell.value = met.met_formula(spec.policy, ind, _a1(cols[f"{ind.key}_target"], r),
                                             _a1(cols[f"{ind.key}_actual"], r))
    for f in t.fields:
        if not locked(f) and not f.formula:
            c = cols[f.key]
            src = None
            if f.choices:
                src = f'"{",".join(f.choices)}"'
            ws.add_data_validation(L.validation_for(f, L.ref(c, first, c, last), list_source=src))
    ws.freeze_panes = ws.cell(first, 3).coordinate
    ws.protection.sheet = True
    ws.protection.formatColumns = ws.protection.formatRows = False     # widths and heights stay adjustable
    ws.protection.autoFilter = False
    L.page_setup(ws, landscape=True, print_rows=t.header_row, last_col=t.last_col, last_row=last,
                 col_breaks=breaks, repeat_first_col=True)
    return rec


def _a1(col: int, row: int) -> str:
    return f"{L.col(col)}{row}"


def _breaks(spec: Spec, cols: dict[str, int]) -> tuple[int, ...]:
    """Page breaks between indicators (never inside one), INDICATORS_PER_PAGE per A4 width."""
    keys = [i.key for i in spec.indicators]
    return tuple(cols[f"{keys[i]}_i0"] - 1 for i in range(INDICATORS_PER_PAGE, len(keys), INDICATORS_PER_PAGE))


def _headers(ws, spec: Spec, t: S.Table, cols: dict[str, int]) -> None:
    """一级指标 merged over its indicators, the full 二级指标 over its four columns (as 附4)."""
    group_row, ind_row = t.header_row - 2, t.header_row - 1
    for key in LOCKED_KEYS:      # 企业名称, 统一社会信用代码 span the three header rows
        c = cols[key]
        for r in (group_row, ind_row):
            L.header_cell(ws, r, c, None, fill=L.GROUP_FILL)
    L.header_cell(ws, group_row, cols["name"], "一级指标", fill=L.GROUP_FILL)
    L.header_cell(ws, ind_row, cols["name"], "二级指标", fill=L.GROUP_FILL)
    span = len(spec.periods)
    groups: dict[str, list[int]] = {}
    for ind in spec.indicators:
        c = cols[f"{ind.key}_i0"]
        groups.setdefault(ind.group, []).append(c)
        build.merged_header(ws, ind_row, c, c + span - 1, ind.header, fill=L.HEADER_FILL)
    for group, starts in groups.items():
        build.merged_header(ws, group_row, min(starts), max(starts) + span - 1, group)
    rc = cols["reason"]
    for r in (group_row, ind_row):
        L.header_cell(ws, r, rc, None, fill=L.GROUP_FILL)
    ws.row_dimensions[group_row].height = 20
    ws.row_dimensions[ind_row].height = 96

