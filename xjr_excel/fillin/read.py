"""Read a returned form (填报表) back by its labels, into the frames the city workbook's rows give.

Each label of the form's layout (:mod:`xjr_excel.fillin.layout`) is looked for anywhere on the
sheet, compared as names are (width, spaces, every bracket shape: ``read.normalize.name_key``;
also without a trailing「（…）」remark), and the value is taken from where the layout puts it
relative to the label.  So a form whose rows were moved, whose answers were pasted into a new
workbook, or whose sheets were renamed still reads right; a label that occurs twice on a sheet
(附5's 联系人, 年度) is taken where the other labels say the sheet has moved to.

Nothing is executed and the file is never written.  One read per sheet (python-calamine).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from statistics import median_low

from xjr_excel.fillin import layout as L
from xjr_excel.fillin.frames import FormTable, build_table
from xjr_excel.model import WorkbookData
from xjr_excel.ooxml.cells import address, row_col
from xjr_excel.own_sheets import is_own_sheet
from xjr_excel.read import normalize as N
from xjr_excel.spec import definition as S

MAX_LABEL_CHARS = 200            # longer cells are answers (企业简介), never a label
_PAREN_TAIL = re.compile(r"[（(][^（）()]*[）)]$")


# ---------------------------------------------------------------- grids

_last: dict = {}                  # the grids read for the last workbook asked about (its reader kept)


def cached_grid(read_grid, name: str) -> list[list]:
    """``read_grid(name)`` as lists, kept while the same reader asks again: the three forms' recognisers
    and the reader then read each sheet once."""
    if _last.get("reader") is not read_grid:
        _last.clear()
        _last["reader"], _last["grids"] = read_grid, {}
    grids = _last["grids"]
    if name not in grids:
        grids[name] = [list(r) for r in (read_grid(name) or [])]
    return grids[name]



# ---------------------------------------------------------------- labels

@lru_cache(maxsize=4096)
def label_key(text: str) -> str:
    """How a label compares: name_key, without ★ / * marks, quotes of one kind, no trailing colon."""
    t = N.name_key(N.strip_control(str(text))).replace("★", "").replace("*", "")
    return t.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'").rstrip(":")


@lru_cache(maxsize=4096)
def label_forms(text: str) -> tuple[str, ...]:
    """The label and its shorter forms (trailing remarks in brackets removed), longest first."""
    key = label_key(text)
    out = [key]
    while True:
        shorter = _PAREN_TAIL.sub("", out[-1])
        if not shorter or shorter == out[-1]:
            break
        out.append(shorter)
    return tuple(out)


@dataclass
class SheetIndex:
    """Every short text cell of one sheet by its label key: key → [(row, col)] (1-based)."""
    name: str
    grid: list[list]
    keys: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, grid: list[list]) -> "SheetIndex":
        idx = cls(name, grid)
        for r, row in enumerate(grid, start=1):
            for c, v in enumerate(row, start=1):
                if type(v) is str and v and len(v) <= MAX_LABEL_CHARS:
                    idx.keys.setdefault(label_key(v), []).append((r, c))
        return idx

    def find(self, label: str) -> list[tuple[int, int]]:
        for form in label_forms(label):
            if form in self.keys:
                return self.keys[form]
        return []

    def value(self, r: int, c: int):
        if r < 1 or c < 1 or r > len(self.grid):
            return None
        row = self.grid[r - 1]
        return row[c - 1] if c <= len(row) else None


@dataclass(frozen=True)
class Slot:
    """One answer cell of the layout: its label, where the label and the value are printed."""
    table: str
    key: str
    label: str
    label_at: tuple[int, int]
    value_at: tuple[int, int]


_MADE: dict[tuple[str, int], tuple] = {}       # (what, id(layout sheet)) → (layout kept alive, result)


def _once(what: str, sheet: L.SheetLayout, make):
    """``make(sheet)`` once per layout sheet (layouts are cached singletons): a form read costs no re-parsing."""
    key = (what, id(sheet))
    got = _MADE.get(key)
    if got is None or got[0] is not sheet:
        got = _MADE[key] = (sheet, make(sheet))
    return got[1]


def slots(sheet: L.SheetLayout) -> list[Slot]:
    """The label → value slots of a layout sheet (items and 附4/跟踪 indicator cells)."""
    return _once("slots", sheet, _slots)


def _slots(sheet: L.SheetLayout) -> list[Slot]:
    out = []
    for it in sheet.items:
        out.append(Slot(it.table, it.field, it.label, row_col(it.label_cell), row_col(it.value_cell)))
    for ind in sheet.indicators:
        for _period, table, fld, cell in ind.cells:
            out.append(Slot(table, fld, ind.label, row_col(ind.label_cell), row_col(cell)))
    return out


def _anchors(sheet: L.SheetLayout) -> list[tuple[str, tuple[int, int]]]:
    """Every label printed on the sheet with its layout cell (for recognising and aligning)."""
    return _once("anchors", sheet, _make_anchors)


def _make_anchors(sheet: L.SheetLayout) -> list[tuple[str, tuple[int, int]]]:
    out = [(it.label, row_col(it.label_cell)) for it in sheet.items]
    out += [(ind.label, row_col(ind.label_cell)) for ind in sheet.indicators]
    for st in sheet.subtables:
        out += [(c.header, row_col(f"{c.first}{st.header_row}")) for c in st.columns]
        out.append((st.title, row_col(st.title_cell)))
    return out


@dataclass
class Placed:
    """A layout sheet found on a workbook sheet: where its labels are."""
    layout: L.SheetLayout
    index: SheetIndex
    shift: tuple[int, int]                          # typical (rows, cols) the labels moved by
    found: dict[tuple[int, int], tuple[int, int]]   # layout label cell → found cell
    score: float                                    # share of the layout's labels found


def place(sheet: L.SheetLayout, idx: SheetIndex) -> Placed:
    """Where ``sheet``'s labels are on ``idx``: unique labels give the shift, the rest the nearest."""
    anchors = _anchors(sheet)
    unique = {}
    hits_of = [(label, at, idx.find(label)) for label, at in anchors]
    for label, at, hits in hits_of:
        if len(hits) == 1:
            unique[at] = hits[0]
    if unique:
        shift = (median_low([f[0] - a[0] for a, f in unique.items()]), median_low([f[1] - a[1] for a, f in unique.items()]))
    else:
        shift = (0, 0)
    found: dict = {}
    for label, at, hits in hits_of:
        if not hits:
            continue
        if at in unique:
            found[at] = unique[at]
            continue
        # the nearest occurrence to where the nearest unique label says this one has moved to
        local = shift
        if unique:
            near = min(unique, key=lambda a: (abs(a[0] - at[0]) + abs(a[1] - at[1])))
            local = (unique[near][0] - near[0], unique[near][1] - near[1])
        want = (at[0] + local[0], at[1] + local[1])
        found[at] = min(hits, key=lambda h: (abs(h[0] - want[0]) * 2 + abs(h[1] - want[1]), h))
    score = len(found) / max(1, len(anchors))
    return Placed(sheet, idx, shift, found, score)


