"""Where everything sits on the fill-in forms (填报表), as data derived from the spec.

The city sends each key enterprise of 附1 an *enterprise form* (sheets 附3 and 附4) and each
platform of 附2 a *platform form* (sheet 附5), laid out as the seed lays them out: label → value,
not table rows.  This module says, for each form, which spec field sits in which cell under which
printed label; :mod:`xjr_excel.fillin.build` writes the cells, the collect side reads them back.
Labels, choices, hints and limits come from :func:`xjr_excel.spec.definition.get_spec` (never
retyped here); only the seed's printed guidance that the spec does not hold lives below.

API (stable; the reader of returned forms builds on it)
-------------------------------------------------------
``enterprise_layout(spec=None) -> FormLayout``   sheets 附3 and 附4
``platform_layout(spec=None, rows=None)``        sheet 附5 (``rows``: more blank sub-table rows)
``track_layout(spec=None) -> FormLayout``        sheet 目标完成情况 (per-enterprise tracking form)
``layout_for(kind, spec=None)``                  one of the above by ``FormLayout.kind``

``FormLayout``: ``kind`` (``ENTERPRISE``/``PLATFORM``/``TRACK``), ``version``, ``sheets``
(tuple of ``SheetLayout``), ``items()`` (every ``Item`` of every sheet), ``item(table, field)``,
``sheet(name)``, ``value_cells()`` → {(table, field): (sheet, range)} for single-value fields.

``SheetLayout``: ``name`` (附3 …), ``label`` (top-left 附3), ``title`` (spec title after
「××市第×批」), ``title_cell``, ``widths`` (column letter → width), ``last_col``, ``last_row``,
``items`` (label → value ``Item``s), ``indicators`` (附4/跟踪: ``IndicatorRow``s), ``periods``
(附4/跟踪: (period key, column header, column letter)), ``indicator_header_row``,
``subtables`` (附5: ``SubTable``s), ``notes`` (``Text``s printed: guidance, 注：…, signature),
``count_cell`` (附3: the live 企业简介 count), ``row_breaks`` (print: break after these rows),
``print_rows`` (rows repeated on every printed page), ``landscape``.

``Item`` (one label → one value): ``sheet``, ``table`` + ``field`` (spec keys; ``key`` is
"table.field"), ``label`` (exact printed text), ``label_cell``, ``value_range`` ("B6" or
"B19:D19" merged; ``value_cell`` its top-left), ``kind`` (``text``/``int``/``number``/``percent``/
``date``/``choice``/``industry``/``credit_code``/``long_text``/``year``), ``choices``, ``strict``
(False: dropdown suggests, free text allowed), ``max_len``, ``hint``, ``required``, ``locked``
(prefilled from the city workbook and protected; the enterprise cannot change it).

``IndicatorRow``: ``indicator`` (spec key), ``group`` (一级指标), ``label`` (二级指标 as printed),
``label_cell``, ``row``, ``cells`` (tuple of (period, table, field, cell)), ``kind``, ``choices``.
``indicator_groups(rows)`` → (一级指标, first row, last row) of each merged group cell (column A).

``SubTable`` (附5, one under the other): ``table`` (spec key), ``title``, ``title_cell``,
``header_row``, ``columns`` (``Column``: ``field``, ``header`` printed, ``first``/``last`` column
letters, a value may span merged columns), ``first_row``, ``rows`` (blank rows written; the
platform may insert more above ``end_row``), ``fixed`` (field → values prefilled and locked per
row, e.g. 年度: the two years before the submission year, filled in by the writer).

Checklist (附5 申请报告及附件): ``SheetLayout.items`` with ``table == CHECKLIST`` and
``field`` = the policy's attachment key; value 是/否.  Its printed label names the year
(``checklist_label(spec, key, year)``: 「2025年度审计报告…」), the layout's ``Item.label`` says 「上一年度…」.

Form marker: every form carries a very hidden sheet ``MARKER_SHEET`` (``_xjr_form``), two
columns key | value, rows ``MARKER_KEYS``: ``form`` (kind), ``version``, ``city``, ``batch``,
``year``, ``name`` (enterprise or platform), ``credit_code``, ``doc_no`` (认定文号), ``period``
(tracking: 满一年/满两年), ``source`` (the city workbook's file name), ``written`` (ISO time).
Read it with :func:`read_marker` from a calamine/openpyxl/xlwings grid.  A form that lost the
sheet (pasted into a new workbook, saved by WPS) is recognised by its labels: ``signature_labels``
lists, per kind, labels that appear on no other form of ours.
"""
from __future__ import annotations

