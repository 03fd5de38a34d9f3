"""Write the fill-in forms (``xjr forms``): one plain .xlsx per enterprise / platform.

Cells come from :mod:`xjr_excel.fillin.layout`; values from :mod:`xjr_excel.fillin.sources`.
Every sheet is protected **without a password** (Excel: 审阅 → 撤消工作表保护) so that only the
yellow input cells take typing; prefilled identity cells (城市, 批次, 申报年度, 名称, 信用代码 /
认定文号, 附4 and 跟踪表 initial values and targets) are grey and locked.  Dropdowns, input hints
and number checks are Excel data validations within Excel's limits (``ooxml.excel_limits``);
text is always written as text (``ooxml.safe_text``); files are written atomically and never over
a file that is not ours (``atomic``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.pagebreak import Break

from xjr_excel import atomic
from xjr_excel.errors import UserError
from xjr_excel.fillin import layout as FL
from xjr_excel.fillin.sources import Form, sound_code
from xjr_excel.ooxml.cells import abs_ref, column_number, row_col
from xjr_excel.ooxml.excel_limits import fit_validation
from xjr_excel.ooxml.safe_text import set_text
from xjr_excel.spec import definition as S
from xjr_excel.spec.definition import Spec
from xjr_excel.template import layout as L
from xjr_excel.template.build import nonblank

PURPOSE = "forms"
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")
UNLOCKED = Protection(locked=False)
REMARK_FONT = Font(name=L.FONT, size=9, color="555555")
SIGN_FONT = Font(name=L.FONT, size=11)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
NUMBER_KINDS = (S.INT, S.NUMBER, S.PERCENT, S.YEAR)
MAX_STEM = 80                      # characters of the name kept in a file name (Windows paths ≤ 260)
_ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
PREFIX = {FL.ENTERPRISE: "附3附4", FL.PLATFORM: "附5", FL.TRACK: "目标完成情况"}


# ---------------------------------------------------------------- file names

def safe_stem(text: str) -> str:
    """A Windows-safe file-name part: no illegal or control characters, no trailing dot or space,
    not a reserved device name, at most MAX_STEM characters."""
    t = _ILLEGAL.sub("_", text).strip().rstrip(". ")
    t = t[:MAX_STEM].rstrip(". ") or "未命名"
    if t.split(".")[0].upper() in _RESERVED:
        t = "_" + t
    return t


def file_names(forms: list[Form]) -> list[str]:
    """One distinct name per form (Windows compares names case-insensitively): 附3附4-企业名称.xlsx,
    附5-平台名称.xlsx, 目标完成情况-企业名称.xlsx; a repeat gets -2, -3…"""
    seen: set[str] = set()
    out = []
    for f in forms:
        base = f"{PREFIX[f.kind]}-{safe_stem(f.name)}"
        name, n = f"{base}.xlsx", 1
        while name.casefold() in seen:
            n += 1
            name = f"{base}-{n}.xlsx"
        seen.add(name.casefold())
        out.append(name)
    return out


# ---------------------------------------------------------------- one form

@dataclass
class _Lists:
    """Dropdown sources: inline when short, else a column of the hidden _xjr_lists sheet."""
    wb: Workbook
    ws: object = None
    by_items: dict = field(default_factory=dict)

    def source(self, choices: tuple[str, ...]) -> str | None:
        if not choices:
            return None
        inline = ",".join(choices)
        if len(inline) <= L.INLINE_LIST_MAX and not any("," in c or '"' in c for c in choices):
            return f'"{inline}"'
        if choices not in self.by_items:
            if self.ws is None:
                self.ws = self.wb.create_sheet(FL.LISTS_SHEET)
                self.ws.sheet_state = "hidden"
                self.ws.protection.sheet = True
            c = len(self.by_items) + 1
            for r, v in enumerate(choices, start=1):
                set_text(self.ws.cell(r, c), v)
            name = f"XJR_FormList{c}"
            self.wb.defined_names[name] = DefinedName(name, attr_text=abs_ref(FL.LISTS_SHEET, c, 1, c, len(choices)))
            self.by_items[choices] = name
        return self.by_items[choices]


def _field(spec: Spec, item: FL.Item) -> S.Field:
    """The spec field behind a layout item (for its validation), or one made of the item's own data."""
    try:
        return spec.table(item.table).field(item.field)
    except KeyError:
        kind = S.TEXT if item.kind == FL.LONG_TEXT else item.kind
        return S.Field(item.field, item.label, kind, item.choices, required=item.required, hint=item.hint,
                       max_len=item.max_len)