# ---------------------------------------------------------------- the form as frames

@dataclass
class FormRead:
    """A returned form, read: its kind, what its marker says (if it kept it), its frames."""
    kind: str
    data: WorkbookData
    marker: dict | None
    by: str                               # "marker" or "labels": how it was recognised
    identity: dict                        # name, credit_code, doc_no as the form states them
    params: dict                          # city, batch, year, period as the form states them
    checklist: dict = field(default_factory=dict)     # 附5 申请报告 checklist: key → 是/否
    path: str = ""


def _sheet_names_match(layout_sheet: L.SheetLayout, spec: S.Spec, name: str) -> bool:
    wanted = {layout_sheet.name}
    for s in spec.sheets:
        if s.name == layout_sheet.name:
            wanted |= set(s.aliases)
    if layout_sheet.name == L.TRACK_SHEET:
        from xjr_excel.track import spec as TS
        wanted |= set(TS.TRACK_SHEETS)
    key = N.squash(N.half_width(name))
    return key in {N.squash(N.half_width(w)) for w in wanted}


def place_all(form: L.FormLayout, indexes: list[SheetIndex], spec: S.Spec) -> list[Placed]:
    """Each layout sheet on the workbook sheet that holds it: by name when it has its labels, else
    the sheet holding most of them (answers pasted into Sheet1 of a new workbook)."""
    out = []
    for sh in form.sheets:
        best = None
        named = [i for i in indexes if _sheet_names_match(sh, spec, i.name)]
        if named:                        # the usual case: the form's own sheet, its labels in place
            p = place(sh, named[0])
            if p.score >= 0.9:
                out.append(p)
                continue
        for idx in indexes:
            p = place(sh, idx)
            named = _sheet_names_match(sh, spec, idx.name)
            rank = (p.score >= 0.5 and named, p.score)
            if best is None or rank > best[0]:
                best = (rank, p)
        out.append(best[1] if best else Placed(sh, SheetIndex("", []), (0, 0), {}, 0.0))
    return out