from dataclasses import dataclass

from xjr_excel.ooxml.cells import column_letter as col, row_col
from xjr_excel.own_sheets import OWN_SHEET_PREFIX
from xjr_excel.spec import definition as S
from xjr_excel.spec.definition import Spec, get_spec

ENTERPRISE, PLATFORM, TRACK = "enterprise", "platform", "track"
VERSION = 1
MARKER_SHEET = OWN_SHEET_PREFIX + "form"       # very hidden; the reader skips _xjr_ sheets as data
LISTS_SHEET = OWN_SHEET_PREFIX + "lists"       # hidden: long dropdown lists (所属行业)
MARKER_KEYS = ("form", "version", "city", "batch", "year", "name", "credit_code", "doc_no", "period",
               "source", "written")
CHECKLIST = "a5_attach"          # pseudo table of 附5's 申请报告 checklist
PARAMS = "params"                # pseudo table of the locked 城市/批次/申报年度 cells
LONG_TEXT = "long_text"

# Seed guidance printed on the forms that the spec does not hold as field data (附3's cells and 注).
A3_SUBTITLE = "（组织具体企业填报）"
A3_INTRO_GUIDE = (
    "包括但不限于以下内容：\n"
    "一、企业经营管理概况。企业主营业务，所从事细分领域及从业时间，企业在细分领域的地位，企业经营战略等。\n"
    "二、企业主导产品情况。包括：主导产品关键领域补短板、关键核心技术攻关等情况；属于产业链、供应链的哪些关键环节；"
    "为行业龙头或大企业配套、协同创新情况；参与制定产品国际、国内及行业标准情况；近3年主导产品销售及市场占有率，"
    "主要客户群及销售地；企业主要竞争对手对比情况，与国际国内领先水平对比情况等。\n"
    "三、企业创新基本情况。包括：企业拥有核心自主知识产权情况，研发机构建设情况，研发经费的保障情况，创新团队情况等。")
A3_NOTES = "注：1.请优先组织符合★条件的企业填报。\n    2.“企业名称”须与工业和信息化部公布名称一致。"
A4_NOTES = "注：1.所有指标均需填报。\n2.“上年主营业务收入增长”不作为第一批重点“小巨人”企业的申报条件。"
A5_NOTES = "注：请按上表逐项准备申请报告及附件材料，与本表一并报送；“已附”选“是”表示已随表提交。"
ENTERPRISE_SIGN = "企业（盖章）："
PLATFORM_SIGN = "申请单位（盖章）："
DATE_SIGN = "日期：　　　　年　　月　　日"
TRACK_NOTE = ("注：初始值、目标值来自批准的申报材料，已锁定；请填写“实际值”，“完成”自动计算；"
              "有指标未完成的，须填写未完成原因。")
CHECKLIST_TITLE = "五、申请报告及附件材料（请在“已附”列选择是/否）"


@dataclass(frozen=True)
class Item:
    sheet: str
    table: str
    field: str
    label: str
    label_cell: str
    value_range: str
    kind: str
    choices: tuple[str, ...] = ()
    strict: bool = True
    max_len: int | None = None
    hint: str = ""
    required: bool = True
    locked: bool = False

    @property
    def key(self) -> str:
        return f"{self.table}.{self.field}"

    @property
    def value_cell(self) -> str:
        return self.value_range.split(":")[0]


@dataclass(frozen=True)
class IndicatorRow:
    indicator: str
    group: str
    label: str
    label_cell: str
    row: int
    cells: tuple[tuple[str, str, str, str], ...]     # (period, table, field, cell)
    kind: str
    choices: tuple[str, ...] = ()
    strict: bool = True
    hint: str = ""


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    first: str
    last: str

    @property
    def span(self) -> bool:
        return self.first != self.last