def _box(ws, rng: str, *, fill=None, font=L.BODY_FONT, align=L.LEFT_WRAP, value=None, fmt=None, unlocked=False):
    """Style every cell of ``rng`` (a merged range keeps its borders), merge it, set the value."""
    r1, c1, r2, c2 = FL.cell_range_bounds(rng)
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            cell = ws.cell(r, c)
            cell.border = L.BOX
            cell.font = font
            cell.alignment = align
            if fill is not None:
                cell.fill = fill
            if fmt:
                cell.number_format = fmt
            if unlocked:
                cell.protection = UNLOCKED
    if (r1, c1) != (r2, c2):
        ws.merge_cells(rng)
    top = ws.cell(r1, c1)
    if value is not None:
        if isinstance(value, str):
            set_text(top, value)
        else:
            top.value = value
    return top


def _fmt(kind: str) -> str:
    return S.NUMBER_FORMATS.get(kind, "@" if kind == FL.LONG_TEXT else "General")


def _value_cell(ws, spec: Spec, lists: _Lists, item: FL.Item, value, *, locked: bool | None = None) -> None:
    locked = item.locked if locked is None else locked
    align = L.TOP_WRAP if item.kind == FL.LONG_TEXT else (
        CENTER if item.kind in NUMBER_KINDS + (S.DATE,) else L.LEFT_WRAP)
    _box(ws, item.value_range, fill=LOCKED_FILL if locked else L.INPUT_FILL, align=align, value=value,
         fmt=_fmt(item.kind), unlocked=not locked)
    f = _field(spec, item)
    if locked:
        dv = L.validation_for(S.Field(f.key, f.header, S.TEXT, hint="由市级主管部门填写，已锁定"),
                              item.value_range, list_source=None)
        dv.prompt = f"{item.label}：由市级主管部门填写，已锁定。"
        ws.add_data_validation(dv)
        return
    src = lists.source(item.choices) if item.choices else None
    dv = L.validation_for(f, item.value_range, list_source=src)
    dv.promptTitle = item.label[:32]
    fit_validation(dv)
    ws.add_data_validation(dv)


def _label_cell(ws, rng: str, text: str):
    _box(ws, rng, fill=L.HEADER_FILL, font=L.LABEL_FONT, align=CENTER, value=text)


def _title(ws, sl: FL.SheetLayout, params: dict) -> str:
    text = title_text(sl, params)
    ws.cell(1, 1, sl.label).font = L.LABEL_FONT
    c = set_text(ws.cell(2, 1), text)
    c.font = L.TITLE_FONT
    c.alignment = CENTER
    ws.merge_cells(sl.title_range)
    ws.row_dimensions[2].height = 40
    return text


def title_text(sl: FL.SheetLayout, params: dict) -> str:
    """The seed's 「××市第×批…」 title from the cover's city and batch."""
    return f"{params.get('city') or ''}第{params.get('batch') or ''}批{sl.title}"


def _notes(ws, sl: FL.SheetLayout) -> None:
    for t in sl.notes:
        font, fill, align = L.BODY_FONT, None, L.LEFT_WRAP
        if t.role == "remark":
            font = REMARK_FONT
        elif t.role in ("section", "header"):
            font, fill = L.LABEL_FONT, (L.GROUP_FILL if t.role == "section" else L.HEADER_FILL)
            align = CENTER if t.role == "header" else L.LEFT_WRAP
        elif t.role == "guide":
            font, align = REMARK_FONT, L.TOP_WRAP
        elif t.role == "sign":
            font = SIGN_FONT
        elif t.role == "subtitle":
            align = CENTER
        if t.role == "merge":
            r1, c1, r2, c2 = FL.cell_range_bounds(t.range)
            if (r1, c1) != (r2, c2):
                ws.merge_cells(t.range)
        else:
            border = t.role not in ("sign", "subtitle", "note")
            _box(ws, t.range, fill=fill, font=font, align=align, value=t.text or None)
            if not border:
                r1, c1, r2, c2 = FL.cell_range_bounds(t.range)
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        ws.cell(r, c).border = L.Border()
        if t.height:
            ws.row_dimensions[row_col(t.range.split(":")[0])[0]].height = t.height