def _value_at(p: Placed, slot: Slot):
    """The (value, found cell) of a slot: relative to its label where found, else shifted layout cell."""
    at = p.found.get(slot.label_at)
    if at is None:
        return None, None
    r = at[0] + slot.value_at[0] - slot.label_at[0]
    c = at[1] + slot.value_at[1] - slot.label_at[1]
    return p.index.value(r, c), (r, c)


def _subtable_rows(p: Placed, st: L.SubTable, stops: list[int]) -> tuple[list[dict], dict, dict]:
    """Records of a 附5 sub-table: rows under its header until the next section (rows may have
    been inserted), each kept when a field other than 序号 holds something."""
    header_at = {}
    for col in st.columns:
        got = p.found.get(row_col(f"{col.first}{st.header_row}"))
        if got is not None:
            header_at[col.field] = got
    if not header_at:
        return [], {}, {}
    hdr = median_low([rc[0] for rc in header_at.values()])
    cshift = median_low([header_at[c.field][1] - row_col(f"{c.first}{st.header_row}")[1] for c in st.columns if c.field in header_at])
    cols = {c.field: header_at.get(c.field, (hdr, row_col(f"{c.first}1")[1] + cshift))[1] for c in st.columns}
    end = min([s for s in stops if s > hdr], default=hdr + st.rows + 1)
    records, addresses = [], {}
    for r in range(hdr + 1, end):
        rec = {k: p.index.value(r, c) for k, c in cols.items()}
        content = [v for k, v in rec.items() if k != "seq" and v not in (None, "")]
        if not content or all(isinstance(v, str) and not v.strip() for v in content):
            continue
        records.append(rec)
        n = len(records)
        for k, c in cols.items():
            addresses[(n, k)] = address(r, c)
    labels = {k: address(hdr, c) for k, c in cols.items()}
    return records, addresses, labels


def _stops(p: Placed) -> list[int]:
    """Rows where a 附5 section begins (sub-table titles, the checklist, notes): a sub-table ends there."""
    rows = []
    for st in p.layout.subtables:
        got = p.found.get(row_col(st.title_cell))
        if got:
            rows.append(got[0])
    for t in p.layout.notes:
        if t.role in ("section", "note") and t.text:
            rows += [r for r, _ in p.index.find(t.text)]
    for it in p.layout.items:
        if it.table == L.CHECKLIST:
            got = p.found.get(row_col(it.label_cell))
            if got:
                rows.append(got[0])
    return sorted(set(rows))


