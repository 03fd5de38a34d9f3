"""Read a city workbook into one frame per spec table, finding the tables by their headers.

Tables are found by the spec, not by position: renamed sheets (附件1), moved or
inserted columns, headers with line breaks or spaces, blank rows, merged cells.
Nothing in the file is executed and the file is never written.

What a careful official would expect, and what we do:
- blank rows inside a table are skipped; a row counts as a record when any
  field other than 序号 holds something;
- a note row (「注：…」) ends the table;
- hidden rows that hold data are read and checked like any other row (they are
  in the file the province receives), and reported as ``file.hidden_row``
  warnings so nothing slips through unseen; hidden blank rows are ignored;
- a merged cell's value applies to every cell of the merged range (Excel keeps
  it only in the top-left cell), e.g. one 申请单位 merged over two year rows;
- formula results are read as last calculated (cached values); error results
  (#DIV/0! …) become ``cell.formula_error`` findings;
- values are normalised for checking only (see :mod:`xjr_excel.read.normalize`);
  ``TableData.raw`` keeps what the user typed.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from collections.abc import Mapping
from typing import Callable

import numpy as np
import pandas as pd

from xjr_excel.read import normalize as N
from xjr_excel.spec import definition as S
from xjr_excel.errors import InputRejected
from xjr_excel.findings import make
from xjr_excel.model import TableData, Unparsed, WorkbookData
from xjr_excel.ooxml.cells import address
from xjr_excel.own_sheets import is_own_sheet
from xjr_excel import forms

HEADER_SCAN_ROWS = 60        # header rows are near the top; inserted title rows move them a little
NOTE_RE = re.compile(r"^(注|说明|备注)\s*[0-9０-９一二三四五六七八九]*\s*[：:]")

PercentLookup = Callable[[str, set], set]


# ---------------------------------------------------------------- header matching

def _header_key(text: str) -> str:
    t = N.squash(N.half_width(N.strip_control(str(text)))).replace("★", "").replace("*", "")
    return t.replace("“", "\"").replace("”", "\"").replace("：", ":").rstrip(":")


_PAREN_TAIL = re.compile(r"\([^()]*\)$")


def _forms(text: str) -> set[str]:
    """The full header and its shorter forms: first line, and without a trailing (…) remark."""
    full = _header_key(text)
    first = _header_key(str(text).split("\n")[0])
    out = {full, first}
    for t in (full, first):
        stripped = _PAREN_TAIL.sub("", t)
        while stripped and stripped != t:
            out.add(stripped)
            t, stripped = stripped, _PAREN_TAIL.sub("", stripped)
    out.discard("")
    return out


@lru_cache(maxsize=64)
def _field_forms(table: S.Table) -> dict[str, list[str]]:
    """header form → field keys; short forms only when they name one field of the table."""
    exact: dict[str, list[str]] = {}
    short: dict[str, list[str]] = {}
    for f in table.fields:
        for text in (f.header, *f.aliases):
            key = _header_key(text)
            exact.setdefault(key, [])
            if f.key not in exact[key]:
                exact[key].append(f.key)
            for form in _forms(text) - {key}:
                short.setdefault(form, [])
                if f.key not in short[form]:
                    short[form].append(f.key)
    out = dict(exact)
    for form, keys in short.items():
        if form not in out and len(keys) == 1:
            out[form] = keys
    return out


@lru_cache(maxsize=8192)
def _cell_forms(value: str) -> tuple[str, frozenset]:
    return _header_key(value), frozenset(_forms(value))


MAX_HEADER_CHARS = 120     # longer cells are data (企业简介…), never a header


def _cell_matches(value, forms: dict[str, list[str]]) -> list[str]:
    if type(value) is not str or not value or len(value) > MAX_HEADER_CHARS:
        return []
    key, all_forms = _cell_forms(value)
    if key in forms:
        return forms[key]
    for form in all_forms:
        if form in forms:
            return forms[form]
    return []


def _headerish(row: list, span: tuple[int, int]) -> int:
    """How many cells of ``row[span]`` could match a header (see _cell_matches)."""
    return sum(1 for v in row[span[0]:span[1] + 1] if type(v) is str and v and len(v) <= MAX_HEADER_CHARS)


def _blocks(row: list) -> list[tuple[int, int]]:
    """Contiguous runs of non-empty cells (0-based inclusive bounds)."""
    out, start = [], None
    for i, v in enumerate(row + [None]):
        filled = v is not None and v != "" and not (isinstance(v, str) and not v.strip())
        if filled and start is None:
            start = i
        elif not filled and start is not None:
            out.append((start, i - 1))
            start = None
    return out


@dataclass
class _Located:
    row: int                 # 0-based header row
    columns: dict[str, int]  # field key → 0-based column
    span: tuple[int, int]
    score: int


def _split_at_starters(row: list, spans: list[tuple[int, int]], starters: dict) -> list[tuple[int, int]]:
    """Side-by-side tables whose blank separator column was deleted: every 附5 table starts with
    申请单位, so a block is also cut before each repeated first-column header."""
    out = []
    for a, b in spans:
        start = a
        for c in range(a + 1, b + 1):
            if _cell_matches(row[c], starters):
                out.append((start, c - 1))
                start = c
        out.append((start, b))
    return out


def _locate_in_sheet(grid: list[list], table: S.Table, *, multi: bool,
                     taken: set[tuple[int, int, int]], starters: dict | None = None) -> _Located | None:
    forms = _field_forms(table)
    best: _Located | None = None
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        if not any(isinstance(v, str) and v for v in row):
            continue
        spans = _blocks(list(row)) if multi else [(0, len(row) - 1)]
        if multi and starters:
            spans = _split_at_starters(row, spans, starters)
        for span in spans:
            if (r, *span) in taken:
                continue
            # each column names at most one field: a span with no more header-like cells than the
            # best so far cannot beat it (most rows: the data under the header), so skip matching
            if best is not None and _headerish(row, span) <= best.score:
                continue
            cols: dict[str, int] = {}
            for c in range(span[0], span[1] + 1):
                for key in _cell_matches(row[c], forms):
                    if key not in cols:
                        cols[key] = c
                        break
            if cols and (best is None or len(cols) > best.score):
                best = _Located(r, cols, span, len(cols))
    return best


# ---------------------------------------------------------------- the workbook

@dataclass
class _Sheet:
    name: str
    grid: list[list]
    hidden_rows: set[int] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


def _prepare(sheet: _Sheet) -> None:
    """Put formula errors back into the grid and spread merged values over their ranges."""
    g = sheet.grid
    for (r, c), text in sheet.errors.items():
        if r - 1 < len(g) and c - 1 < len(g[r - 1]) and g[r - 1][c - 1] in ("", None):
            g[r - 1][c - 1] = text
    for r1, c1, r2, c2 in sheet.merged:
        if r1 - 1 >= len(g):
            continue
        top = g[r1 - 1][c1 - 1] if c1 - 1 < len(g[r1 - 1]) else None
        if top in ("", None):
            continue
        for r in range(r1 - 1, min(r2, len(g))):
            row = g[r]
            for c in range(c1 - 1, min(c2, len(row))):
                if row[c] in ("", None):
                    row[c] = top


@lru_cache(maxsize=16)
def _starters(tables: tuple) -> dict:
    """Header forms of the first field of each table sharing a sheet, when they all share it."""
    firsts = {t.fields[0].key for t in tables}
    if len(firsts) != 1:
        return {}
    return {k: v for k, v in _field_forms(tables[0]).items() if v == [tables[0].fields[0].key]}


def _sheet_key(name: str) -> str:
    return N.squash(N.half_width(name))


def _find_sheet(spec: S.Spec, table: S.Table, sheets: dict[str, _Sheet]) -> list[str]:
    """Candidate sheet names for a table: by name/alias first, then every other sheet."""
    sh = spec.sheet(table.sheet)
    wanted = {_sheet_key(n) for n in (sh.name, *sh.aliases)}
    named = [n for n in sheets if _sheet_key(n) in wanted]
    return named + [n for n in sheets if n not in named]


_BLANKISH = N.BOXES + "/、|"


def _is_blank(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        c = v[:1]
        if c and not c.isspace() and c not in _BLANKISH:     # the usual case: real content
            return False
        t = N.squash(v)
        return not t or all(ch in N.BOXES + "/、|" for ch in t)
    return False


def _read_table(spec: S.Spec, table: S.Table, sheet: _Sheet, loc: _Located, file: str,
                percent_lookup: PercentLookup | None, findings: list) -> TableData:
    grid = sheet.grid
    fields = table.fields
    cols = loc.columns
    content = [f.key for f in fields if f.key in cols and f.key != "seq" and not f.formula]
    content_cols = [cols[k] for k in content]
    all_cols = [cols[f.key] if f.key in cols else None for f in fields]
    keys = [f.key for f in fields]
    # The body as one object array: blank rows, note rows and repeated headers are found with
    # whole-array comparisons instead of a Python loop over every cell.
    used = [c for c in all_cols if c is not None]
    lo, hi = min(loc.span[0], *used), max(loc.span[1], *used) + 1
    body = grid[loc.row + 1:]
    width = hi - lo
    block = [r[lo:hi] if len(r) >= hi else list(r[lo:hi]) + [None] * (width - len(r[lo:hi])) for r in body]
    arr = np.empty((len(block), width), dtype=object)
    if block:
        arr[:, :] = block
    content_idx = [c - lo for c in content_cols]
    sub = arr[:, content_idx]
    empty = (sub == "") | pd.isna(sub)
    keep = ~empty.all(axis=1)
    # cells holding only spaces or empty tick boxes ("□是 □否") do not make a record
    first = empty.argmin(axis=1)           # first non-empty content cell of each row
    for i in np.flatnonzero(keep):
        v = sub[i, first[i]]
        if type(v) is str and _is_blank(v):    # rare: look at the whole row
            if all(type(x) is str and _is_blank(x) for x in sub[i][~empty[i]]):
                keep[i] = False
    # a note row (「注：…」, in the first columns of the table) ends the table
    end = len(block)
    first_cols = range(loc.span[0] - lo, min(loc.span[0] - lo + 2, width))
    for c in first_cols:
        col = arr[:, c]
        for i, v in enumerate(col):
            if i >= end:
                break
            if type(v) is str and v[:1] in "注说备 \u3000" and NOTE_RE.match(v.strip()):
                end = i
                break
    keep[end:] = False
    # a header row pasted again inside the data (same text as the header)
    header = grid[loc.row]
    hvals = np.array([header[c] if c < len(header) else None for c in content_cols], dtype=object)
    if len(content_idx):
        same = (sub == hvals).sum(axis=1)
        keep &= ~(same > max(1, len(content_cols) // 2))
    picked = np.flatnonzero(keep)
    rows_idx = [int(i) + loc.row + 2 for i in picked]
    chosen = arr[picked]
    data_cols = {k: (chosen[:, c - lo].tolist() if c is not None else [None] * len(picked))
                 for k, c in zip(keys, all_cols)}
    index = pd.Index(rows_idx, name="row", dtype=int)
    raw = _object_frame({k: _display_column(data_cols[k]) for k in keys}, index, keys)
    columns: dict[str, list] = {}
    for f in fields:
        values = data_cols[f.key]
        pct: set = set()
        if f.type == S.PERCENT and f.key in cols and percent_lookup is not None:
            c1 = cols[f.key] + 1
            wanted = {(r, c1) for r, v in zip(rows_idx, values)
                      if (type(v) is float or type(v) is int) and 0 < abs(v) <= 1} \
                if _may_hold_fractions(values) else set()
            if wanted:
                pct = percent_lookup(sheet.name, wanted)
        columns[f.key] = _normalise_column(f, values, rows_idx, cols.get(f.key), pct)
    # object columns keep None for blank (not NaN), so rules can tell "blank" from a value
    frame = _object_frame(columns, index, keys)
    # hidden rows that hold data: reported, still read (see module docstring)
    for r in rows_idx:
        if r in sheet.hidden_rows:
            findings.append(make(spec, "file.hidden_row", file=file, sheet=sheet.name,
                                 cell=address(r, min(cols.values()) + 1), value=r))
    td = TableData(table=table, sheet=sheet.name, frame=frame, raw=raw,
                   columns={k: c + 1 for k, c in cols.items()}, header_row=loc.row + 1,
                   missing=[f.key for f in fields if f.key not in cols])
    return td


def _may_hold_fractions(values: list) -> bool:
    """False when no value is a number in (0, 1] (most percent columns): decided on the distinct values."""
    if not set(map(type, values)) <= _KEYABLE | {int}:    # bool (== 1) or unusual values: every cell counts
        return True
    return any((type(v) is float or type(v) is int) and 0 < abs(v) <= 1 for v in set(values))


def _object_frame(columns: dict[str, list], index: pd.Index, keys: list[str]) -> pd.DataFrame:
    """One object column per key, straight from the lists, as one 2-D block (pandas builds and
    checks a frame of separate columns column by column: most of the cost of a small table)."""
    block = np.empty((len(index), len(keys)), dtype=object)
    for j, key in enumerate(keys):
        block[:, j] = np.fromiter(columns[key], dtype=object, count=len(index))   # values never broadcast
    return pd.DataFrame(block, index=index, columns=keys, dtype=object, copy=False)


def _normalise_column(f: S.Field, values: list, rows: list[int], col0: int | None, pct: set) -> list:
    if col0 is None:
        return [None] * len(values)
    t = f.type
    if t == S.PERCENT and pct:          # 0.85 reads as 85 only in a %-formatted cell: cell by cell
        c1 = col0 + 1
        return [None if v is None or v == "" else N.normalise(f, v, percent_cell=(r, c1) in pct)
                for r, v in zip(rows, values)]
    # fast paths for what calamine already typed correctly
    if t in (S.NUMBER, S.INT):
        integer = t == S.INT

        def one(v):
            tv = type(v)
            if tv is int or (tv is float and (not integer or v.is_integer())):
                return int(v) if integer else (int(v) if v.is_integer() else v) if tv is float else v
            return None if v is None or v == "" else N.normalise(f, v)
    elif t == S.PERCENT:
        def one(v):
            tv = type(v)
            if tv is float or tv is int:
                return int(v) if tv is float and v.is_integer() else v
            return None if v is None or v == "" else N.normalise(f, v, percent_cell=False)
    elif t == S.TEXT:
        def one(v):
            # plain text typed cleanly (the usual case) needs no work
            if type(v) is str and len(v) > 4 and v.isprintable() and v[0] not in " #\u3000" and v[-1] not in " \u3000":
                return v
            if type(v) is str and v and not N.is_formula_error(v):
                text = N.clean_text(v)
                return None if N.is_blank_token(text) else text
            return N.normalise(f, v) if v not in ("", None) else None
    else:
        def one(v):
            return None if v is None or v == "" else N.normalise(f, v)
    return _per_distinct(one, values)


# Cell values that are equal only when they are the same value of the same type.  int joins them
# when no float is in the column: True == 1 == 1.0 compare equal but read differently.
_KEYABLE = frozenset({str, float, type(None), dt.date, dt.datetime, dt.time, dt.timedelta})


def _per_distinct(fn, values: list, kinds: set | None = None) -> list:
    """``[fn(v) for v in values]`` with ``fn`` called once per distinct value: columns repeat a
    handful of values (是/否, 中型, 0, 85 …), and the mapping itself then runs at C speed."""
    kinds = set(map(type, values)) if kinds is None else kinds
    if not (kinds - {int} <= _KEYABLE and not (int in kinds and float in kinds)):
        return [fn(v) for v in values]
    table = {v: fn(v) for v in set(values)}
    return list(map(table.__getitem__, values))


def _display_one(v) -> str:
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    if t is float or t is int:
        return _display_fast(v)
    return N.display(v)


def _display_column(values: list) -> list[str]:
    """The cells as text, each distinct value formatted once."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return list(values)
    return _per_distinct(_display_one, values, kinds)