def _items(ws, spec: Spec, lists: _Lists, sl: FL.SheetLayout, form: Form) -> None:
    year = form.values.get((FL.PARAMS, "year"))
    for item in sl.items:
        if item.table == FL.CHECKLIST:        # a line of text the platform ticks, not a field name
            _box(ws, item.label_cell, value=FL.checklist_label(spec, item.field, year))
        else:
            _label_cell(ws, item.label_cell, item.label)
        locked = item.locked or (item.table == "a3" and item.field == "credit_code"
                                 and sound_code(form.values.get(("a3", "credit_code"))))
        _value_cell(ws, spec, lists, item, form.values.get((item.table, item.field)), locked=locked)


def _indicators(ws, spec: Spec, lists: _Lists, sl: FL.SheetLayout, form: Form, *, track: bool = False) -> None:
    hr = sl.indicator_header_row
    _label_cell(ws, f"A{hr}", "一级指标")
    _label_cell(ws, f"B{hr}", "二级指标")
    for _p, label, c in sl.periods:
        _label_cell(ws, f"{c}{hr}", label)
    ws.row_dimensions[hr].height = 32
    for group, first, last in FL.indicator_groups(sl.indicators):
        _box(ws, f"A{first}:A{last}", fill=L.HEADER_FILL, font=L.LABEL_FONT, align=CENTER, value=group)
    table = spec.table("a4") if not track else None
    from xjr_excel.track import met, spec as TS
    tspec = TS.track_spec_for(spec)
    inds = {i.key: i for i in spec.indicators}
    for row in sl.indicators:
        _box(ws, row.label_cell, font=L.BODY_FONT, align=L.LEFT_WRAP, value=row.label)
        ws.row_dimensions[row.row].height = max(30, 14 * L.wrapped_lines(row.label, 44) + 6)
        cells = {p: cell for p, _t, _f, cell in row.cells}
        for period, tkey, fkey, cell in row.cells:
            f = (table or tspec.table(TS.TABLE)).field(fkey)
            value = form.values.get((tkey, fkey))
            item = FL.Item(sl.name, tkey, fkey, f.label, row.label_cell, cell, f.type, f.choices,
                           f.strict_choices, f.max_len, f.hint, f.required,
                           locked=track and period in TS.LOCKED_PERIODS)
            if track and period == "met":
                c = _box(ws, cell, fill=LOCKED_FILL, align=CENTER)
                c.value = met.met_formula(spec.policy, inds[row.indicator], cells["target"], cells["actual"])
                continue
            _value_cell(ws, tspec if track else spec, lists, item, value)