def read_placed(kind: str, placed: list[Placed], spec: S.Spec, *, file: str, marker: dict | None,
                sheet_names: list[str], percent_cells=None) -> FormRead:
    """The frames of a form whose layout sheets were placed on the workbook's sheets."""
    from xjr_excel.read.workbook import cover_value        # the reader's own cover parsing
    from xjr_excel.findings import make
    from xjr_excel.fillin.specs import spec_for
    form_spec = spec_for(kind, spec)
    per_table: dict[str, dict] = {}      # table → {"sheet", "rec", "addr", "labels"}
    params, params_cells, checklist, identity = {}, {}, {}, {}
    findings = []
    for p in placed:
        sheet = p.index.name or p.layout.name
        for slot in slots(p.layout):
            value, at = _value_at(p, slot)
            if slot.table == L.PARAMS:
                if at is not None:
                    params[slot.key] = value
                    params_cells[slot.key] = (sheet, address(*at))
                continue
            if slot.table == L.CHECKLIST:
                checklist[slot.key] = value
                continue
            if slot.table == "a2":             # 认定文号: the city's, locked; identifies the platform
                identity["doc_no"] = value
                continue
            t = per_table.setdefault(slot.table, {"sheet": sheet, "rec": {}, "addr": {}, "labels": {}})
            t["labels"][slot.key] = address(*p.found[slot.label_at]) if slot.label_at in p.found \
                else address(*slot.label_at)
            if at is None:
                continue
            t["rec"][slot.key] = value
            t["addr"][(1, slot.key)] = address(*at)
        stops = _stops(p) if p.layout.subtables else []
        for st in p.layout.subtables:
            records, addr, labels = _subtable_rows(p, st, stops)
            per_table[st.table] = {"sheet": sheet, "records": records, "addr": addr, "labels": labels}
    # who the form is for
    main = {L.ENTERPRISE: ("a3", "name"), L.PLATFORM: ("a5_basic", "unit"), L.TRACK: ("track", "name")}[kind]
    typed_name = per_table.get(main[0], {}).get("rec", {}).get(main[1])
    identity["name"] = N.clean_text(typed_name) if typed_name not in (None, "") else None
    code_table = {L.ENTERPRISE: "a3", L.TRACK: "track"}.get(kind)
    if code_table:
        code = per_table.get(code_table, {}).get("rec", {}).get("credit_code")
        identity["credit_code"] = N.clean_text(code) if code not in (None, "") else None
    # tables of the spec, each value at the form's own cell
    tables: dict[str, FormTable] = {}
    pct = percent_cells or (lambda sheet, cells: set())
    for tkey, t in per_table.items():
        table = form_spec.table(tkey)
        records = t.get("records")
        if records is None:
            records = [t["rec"]]
        if kind == L.ENTERPRISE and tkey == "a4" and not records[0].get("name"):
            records[0]["name"] = typed_name           # 附4's name is 附3's when the form lost it
        if kind == L.PLATFORM and tkey != "a5_basic":
            unit_cell = per_table.get("a5_basic", {}).get("addr", {}).get((1, "unit"))
            for n, rec in enumerate(records, start=1):      # every 附5 row belongs to the platform
                rec["unit"] = typed_name
                if unit_cell:
                    t["addr"][(n, "unit")] = unit_cell
        # 0.85 reads as 85 only in a %-formatted cell: asked only for numbers in (0, 1] (most forms have none)
        percent_fields = {f.key for f in table.fields if f.type == S.PERCENT}
        recs = {n: rec for n, rec in enumerate(records, start=1)}
        wanted = {row_col(a) for (n, k), a in t["addr"].items() if k in percent_fields and a
                  and _fraction(recs.get(n, {}).get(k))}
        in_pct = {address(*rc) for rc in pct(t["sheet"], wanted)} if wanted else set()
        td = build_table(table, t["sheet"], records, {k: v for k, v in t["addr"].items() if v},
                         t["labels"], in_pct)
        tables[tkey] = td
        for key in td.missing:              # a label we could not find: said once, where it belongs
            f = table.field(key)
            if f.required and not f.formula and key not in ("unit",) and not (tkey == "a4" and key == "name"):
                findings.append(make(form_spec, "file.column_missing", file=file, sheet=t["sheet"],
                                     cell=td.cell(None, key), field=f.label, value=""))
    cover = {}
    for cf in form_spec.cover:
        v = params.get(cf.key)
        if v in (None, "") and marker is not None:
            v = marker.get(cf.key)
        cover[cf.key] = cover_value(cf, v) if v not in (None, "") else None
    if cover.get("year") is None and marker is not None and marker.get("year") is not None:
        cover["year"] = cover_value(next(c for c in spec.cover if c.key == "year"), marker["year"])
    data = WorkbookData(file=file, spec=form_spec, tables=tables, cover=cover, cover_cells=params_cells,
                        findings=findings, sheet_names=sheet_names)
    if kind == L.TRACK and "track" in tables:
        data.record = own_record(tables["track"], (marker or {}).get("period") or cover.get("period"))
    return FormRead(kind=kind, data=data, marker=marker, by="marker" if marker else "labels",
                    identity=identity, params={k: cover.get(k) for k in ("city", "batch", "year", "period")},
                    checklist=checklist, path=file)