@dataclass(frozen=True)
class SubTable:
    table: str
    title: str
    title_cell: str
    header_row: int
    columns: tuple[Column, ...]
    first_row: int
    rows: int
    fixed: tuple[tuple[str, int], ...] = ()     # (field, number of locked prefilled rows)

    @property
    def end_row(self) -> int:
        return self.first_row + self.rows - 1

    def column(self, field: str) -> Column:
        for c in self.columns:
            if c.field == field:
                return c
        raise KeyError(field)


@dataclass(frozen=True)
class Text:
    """Printed text: a guidance line, a 注：note, a signature line (range may be merged)."""
    range: str
    text: str
    role: str            # subtitle / remark / guide / note / sign / section
    height: float = 0.0  # row height in points (0: default)


@dataclass(frozen=True)
class SheetLayout:
    name: str
    label: str
    title: str
    title_cell: str
    widths: tuple[tuple[str, float], ...]
    last_row: int
    items: tuple[Item, ...] = ()
    indicators: tuple[IndicatorRow, ...] = ()
    periods: tuple[tuple[str, str, str], ...] = ()
    indicator_header_row: int = 0
    subtables: tuple[SubTable, ...] = ()
    notes: tuple[Text, ...] = ()
    count_cell: str = ""
    row_breaks: tuple[int, ...] = ()
    print_rows: int = 3
    landscape: bool = False
    row_heights: tuple[tuple[int, float], ...] = ()

    @property
    def last_col(self) -> int:
        return len(self.widths)

    @property
    def title_range(self) -> str:
        return f"{self.title_cell}:{col(self.last_col)}{row_col(self.title_cell)[0]}"