def _display_fast(v) -> str:
    t = type(v)
    if t is float:
        return str(int(v)) if v.is_integer() else repr(v)
    if t is int:
        return str(v)
    return N.display(v)


def _read_cover(spec: S.Spec, sheets: dict[str, _Sheet], file: str, findings: list):
    cover_names = {_sheet_key(spec.sheet("cover").name)}
    order = [n for n in sheets if _sheet_key(n) in cover_names] + [n for n in sheets if _sheet_key(n) not in cover_names]
    values, cells = {}, {}
    labels = {_header_key(c.label): c for c in spec.cover}
    for name in order:
        grid = sheets[name].grid
        for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
            for c, v in enumerate(row):
                if not isinstance(v, str) or not v:
                    continue
                cf, inline = _cover_label(v, labels)
                if cf is None or cf.key in cells:
                    continue
                if inline is not None:          # 「城市：南京市」 in one cell
                    cells[cf.key] = (name, address(r + 1, c + 1))
                    values[cf.key] = _cover_value(cf, inline)
                    continue
                # the value is the cell right of the label (the template puts a hint further right)
                value = row[c + 1] if c + 1 < len(row) else None
                cells[cf.key] = (name, address(r + 1, c + 2))
                values[cf.key] = _cover_value(cf, value)
        if len(cells) == len(spec.cover):
            break
        if cells:          # the cover sheet was found; labels missing there are missing
            break
    pol = spec.policy.raw["submission"]
    defaults = {"city": pol["default_city"], "batch": pol["default_batch"], "year": pol["default_year"]}
    cover_sheet = next(iter(order), "")
    for cf in spec.cover:
        if values.get(cf.key) is None:
            if cf.required:
                sheet, cell = cells.get(cf.key, (cover_sheet if cells else "", ""))
                findings.append(make(spec, "file.cover_missing", file=file, sheet=sheet, cell=cell, field=cf.label))
            if cf.key in defaults:
                values[cf.key] = defaults[cf.key]
    return values, cells