def _fraction(v) -> bool:
    return (type(v) is float or type(v) is int) and 0 < abs(v) <= 1


def own_record(td: FormTable, period, values: dict | None = None):
    """A tracking form's record of its locked cells (names, 初始值, 目标值): ``values`` (key → value, from
    the tracking workbook the form came from) when known, else the form's own values, so a form read
    alone is not reported as lacking the tracking workbook's hidden record."""
    from xjr_excel.track import record, spec as TS
    keys = [f.key for f in td.table.fields if TS.locked(f) and f.key in td.columns]
    own = {k: td.frame.at[1, k] for k in keys} if len(td.frame) else {}
    if values is not None:
        own = {k: values.get(k) for k in keys}
    own = {k: (v.text if hasattr(v, "reason") else v) for k, v in own.items()}
    return record.Record(keys, {1: own} if len(td.frame) else {}, period)


# ---------------------------------------------------------------- recognising a workbook

def recognise(indexes: list[SheetIndex], marker: dict | None, spec: S.Spec) -> tuple[str | None, list[Placed]]:
    """(kind, placed sheets) of the form these sheets are; kind None when they are no form of ours.
    The marker names the kind; without it the labels do: a kind whose own signature labels are
    there and most of whose labels are found."""
    from xjr_excel.fillin.specs import submission_of
    spec = submission_of(spec)
    kinds = [marker["form"]] if marker else [L.ENTERPRISE, L.PLATFORM, L.TRACK]
    best = None
    for kind in kinds:
        form = L.layout_for(kind, spec)
        placed = place_all(form, indexes, spec)
        score = sum(p.score for p in placed) / len(placed)
        if marker is None:
            # the kind's signature labels all together (each alone may be on another form), most labels found
            sig = all(any(idx.find(lab) for idx in indexes) for lab in L.signature_labels(kind))
            if not sig or score < 0.5:
                continue
        if best is None or score > best[0]:
            best = (score, kind, placed)
    if best is None:
        return None, []
    return best[1], best[2]


def read_grids(kind: str, path, spec: S.Spec, read_grid, sheet_names) -> FormRead:
    """The registry's reader (``Form.read``): a workbook recognised as a form of ``kind``, its sheets
    given by ``read_grid`` (calamine's or a live Excel's)."""
    from xjr_excel.fillin.specs import submission_of
    base = submission_of(spec)
    names = list(sheet_names)
    marker = L.read_marker(cached_grid(read_grid, L.MARKER_SHEET)) if L.MARKER_SHEET in names else None
    indexes = [SheetIndex.of(n, cached_grid(read_grid, n)) for n in names if not is_own_sheet(n)]
    placed = place_all(L.layout_for(kind, base), indexes, base)
    holder: dict = {}

    def percent(sheet, cells):            # the package's styles, opened only when a fraction needs them
        p = Path(str(path))
        if p.suffix.lower() not in (".xlsx", ".xlsm") or not p.exists():
            return set()
        if "parts" not in holder:
            from xjr_excel.read.sheet_xml import XlsxParts
            holder["parts"] = XlsxParts(p)
        return holder["parts"].percent_cells(sheet, cells)
    try:
        return read_placed(kind, placed, base, file=str(path), marker=marker,
                           sheet_names=[n for n in names if not is_own_sheet(n)], percent_cells=percent)
    finally:
        if "parts" in holder:
            holder["parts"].close()