def _subtables(ws, spec: Spec, lists: _Lists, sl: FL.SheetLayout, form: Form) -> None:
    year = form.values.get((FL.PARAMS, "year"))
    years = [year - d for d in spec.policy.raw["submission"]["history_years_before"]] if isinstance(year, int) else []
    for st in sl.subtables:
        t = spec.table(st.table)
        for c in st.columns:
            _label_cell(ws, f"{c.first}{st.header_row}:{c.last}{st.header_row}", c.header)
        ws.row_dimensions[st.header_row].height = 30
        have = list(form.rows.get(st.table, []))
        fixed = dict(st.fixed)
        if "year" in fixed:           # one row per history year, the city's values where it has that year
            by_year = {r.get("year"): r for r in have}
            rows = [{**by_year.get(y, {}), "year": y} for y in years] or [{}] * st.rows
        else:
            rows = have + [{}] * (st.rows - len(have))
        widths = {c.field: sum(dict(sl.widths)[FL.col(k)] for k in range(column_number(c.first), column_number(c.last) + 1))
                  for c in st.columns}
        for i, rec in enumerate(rows[:st.rows]):
            r = st.first_row + i
            lines = max((L.wrapped_lines(str(rec[k]), widths[k] - 2) for k in widths if rec.get(k) is not None),
                        default=1)
            ws.row_dimensions[r].height = max(22, 14 * lines + 6)      # the city's long names stay readable
            for c in st.columns:
                f = t.field(c.field)
                value = rec.get(c.field)
                if c.field == "seq" and value is None:
                    value = i + 1
                rng = f"{c.first}{r}" + (f":{c.last}{r}" if c.span else "")
                item = FL.Item(sl.name, st.table, c.field, c.header, "", rng, f.type, f.choices, f.strict_choices,
                               f.max_len, f.hint, f.required, locked=c.field in fixed)
                _value_cell(ws, spec, lists, item, value)


def _print(ws, sl: FL.SheetLayout, header: str) -> None:
    L.print_frame(ws, landscape=sl.landscape, header=header)
    ws.print_title_rows = f"1:{sl.print_rows}"
    ws.print_area = f"A1:{FL.col(sl.last_col)}{sl.last_row}"
    if sl.row_breaks:
        # Manual breaks need a fixed scale (fit-to-page ignores them); the columns fit A4 at this scale.
        for r in sl.row_breaks:
            ws.row_breaks.append(Break(id=r))
        width = L._width_cm(ws, range(1, sl.last_col + 1))
        # 0.68: LibreOffice lays CJK columns out ~1.4x wider than Excel (see template.layout.page_setup)
        ws.page_setup.scale = max(10, min(100, int(L.printable_width_cm(sl.landscape) / width * 100 * 0.68)))
    else:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if sl.indicators else 0


def _protect(ws) -> None:
    """Only the unlocked (yellow) cells take input; no password (审阅 → 撤消工作表保护)."""
    p = ws.protection
    p.sheet = True
    p.formatColumns = p.formatRows = False      # widths and heights stay adjustable
    p.insertRows = False                        # 附5: room for more rows
    p.autoFilter = False


def make_form(spec: Spec, form: Form, layout: FL.FormLayout) -> Workbook:
    """The openpyxl workbook of one form (not saved)."""
    wb = Workbook()
    wb.remove(wb.active)
    lists = _Lists(wb)
    params = {k: form.values.get((FL.PARAMS, k)) for k in ("city", "batch", "year")}
    for sl in layout.sheets:
        ws = wb.create_sheet(sl.name)
        for letter, width in sl.widths:
            ws.column_dimensions[letter].width = width
        title = _title(ws, sl, params)
        _notes(ws, sl)
        _items(ws, spec, lists, sl, form)
        if sl.indicators:
            _indicators(ws, spec, lists, sl, form, track=layout.kind == FL.TRACK)
        if sl.subtables:
            _subtables(ws, spec, lists, sl, form)
        if sl.count_cell:
            intro = layout.item("a3", "intro")
            limit = intro.max_len
            ref = intro.value_cell
            n = f"LEN({nonblank(ref)})"
            c = _box(ws, f"{sl.count_cell}:{FL.col(sl.last_col)}{row_col(sl.count_cell)[0]}", font=REMARK_FONT,
                     align=Alignment(horizontal="right", vertical="center"))
            c.value = (f'="已填"&{n}&"字（限{limit}字，不计空白）"&IF({n}>{limit},"，超出"&({n}-{limit})&"字，请删减","")')
            _box(ws, f"A{row_col(intro.label_cell)[0]}:A{row_col(sl.count_cell)[0]}", fill=L.HEADER_FILL,
                 font=L.LABEL_FONT, align=CENTER, value=intro.label)
        for r, h in sl.row_heights:
            ws.row_dimensions[r].height = h
        _print(ws, sl, f"{title}　{form.name}")
        _protect(ws)
    if lists.ws is not None:        # made while the first sheet was written: after the form's sheets
        wb.move_sheet(lists.ws, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(FL.LISTS_SHEET))
    marker = wb.create_sheet(FL.MARKER_SHEET)
    for line in FL.marker_grid({**form.marker, "version": layout.version}):
        marker.append([line[0], line[1] if not isinstance(line[1], str) else line[1]])
    for row in marker.iter_rows():
        for c in row:
            if isinstance(c.value, str):
                set_text(c, c.value)
    marker.sheet_state = "veryHidden"
    marker.protection.sheet = True
    wb.active = 0
    return wb