@dataclass(frozen=True)
class FormLayout:
    kind: str
    version: int
    sheets: tuple[SheetLayout, ...]

    def items(self) -> list[Item]:
        return [i for s in self.sheets for i in s.items]

    def item(self, table: str, field: str) -> Item:
        for i in self.items():
            if i.table == table and i.field == field:
                return i
        raise KeyError(f"{table}.{field}")

    def sheet(self, name: str) -> SheetLayout:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)

    def value_cells(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(table, field) → (sheet, value range) for every single-value field (items and 附4 cells)."""
        out = {(i.table, i.field): (i.sheet, i.value_range) for i in self.items()}
        for s in self.sheets:
            for ind in s.indicators:
                for _period, table, fld, cell in ind.cells:
                    out[(table, fld)] = (s.name, cell)
        return out


# ---------------------------------------------------------------- helpers

def _label(f: S.Field) -> str:
    """The printed label of a field: its header on one line (the seed's wording)."""
    return f.header.replace("\n", "")


def _kind(f: S.Field) -> str:
    if f.type == S.TEXT and f.max_len and f.max_len >= 100:
        return LONG_TEXT
    return f.type


def _item(sheet: str, t: S.Table, key: str, label_cell: str, value_range: str, *, locked=False,
          label: str | None = None) -> Item:
    f = t.field(key)
    return Item(sheet, t.key, key, label or _label(f), label_cell, value_range, _kind(f), f.choices,
                f.strict_choices, f.max_len, f.hint, f.required, locked)


def _param_items(sheet: str, spec: Spec, cells: list[tuple[str, str, str]]) -> list[Item]:
    """城市/批次/申报年度 from the cover, locked: (cover key, label cell, value cell)."""
    out = []
    for key, lab, val in cells:
        cf = next(c for c in spec.cover if c.key == key)
        out.append(Item(sheet, PARAMS, key, cf.label, lab, val, cf.type, hint="由市级主管部门填写，已锁定",
                        locked=True))
    return out


def _years_before(spec: Spec) -> tuple[int, ...]:
    return tuple(spec.policy.raw["submission"]["history_years_before"])


# ---------------------------------------------------------------- enterprise form: 附3 + 附4

def _a3(spec: Spec) -> SheetLayout:
    sheet = spec.sheet("a3")
    t = spec.table("a3")
    name = sheet.name
    items = _param_items(name, spec, [("city", "A4", "B4"), ("batch", "C4", "D4"), ("year", "A5", "B5")])
    notes = [Text("A3:D3", A3_SUBTITLE, "subtitle"),
             Text("C5:D5", "以上及企业名称由市级主管部门填写，已锁定；请在黄色单元格填写。", "remark")]
    pairs = (
        (6, "name", "legal_rep"), (7, "credit_code", "staff"), (8, "reg_date", "capital"),
        (9, "size", "ownership"), (11, "industry", "segment"), (13, "product_category", "product_name"),
    )
    for row, left, right in pairs:
        items.append(_item(name, t, left, f"A{row}", f"B{row}", locked=left == "name"))
        items.append(_item(name, t, right, f"C{row}", f"D{row}"))
    ind = spec.policy.raw["industry"]["name"]
    notes += [
        Text("A10:D10", f"企业规模依据《中小企业划型标准规定》（{spec.policy.raw['size_standard']['name']}），"
                        "如出台新的划型标准，按最新标准执行。", "remark"),
        Text("A12:D12", f"所属行业按照《国民经济行业分类》({ind})的大类行业填写（从下拉列表选择）。", "remark"),
        Text("A14:D14", "主导产品类别：对照《统计用产品分类目录》，填写产品对应的第四级或第五级产品类别名称，并填写对应的8位或10位"
                        "数字代码。无法按该目录分类的，可按行业惯例分类。如是新产品请标明。", "remark", 28),
    ]
    for row, choice, detail in ((15, "four_base", "four_base_category"), (16, "fill_gap", "fill_gap_field"),
                                (17, "shortboard", "shortboard_field")):
        items.append(_item(name, t, choice, f"A{row}", f"B{row}"))
        items.append(_item(name, t, detail, f"C{row}", f"D{row}"))
    # 企业简介: the seed's guidance above (the whole width), the label left of the text, its live count
    # under the text; the label is merged down over the count row (a person reads label → text).
    items.append(_item(name, t, "intro", "A19", "B19:D19"))
    notes += [Text("A18:D18", "企业简介" + A3_INTRO_GUIDE, "guide", 96),
              Text("A21:D21", A3_NOTES, "note", 32),
              Text("A22:B22", ENTERPRISE_SIGN, "sign", 40), Text("C22:D22", DATE_SIGN, "sign", 40)]
    heights = ((4, 22), (5, 22), (6, 36), (7, 36), (8, 36), (9, 36), (11, 36), (13, 36), (15, 48), (16, 44), (17, 44),
               (19, 330), (20, 20), (10, 26), (12, 16))
    return SheetLayout(name=name, label=sheet.label, title=sheet.title, title_cell="A2",
                       widths=(("A", 20), ("B", 27), ("C", 19), ("D", 27)), last_row=22,
                       items=tuple(items), notes=tuple(notes), count_cell="B20",
                       row_breaks=(17,), print_rows=3, row_heights=heights)


def _indicator_rows(spec: Spec, t: S.Table, header_row: int, periods) -> list[IndicatorRow]:
    """附4's indicators one row each under ``header_row``, a value cell per (period, label, column) of
    ``periods``: the enterprise form's 目标表 and the tracking form's 完成情况 lay them out alike."""
    rows = []
    for r, ind in enumerate(spec.indicators, start=header_row + 1):
        cells = tuple((p, t.key, f"{ind.key}_{p}", f"{c}{r}") for p, _lab, c in periods)
        rows.append(IndicatorRow(ind.key, ind.group, ind.header, f"B{r}", r, cells, ind.type,
                                 ind.choices, ind.strict, ind.hint))
    return rows


def _a4(spec: Spec) -> SheetLayout:
    sheet = spec.sheet("a4")
    t = spec.table("a4")
    name = sheet.name
    items = [_item(name, t, "name", "A4", "B4:E4", locked=True, label="企业名称")]
    header_row = 5
    period_cols = ("C", "D", "E")
    periods = tuple((p, lab, c) for (p, lab), c in zip(spec.periods, period_cols))
    rows = _indicator_rows(spec, t, header_row, periods)
    last = header_row + len(rows)
    notes = (Text("A3:E3", A3_SUBTITLE, "subtitle"),
             Text(f"A{last + 1}:E{last + 1}", A4_NOTES, "note", 32),
             Text(f"A{last + 2}:B{last + 2}", ENTERPRISE_SIGN, "sign", 40),
             Text(f"C{last + 2}:E{last + 2}", DATE_SIGN, "sign", 40))
    return SheetLayout(name=name, label=sheet.label, title=sheet.title, title_cell="A2",
                       widths=(("A", 10), ("B", 46), ("C", 15), ("D", 15), ("E", 15)), last_row=last + 2,
                       items=tuple(items), indicators=tuple(rows), periods=periods,
                       indicator_header_row=header_row, notes=notes, print_rows=5)


def indicator_groups(rows) -> list[tuple[str, int, int]]:
    """(group, first row, last row) of consecutive indicator rows with the same 一级指标."""
    out: list[list] = []
    for r in rows:
        if out and out[-1][0] == r.group:
            out[-1][2] = r.row
        else:
            out.append([r.group, r.row, r.row])
    return [tuple(g) for g in out]



# ---------------------------------------------------------------- platform form: 附5

def _a5(spec: Spec, rows: tuple[tuple[str, int], ...] = ()) -> SheetLayout:
    sheet = spec.sheet("a5")
    name = sheet.name
    basic = spec.table("a5_basic")
    rows_cfg = {**spec.policy.raw["forms"]["platform_rows"], **dict(rows)}
    a2 = spec.table("a2")
    items = [_item(name, basic, "unit", "A3", "C3:F3", locked=True, label="申请单位（盖章）"),
             _item(name, a2, "doc_no", "A4", "C4:F4", locked=True, label="认定文号")]
    items += _param_items(name, spec, [("city", "A5", "B5"), ("batch", "C5", "D5"), ("year", "E5", "F5")])
    notes = [Text("A3:B3", "", "merge"), Text("A4:B4", "", "merge")]
    subtables = []
    notes.append(Text("A6:F6", basic.title, "section", 22))
    for row, fields in ((7, (("reg_date", "A", "B"), ("nature", "C", "D"), ("legal_rep", "E", "F"))),
                        (8, (("address", "A", "B:D"), ("postcode", "E", "F"))),
                        (9, (("contact", "A", "B"), ("phone", "C", "D"), ("mobile", "E", "F"))),
                        (10, (("website", "A", "B:D"), ("email", "E", "F")))):
        for key, lab, val in fields:
            first, _, last = val.partition(":")
            rng = f"{first}{row}" + (f":{last}{row}" if last else "")
            items.append(_item(name, basic, key, f"{lab}{row}", rng))
    r = 11
    years = len(_years_before(spec))

    def sub(key: str, spans: tuple[tuple[str, str, str], ...], n: int, fixed=(), title: str | None = None):
        nonlocal r
        t = spec.table(key)
        title_row, header = r, r + 1
        cols = tuple(Column(f, _label(t.field(f)) if f != "seq" else "序号", a, b) for f, a, b in spans)
        st = SubTable(key, title or t.title, f"A{title_row}", header, cols, header + 1, n, fixed)
        subtables.append(st)
        notes.append(Text(f"A{title_row}:F{title_row}", st.title, "section", 22))
        r = header + 1 + n
        return st

    sub("a5_ops", (("year", "A", "A"), ("revenue", "B", "B"), ("service_revenue", "C", "C"), ("assets", "D", "D"),
                   ("profit", "E", "E"), ("tax", "F", "F")), years, (("year", years),))
    sub("a5_res", (("resource", "A", "D"), ("field", "E", "F")), rows_cfg["a5_res"])
    sub("a5_tot", (("year", "A", "A"), ("activities", "B", "B"), ("enterprise_visits", "C", "C"),
                   ("agreements", "D", "D"), ("agreement_amount", "E", "F")), years, (("year", years),))
    sub("a5_srv", (("seq", "A", "A"), ("enterprise", "B", "B"), ("contact", "C", "C"), ("phone", "D", "D"),
                   ("summary", "E", "E"), ("satisfaction", "F", "F")), rows_cfg["a5_srv"])
    page_end = r - 1        # the checklist, notes and signature print together on the last page
    # 申请报告 checklist (seed 附2 注：… 后附): 材料 | 已附 是/否.
    notes.append(Text(f"A{r}:F{r}", CHECKLIST_TITLE, "section", 22))
    notes.append(Text(f"A{r + 1}:E{r + 1}", "材料", "header"))
    notes.append(Text(f"F{r + 1}", "已附", "header"))
    yes_no = tuple(spec.policy.choices["yes_no"])
    r += 2
    for att in spec.policy.raw["forms"]["platform_attachments"]:
        items.append(Item(name, CHECKLIST, att["key"], attachment_text(spec, att["text"]), f"A{r}", f"F{r}",
                          S.CHOICE, yes_no, hint="从下拉列表选择：是（已随表提交）/ 否"))
        notes.append(Text(f"A{r}:E{r}", "", "merge", 30))
        r += 1
    notes += [Text(f"A{r}:F{r}", A5_NOTES, "note", 20),
              Text(f"A{r + 1}:C{r + 1}", PLATFORM_SIGN, "sign", 40), Text(f"D{r + 1}:F{r + 1}", DATE_SIGN, "sign", 40)]
    return SheetLayout(name=name, label=sheet.label, title=sheet.title, title_cell="A2",
                       widths=(("A", 15), ("B", 17), ("C", 15), ("D", 15), ("E", 22), ("F", 15)), last_row=r + 1,
                       items=tuple(items), subtables=tuple(subtables), notes=tuple(notes), print_rows=2,
                       row_breaks=(page_end,),
                       row_heights=((8, 30), (10, 30)))


def checklist_label(spec: Spec, key: str, year: int | None) -> str:
    """The printed text of checklist item ``key`` for a submission ``year`` (the writer prints the
    year: 「2025年度审计报告…」; the layout's own ``Item.label`` says 「上一年度…」 where it is unknown)."""
    att = next(a for a in spec.policy.raw["forms"]["platform_attachments"] if a["key"] == key)
    return attachment_text(spec, att["text"], year)


def attachment_text(spec: Spec, text: str, year: int | None = None) -> str:
    """A checklist line with {prev_year} filled in (the year before the submission year when known)."""
    if year is None:
        return text.replace("{prev_year}", "上一")
    return text.replace("{prev_year}", str(year - 1))


# ---------------------------------------------------------------- tracking form: 目标完成情况

TRACK_SHEET = "目标完成情况"
TRACK_TITLE = "重点“小巨人”企业目标完成情况表"


def _track(spec: Spec) -> SheetLayout:
    from xjr_excel.track import spec as TS
    tspec = TS.track_spec_for(spec)
    t = tspec.table(TS.TABLE)
    name = TRACK_SHEET
    items = [_item(name, t, "name", "A4", "B4", locked=True, label="企业名称"),
             _item(name, t, "credit_code", "C4", "D4:F4", locked=True, label="统一社会信用代码")]
    items += _param_items(name, tspec, [("city", "A5", "B5"), ("batch", "C5", "D5"), ("period", "E5", "F5")])
    header_row = 6
    cols = ("C", "D", "E", "F")
    periods = tuple((p, lab, c) for (p, lab), c in zip(TS.PERIODS, cols))
    rows = _indicator_rows(spec, t, header_row, periods)
    last = header_row + len(rows)
    reason = t.field("reason")
    items.append(Item(name, t.key, "reason", _label(reason), f"A{last + 1}", f"B{last + 1}:F{last + 1}",
                      LONG_TEXT, max_len=reason.max_len, hint=reason.hint, required=False))
    notes = (Text(f"A{last + 2}:F{last + 2}", TRACK_NOTE, "note", 32),
             Text(f"A{last + 3}:C{last + 3}", ENTERPRISE_SIGN, "sign", 40),
             Text(f"D{last + 3}:F{last + 3}", DATE_SIGN, "sign", 40))
    return SheetLayout(name=name, label="跟踪表", title=TRACK_TITLE, title_cell="A2",
                       widths=(("A", 10), ("B", 44), ("C", 12), ("D", 12), ("E", 13), ("F", 9)), last_row=last + 3,
                       items=tuple(items), indicators=tuple(rows), periods=periods,
                       indicator_header_row=header_row, notes=notes, print_rows=6,
                       row_heights=((4, 30), (last + 1, 90)))


# ---------------------------------------------------------------- entry points

_CACHE: dict[tuple, tuple[Spec, FormLayout]] = {}     # (kind, id(spec), rows) → (spec kept alive, layout)


def layout_for(kind: str, spec: Spec | None = None, rows: dict[str, int] | None = None) -> FormLayout:
    """The layout of ``kind`` for ``spec`` (specs are cached singletons, see get_spec).

    ``rows`` (platform form only): blank rows of 附5's growing sub-tables (``a5_res``, ``a5_srv``)
    instead of the policy's ``[forms] platform_rows`` — the writer asks for more when the city
    already holds more rows; the rows below move down accordingly."""
    spec = spec or get_spec()
    if kind not in (ENTERPRISE, PLATFORM, TRACK):
        raise KeyError(kind)
    extra = tuple(sorted((rows or {}).items())) if kind == PLATFORM else ()
    kept = _CACHE.get((kind, id(spec), extra))
    if kept is None:
        sheets = {ENTERPRISE: lambda: (_a3(spec), _a4(spec)), PLATFORM: lambda: (_a5(spec, extra),),
                  TRACK: lambda: (_track(spec),)}[kind]()
        kept = _CACHE[(kind, id(spec), extra)] = (spec, FormLayout(kind, VERSION, sheets))
    return kept[1]


def enterprise_layout(spec: Spec | None = None) -> FormLayout:
    return layout_for(ENTERPRISE, spec)


def platform_layout(spec: Spec | None = None, rows: dict[str, int] | None = None) -> FormLayout:
    return layout_for(PLATFORM, spec, rows)


def track_layout(spec: Spec | None = None) -> FormLayout:
    return layout_for(TRACK, spec)


def signature_labels(kind: str) -> tuple[str, ...]:
    """Texts that are whole cells on every form of ``kind`` and all together on nothing else of ours
    (the other forms, the master workbook, city and tracking workbooks): enough to recognise a form
    that lost its marker.  (tests/test_forms.py checks this on the samples.)"""
    return {ENTERPRISE: (A3_SUBTITLE, ENTERPRISE_SIGN, "二级指标"),
            PLATFORM: ("申请单位（盖章）", CHECKLIST_TITLE, PLATFORM_SIGN),
            TRACK: (TRACK_NOTE, ENTERPRISE_SIGN, "实际值")}[kind]


# ---------------------------------------------------------------- the marker sheet

def marker_grid(values: dict) -> list[list]:
    """Rows of the marker sheet: key | value, in MARKER_KEYS order (missing values blank)."""
    return [[k, values.get(k)] for k in MARKER_KEYS]


def read_marker(grid: list[list] | None) -> dict | None:
    """The marker's values from a sheet grid (calamine ``to_python``, openpyxl ``values``, xlwings);
    None when the grid is not a marker of ours."""
    if not grid:
        return None
    out = {}
    for line in grid:
        if line and isinstance(line[0], str) and line[0] in MARKER_KEYS:
            v = line[1] if len(line) > 1 else None
            out[line[0]] = None if v == "" else v
    if out.get("form") not in (ENTERPRISE, PLATFORM, TRACK):
        return None
    for k in ("version", "batch", "year"):      # calamine hands numbers back as floats
        if isinstance(out.get(k), float) and out[k].is_integer():
            out[k] = int(out[k])
    return out


def cell_range_bounds(rng: str) -> tuple[int, int, int, int]:
    """"B19:D19" → (first row, first col, last row, last col)."""
    a, _, b = rng.partition(":")
    r1, c1 = row_col(a)
    r2, c2 = row_col(b or a)
    return r1, c1, r2, c2