def _cover_label(text: str, labels: dict):
    """(cover field, inline value or None) when ``text`` is a cover label."""
    key = _header_key(text)
    if key in labels:
        return labels[key], None
    for form in _forms(text):
        if form in labels:
            return labels[form], None
    head, sep, rest = N.half_width(text).partition(":")
    if sep and _header_key(head) in labels and rest.strip():
        return labels[_header_key(head)], rest.strip()
    return None, None


def _cover_value(cf: S.CoverField, value):
    if cf.type == S.INT:
        n = N.to_number(value, integer=True)
        if isinstance(n, Unparsed) and cf.key == "batch":     # 「第3批」「三」 mean 3
            m = re.fullmatch(r"第?([0-9]+|[零一二三四五六七八九十]+)批?", N.squash(N.half_width(n.text)))
            if m:
                k = int(m[1]) if m[1].isdigit() else N.chinese_to_int(m[1])
                return k if k else n
        return n
    if cf.type == S.YEAR:
        return N.to_year(value)
    if cf.type == S.DATE:
        return N.to_date(value)
    return N.to_text(value)


class _Sheets(Mapping):
    """The sheets by name, in workbook order.  Each is loaded and prepared on first use, so the
    reader works on the first tables while calamine still parses the later sheets.  A load
    error is kept and raised again on every use (``load_all`` reports the first, in order)."""

    def __init__(self, names: list[str], load: Callable[[str], _Sheet]):
        self._names = list(names)
        self._load = load
        self._done: dict[str, _Sheet | Exception] = {}

    def __getitem__(self, name: str) -> _Sheet:
        if name not in self._done:
            if name not in self._names:
                raise KeyError(name)
            try:
                sheet = self._load(name)
                _prepare(sheet)
                self._done[name] = sheet
            except Exception as e:  # noqa: BLE001 - kept, raised below and on every later use
                self._done[name] = e
        got = self._done[name]
        if isinstance(got, Exception):
            raise got
        return got

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def load_all(self) -> None:
        for name in self._names:
            self[name]