def layout_of(spec: Spec, form: Form) -> FL.FormLayout:
    if form.kind != FL.PLATFORM:
        return FL.layout_for(form.kind, spec)
    base = spec.policy.raw["forms"]["platform_rows"]
    rows = {k: max(n, len(form.rows.get(k, [])) + 2) for k, n in base.items()
            if len(form.rows.get(k, [])) > n - 1}
    return FL.platform_layout(spec, rows or None)


def write_form(path: Path, spec: Spec, form: Form, *, inputs: tuple = (), force: bool = False) -> Path:
    wb = make_form(spec, form, layout_of(spec, form))
    with atomic.atomic_path(path, inputs=inputs, purpose=PURPOSE, force=force) as tmp:
        atomic.save_workbook(wb, tmp, PURPOSE)
    return path


# ---------------------------------------------------------------- a whole city / tracking workbook

@dataclass
class Result:
    written: list[tuple[Form, Path]] = field(default_factory=list)
    failed: list[tuple[Form, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def forms_of(book, spec: Spec | None = None) -> tuple[Spec, list[Form], list[str]]:
    """Every form of a city workbook file (enterprises, then platforms) or of a tracking workbook."""
    from xjr_excel.read.workbook import read_workbook
    return forms_of_data(read_workbook(book, spec=spec or S.get_spec()))


def forms_of_data(data) -> tuple[Spec, list[Form], list[str]]:
    """The same from a workbook already read (the ribbon reads the open workbook through xlwings)."""
    from xjr_excel.fillin import sources
    if data.spec.form == "track":
        forms, notes = sources.track_forms(data)
        return _submission_of(data.spec), forms, notes
    ents, plats, notes = sources.city_forms(data)
    return data.spec, ents + plats, notes


def _submission_of(track_spec: Spec) -> Spec:
    """The submission spec a tracking spec was made from (same policy)."""
    from xjr_excel.track.spec import _BY_SUBMISSION
    for sub, tspec in _BY_SUBMISSION.values():
        if tspec is track_spec:
            return sub
    return S.get_spec()


def build_forms(book, out_dir, *, spec: Spec | None = None, force: bool = False) -> Result:
    """Write one form per enterprise / platform of ``book`` into ``out_dir`` (created when missing).
    One form that cannot be written is reported and the others are still written."""
    _check_folder(out_dir)
    return write_forms(*forms_of(book, spec), out_dir, inputs=(book,), force=force, source=book)


def _check_folder(out_dir) -> None:
    out = Path(out_dir)
    if out.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".pdf"):
        raise UserError(f"-o 应为输出文件夹（每家企业、每个平台一个填报表），而不是文件“{out.name}”。")


def write_forms(spec: Spec, forms: list[Form], notes: list[str], out_dir, *, inputs: tuple = (),
                force: bool = False, source="") -> Result:
    _check_folder(out_dir)
    if not forms:
        raise UserError(f"“{Path(str(source)).name}”的附1、附2中没有企业或平台，无法生成填报表。", file=str(source),
                        kind="no_forms")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = Result(notes=notes)
    for form, name in zip(forms, file_names(forms)):
        target = out / name
        try:
            write_form(target, spec, form, inputs=inputs, force=force)
            result.written.append((form, target))
        except UserError as e:
            result.failed.append((form, e.message))
        except Exception as e:  # noqa: BLE001 - one broken form never stops the batch
            result.failed.append((form, f"{type(e).__name__}: {e}"))
    return result