def read_form(path, spec: S.Spec | None = None) -> FormRead:
    """Read a returned form from ``path`` (.xlsx/.xlsm/.xls/.ods), after the guard; raises the coded
    refusals of :mod:`xjr_excel.errors` for what is no form of ours."""
    from python_calamine import CalamineWorkbook

    from xjr_excel.errors import InputRejected
    from xjr_excel.guard import check as guard
    spec = spec or S.get_spec()
    info = guard.check_file(path)
    path = Path(path)
    try:
        book = CalamineWorkbook.from_path(os.fspath(path))
    except Exception as e:   # noqa: BLE001 - calamine raises its own types
        raise InputRejected(f"无法读取该工作簿（{e}）。文件可能已损坏，请在Excel或WPS中打开后另存为.xlsx再交回。",
                            file=str(path), kind="damaged") from None
    holder: dict = {}
    try:
        metas = [m for m in book.sheets_metadata if "Work" in str(m.typ)]
        names = [m.name for m in metas]
        marker = None
        if L.MARKER_SHEET in names:
            marker = L.read_marker(book.get_sheet_by_name(L.MARKER_SHEET).to_python(skip_empty_area=False))
        indexes = []
        for name in names:
            if is_own_sheet(name):
                continue
            try:
                grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as e:  # noqa: BLE001 - a damaged sheet part
                raise InputRejected(f"工作表“{name}”已损坏，无法读取（{type(e).__name__}）。请在Excel或WPS中打开该文件，"
                                    f"确认内容无误后另存为.xlsx再交回。", file=str(path), kind="damaged") from None
            indexes.append(SheetIndex.of(name, [list(r) for r in grid]))
        kind, placed = recognise(indexes, marker, spec)
        if kind is None:
            raise unknown_form(path, indexes, spec)
        def percent(sheet, cells):        # the package's styles, opened only when a fraction needs them
            if info.kind not in ("xlsx", "xlsm"):
                return set()
            if "parts" not in holder:
                from xjr_excel.read.sheet_xml import XlsxParts
                holder["parts"] = XlsxParts(path)
            return holder["parts"].percent_cells(sheet, cells)
        return read_placed(kind, placed, spec, file=str(path), marker=marker,
                           sheet_names=[n for n in names if not is_own_sheet(n)], percent_cells=percent)
    finally:
        if "parts" in holder:
            holder["parts"].close()
        book.close()


def unknown_form(path, indexes: list[SheetIndex], spec: S.Spec):
    """The refusal for a workbook that is none of our forms, saying which form to use."""
    from xjr_excel.errors import InputRejected
    names = [i.name for i in indexes]
    city = {spec.sheet(k).name for k in ("a1", "a2")} <= set(names)
    if city:
        msg = ("这是城市申报工作簿（含附1、附2），不是企业或平台交回的填报表。回收时请把它作为第一个参数"
               "（xjr collect 城市工作簿 填报表…），填报表放在其后。")
    else:
        msg = ("无法识别为本工具下发的填报表：找不到填报表上的栏目（如“企业名称”“法定代表人”“（组织具体企业填报）”"
               "或“申请单位（盖章）”）。重点“小巨人”企业请使用下发的《企业填报表》（附3、附4），示范平台请使用"
               "《平台填报表》（附5），年度跟踪请使用《目标完成情况填报表》；可由市级主管部门用 xjr forms 重新生成。")
    return InputRejected(msg, file=str(path), kind="form_unknown")