def _read(sheets: _Sheets, *, file: str, spec: S.Spec | None, has_macros: bool,
          percent_lookup: PercentLookup | None, path=None) -> WorkbookData:
    spec = spec or S.get_spec()
    findings: list = []
    tables: dict[str, TableData] = {}
    taken: set[tuple[str, int, int, int]] = set()
    for table in spec.tables:
        siblings = spec.tables_on(table.sheet)
        multi = len(siblings) > 1
        starters = _starters(tuple(siblings)) if multi else None
        best, best_sheet = None, None
        candidates = _find_sheet(spec, table, sheets)
        sh_spec = spec.sheet(table.sheet)
        named = {_sheet_key(n) for n in (sh_spec.name, *sh_spec.aliases)}
        for name in candidates:
            tk = {(r, a, b) for (s, r, a, b) in taken if s == name}
            loc = _locate_in_sheet(sheets[name].grid, table, multi=multi, taken=tk, starters=starters)
            if loc is None:
                continue
            # a sheet found by name wins unless it has nothing of the table
            if _sheet_key(name) in named and loc.score >= 1:
                best, best_sheet = loc, name
                break
            if loc.score >= max(2, len(table.fields) // 2) and (best is None or loc.score > best.score):
                best, best_sheet = loc, name
        if best is None:
            empty = pd.DataFrame(columns=[f.key for f in table.fields], dtype=object)
            empty.index.name = "row"
            tables[table.key] = TableData(table=table, sheet=None, frame=empty, raw=empty.copy(),
                                          missing=[f.key for f in table.fields])
            continue
        taken.add((best_sheet, best.row, *best.span))
        td = _read_table(spec, table, sheets[best_sheet], best, file, percent_lookup, findings)
        tables[table.key] = td
    if not any(td.sheet for td in tables.values()):
        from xjr_excel.guard.check import reject_not_template
        raise reject_not_template(spec, path or file, list(sheets))
    # structure findings: missing sheets and columns
    reported_sheets = set()
    for table in spec.tables:
        td = tables[table.key]
        sheet_name = spec.sheet(table.sheet).name
        if td.sheet is None:
            if sheet_name not in reported_sheets:
                names = "、".join(t.name for t in spec.tables_on(table.sheet))
                findings.append(make(spec, "file.sheet_missing", file=file, field=sheet_name, value=names))
                reported_sheets.add(sheet_name)
            continue
        for key in td.missing:
            f = table.field(key)
            if f.required:
                findings.append(make(spec, "file.column_missing", file=file, sheet=td.sheet,
                                     cell=td.cell(None, key), field=f.label,
                                     value=""))
    cover, cover_cells = _read_cover(spec, sheets, file, findings)
    return WorkbookData(file=file, spec=spec, tables=tables, cover=cover, cover_cells=cover_cells,
                        findings=findings, has_macros=has_macros, sheet_names=list(sheets))


def _grid_rows(grid) -> list[list]:
    return [list(r) if r is not None else [] for r in (grid or [])]


def read_grids(grids: dict[str, list[list]], *, file: str, spec: S.Spec | None = None,
               percent_cells: dict[str, set[tuple[int, int]]] | None = None,
               hidden_rows: dict[str, set[int]] | None = None, has_macros: bool = False,
               merged: dict[str, list[tuple[int, int, int, int]]] | None = None) -> WorkbookData:
    """The core, on 2-D value arrays (one per sheet, rows from A1, as xlwings ``used_range.value``
    anchored at A1 or calamine give them).

    ``percent_cells``: per sheet, the 1-based (row, col) cells formatted as a percentage
    (only percent columns matter).  ``hidden_rows``: per sheet, 1-based hidden row numbers.
    ``merged``: per sheet, merged ranges as 1-based (min_row, min_col, max_row, max_col).
    Formula errors should be in the arrays as their text ("#DIV/0!").
    """
    built = {name: _Sheet(name, _grid_rows(grid), set((hidden_rows or {}).get(name, ())),
                          list((merged or {}).get(name, ())))
             for name, grid in grids.items()}
    sheets = _Sheets(list(built), built.__getitem__)
    sheets.load_all()        # all at hand already: prepared up front
    pc = percent_cells or {}
    return _read(sheets, file=file, spec=spec, has_macros=has_macros,
                 percent_lookup=lambda sheet, wanted: set(pc.get(sheet, ())) & wanted)


class _SheetParser:
    """The sheets' values from calamine, parsed on a worker thread in sheet order.

    calamine parses a sheet without holding the GIL, so the main thread reads what calamine
    drops (hidden rows, merges, errors) and the first tables while later sheets are parsed.
    The worker has ``book`` to itself until the parser is left (a CalamineWorkbook must not
    be used by two threads at once); one book, as before, so memory stays as it was.
    ``result`` hands out each sheet's values, or raises what parsing it raised.
    """

    def __init__(self, book, names: list[str]):
        from concurrent.futures import ThreadPoolExecutor
        self._book = book
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xjr-calamine")
        self._futures = {n: self._pool.submit(self._parse, n) for n in names}

    def _parse(self, name: str) -> list[list]:
        from xjr_excel.libcalls import panics_as_errors
        with panics_as_errors():        # a panic on a damaged sheet is that sheet's damage, below
            return self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def result(self, name: str) -> list[list]:
        return self._futures[name].result()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for f in self._futures.values():
            f.cancel()
        self._pool.shutdown(wait=True)      # the book is the caller's again
        return False


def read_workbook(path, spec: S.Spec | None = None) -> WorkbookData:
    """Read ``path`` (.xlsx/.xlsm/.xls/.ods) without executing or changing anything."""
    from python_calamine import CalamineWorkbook

    from xjr_excel.libcalls import LibraryPanic, panics_as_errors
    from xjr_excel.guard import check as guard     # here: a click reads grids xlwings gives, not files
    from xjr_excel.read.sheet_xml import XlsParts, XlsxParts
    info = guard.check_file(path)
    path = Path(path)
    kind = info.kind
    try:
        with panics_as_errors():
            book = CalamineWorkbook.from_path(os.fspath(path))
    except Exception as e:   # noqa: BLE001 - calamine raises its own types (and panics on some damage)
        raise InputRejected(f"无法读取该工作簿（{e}）。文件可能已损坏，请在Excel中打开后另存为.xlsx再提交。",
                            file=str(path), kind="damaged") from None
    if kind == "ods":
        from xjr_excel.read.ods import OdsParts
        parts = OdsParts(path)
    else:
        parts = XlsParts(path) if kind == "xls" else XlsxParts(path)
    try:
        try:
            with panics_as_errors():
                metas = [m for m in book.sheets_metadata if "Work" in str(m.typ)]   # chart/macro sheets hold no table
                found = forms.recognise(spec or S.get_spec(), [m.name for m in metas],
                                        lambda name: book.get_sheet_by_name(name).to_python(skip_empty_area=False))
                if found.form.read is not None:      # a form with a reader of its own (label → value layouts)
                    data = found.form.read(path, found.spec, lambda name: book.get_sheet_by_name(name).to_python(
                        skip_empty_area=False), [m.name for m in metas])
                    data.record = found.record
                    return data
        except LibraryPanic as e:
            raise InputRejected(f"无法读取该工作簿（{e}）。文件可能已损坏，请在Excel中打开后另存为.xlsx再提交。",
                                file=str(path), kind="damaged") from None
        spec, record = found.spec, found.record
        has_macros = info.has_macros or parts.has_macros()
        with _SheetParser(book, [m.name for m in metas if not is_own_sheet(m.name)]) as grids:
            def load(name: str) -> _Sheet:
                if is_own_sheet(name):
                    return _Sheet(name, [])     # our own marks / results: not data
                try:
                    try:
                        ex, ex_error = parts.extras(name), None
                    except Exception as e:  # noqa: BLE001 - reported after calamine's own error, as before
                        ex, ex_error = None, e
                    grid = grids.result(name)
                    if ex_error is not None:
                        raise ex_error
                except Exception as e:  # noqa: BLE001 - calamine/zip/xlrd errors on a damaged part
                    raise InputRejected(
                        f"工作表“{name}”已损坏，无法读取（{type(e).__name__}: {e}）。"
                        f"请在Excel或WPS中打开该文件，确认内容无误后另存为.xlsx再提交。",
                        file=str(path), kind="damaged") from None
                return _Sheet(name, grid, ex.hidden_rows, ex.merged, ex.errors)

            sheets = _Sheets([m.name for m in metas], load)
            try:
                data = _read(sheets, file=str(path), spec=spec, has_macros=has_macros,
                             percent_lookup=parts.percent_cells, path=path)
            except Exception:
                sheets.load_all()    # a damaged sheet is refused first, in sheet order, whatever _read met
                raise
            sheets.load_all()        # … also one the tables did not need
            data.record = record
            return data
    finally:
        parts.close()
        book.close()


# Shared with the readers of label → value layouts (the fill-in forms, xjr_excel.fillin.read): the
# same normalisation, the same text, the same frames as the rows of a city workbook give.
object_frame = _object_frame
normalise_column = _normalise_column
display_column = _display_column
cover_value = _cover_value
