"""Write a returned form's answers into the city workbook's 附3/附4/附5 rows (or a tracking
workbook's 实际值/未完成原因), never over the city's own values silently.

Rows are matched by name key (and 统一社会信用代码 where the sheet has it); a record the sheet does
not hold yet is written into the table's next blank row.  Cell by cell:

* the form left it blank → nothing is written (a blank never wipes out what the city has);
* the workbook's cell is blank, or holds what an earlier collect wrote from a form → written;
* both hold the same value (compared as the validator reads them) → nothing to do;
* they differ → a conflict (cell, both values), the city's value kept unless ``prefer_forms``.

The workbook is edited with openpyxl (a copy: see :mod:`xjr_excel.fillin.collect`), so the
template's formats, dropdowns, tables and (for .xlsm) the VBA project stay as they were.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from xjr_excel.fillin import layout as L
from xjr_excel.model import TableData, Unparsed
from xjr_excel.ooxml.cells import address, row_col
from xjr_excel.ooxml.safe_text import set_text
from xjr_excel.read import normalize as N

# What each kind of form fills: the list naming its records, the tables it writes, the field
# naming the record in each table, and the fields never written (locked: the city's or the province's).
LISTS = {L.ENTERPRISE: "a1", L.PLATFORM: "a2", L.TRACK: "track"}
TABLES = {L.ENTERPRISE: ("a3", "a4"), L.PLATFORM: ("a5_basic", "a5_ops", "a5_res", "a5_tot", "a5_srv"),
          L.TRACK: ("track",)}
NAME_FIELD = {"a3": "name", "a4": "name", "a5_basic": "unit", "a5_ops": "unit", "a5_res": "unit", "a5_tot": "unit",
              "a5_srv": "unit", "track": "name"}
BY_YEAR = ("a5_ops", "a5_tot")          # one row per platform and year
LISTED = ("a5_res", "a5_srv")           # a platform's list, row by row


def writable(kind: str, table, key: str) -> bool:
    f = table.field(key)
    if f.formula:
        return False
    if kind == L.TRACK:          # names, codes, 初始值, 目标值 are the approved submission's
        return f.period == "actual" or key == "reason"
    return True


def blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def compare_key(v) -> str:
    """How two cell values compare: as the validator reads them (normalised), names as names."""
    if blank(v):
        return ""
    if isinstance(v, Unparsed):
        return "u:" + N.squash(v.text)
    if isinstance(v, dt.datetime):
        return "d:" + (v.date().isoformat() if v.time() == dt.time() else v.isoformat())
    if isinstance(v, dt.date):
        return "d:" + v.isoformat()
    if isinstance(v, bool):
        return "b:" + str(v)
    if isinstance(v, (int, float)):
        return "n:" + repr(round(float(v), 9))
    return "s:" + N.name_key(str(v))


def cell_value(v):
    """A form's typed value as written into the workbook (whole floats as integers)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None if blank(v) else v


@dataclass
class Writer:
    """Writes into one openpyxl workbook; remembers the next blank row of each table."""
    wb: object
    book: object                       # WorkbookData of the city (or tracking) workbook
    prefer_forms: bool = False
    earlier: dict = None               # (sheet, A1) → compare_key written by an earlier collect
    written: dict = None               # (sheet, A1) → compare_key written now

    def __post_init__(self):
        self.earlier = self.earlier or {}
        self.written = {}
        self._next: dict = {}
        self._views: dict = {}
        self.grown: dict = {}          # sheet → {table key: last row written}

    # ------------------------------------------------------------ rows
    def view(self, td: TableData) -> dict:
        """The workbook table as plain dicts, made once: row → {key: value} (normalised and as text),
        name key → rows, credit code → row (a cell lookup in a frame costs ~0.1 ms; 200 forms × 60
        cells would cost seconds)."""
        key = td.table.key
        got = self._views.get(key)
        if got is None:
            cols = list(td.frame.columns)
            rows = [int(r) for r in td.frame.index]
            norm = dict(zip(rows, (dict(zip(cols, vals)) for vals in td.frame.to_numpy(dtype=object).tolist())))
            raw = dict(zip(rows, (dict(zip(cols, vals)) for vals in td.raw.to_numpy(dtype=object).tolist())))
            by_name: dict = {}
            name = NAME_FIELD.get(key, "name")
            for r in rows:
                v = norm[r].get(name)
                if isinstance(v, str):
                    by_name.setdefault(N.name_key(v), []).append(r)
            by_code = {}
            for r in rows:
                v = norm[r].get("credit_code")
                if isinstance(v, str):
                    by_code.setdefault(N.code_key(v), r)
            got = self._views[key] = {"norm": norm, "raw": raw, "by_name": by_name, "by_code": by_code}
        return got

    def rows_of(self, td: TableData, key_field: str, record_key: str) -> list[int]:
        return list(self.view(td)["by_name"].get(record_key, []))

    def row_by_code(self, td: TableData, code: str | None) -> int | None:
        if not code:
            return None
        return self.view(td)["by_code"].get(N.code_key(code))

    def free_row(self, td: TableData) -> int:
        ws = self.wb[td.sheet]
        cols = sorted(td.columns.values())
        start = self._next.get(td.table.key)
        if start is None:
            start = max([td.header_row or 1, *map(int, td.frame.index)]) + 1
        r = start
        while any(ws.cell(r, c).value not in (None, "") for c in cols):
            r += 1
        self._next[td.table.key] = r + 1
        return r

    # ------------------------------------------------------------ one form
    def merge(self, kind: str, form, record_key: str, record_name: str, code: str | None, origin: str) -> tuple[int, list[dict]]:
        """Write ``form``'s tables; (cells written, conflicts)."""
        written, conflicts = 0, []
        for tkey in TABLES[kind]:
            ft = form.data.tables.get(tkey)
            bt = self.book.tables.get(tkey)
            if ft is None or ft.frame.empty:
                continue
            if bt is None or not bt.sheet:
                conflicts.append({"sheet": "", "cell": "", "field": "", "city": "", "form": "",
                                  "note": f"工作簿中找不到“{ft.table.title}”表格，该部分未写入"})
                continue
            name_key = NAME_FIELD[tkey]
            existing = self.rows_of(bt, name_key, record_key)
            if not existing and tkey == "a3" or (not existing and kind == L.TRACK):
                by_code = self.row_by_code(bt, code)
                existing = [by_code] if by_code is not None else []
            pairs = self._pair(tkey, ft, bt, existing)
            for n, row in pairs:
                if row is None and not self._answers(kind, ft, n):
                    continue                 # nothing answered for this part: no empty row for it
                if row is None:
                    if kind == L.TRACK:      # the tracking workbook holds every enterprise: no new rows
                        continue
                    row = self.free_row(bt)
                    w, c = self._write_row(kind, ft, bt, n, row, new=True, record_name=record_name, origin=origin)
                else:
                    w, c = self._write_row(kind, ft, bt, n, row, new=False, record_name=record_name, origin=origin)
                written += w
                conflicts += c
        return written, conflicts

    def _answers(self, kind: str, ft, n: int) -> bool:
        """Whether record ``n`` of the form holds any answer besides the name."""
        name = NAME_FIELD[ft.table.key]
        typed = _records(ft)["typed"][n]
        return any(not blank(typed[k]) for k in typed
                   if k != name and k != "seq" and k in ft.columns and writable(kind, ft.table, k))

    def _pair(self, tkey: str, ft, bt, existing: list[int]) -> list[tuple[int, int | None]]:
        """(form record, workbook row or None for a new row) for each record of the form."""
        records = list(ft.frame.index)
        if tkey in BY_YEAR:
            years = {}
            norm = self.view(bt)["norm"]
            for r in existing:
                years.setdefault(compare_key(norm[r].get("year")), []).append(r)
            undated = years.pop("", [])          # the platform's rows whose 年度 the city left blank
            out = []
            for n in records:
                same = years.get(compare_key(_records(ft)["norm"][n].get("year")))
                out.append((n, same.pop(0) if same else (undated.pop(0) if undated else None)))
            return out
        if tkey in LISTED:
            return [(n, existing[i] if i < len(existing) else None) for i, n in enumerate(records)]
        return [(records[0], existing[0] if existing else None)] if records else []

    def _write_row(self, kind, ft, bt, n: int, row: int, *, new: bool, record_name: str, origin: str):
        ws = self.wb[bt.sheet]
        written, conflicts = 0, []
        name_key = NAME_FIELD[bt.table.key]
        recs = _records(ft)
        f_norm, f_typed, f_raw = recs["norm"][n], recs["typed"][n], recs["raw"][n]
        view = None if new else self.view(bt)
        for f in bt.table.fields:
            key = f.key
            col = bt.columns.get(key)
            if col is None or not writable(kind, bt.table, key):
                continue
            if key == name_key:
                if new:           # a new row is named as the city's list names the record
                    set_text(ws.cell(row, col), record_name)
                    written += 1
                continue
            if key not in f_norm or key not in ft.columns:
                continue
            fv, typed = f_norm[key], f_typed[key]
            if blank(fv) and blank(typed):
                continue
            at = address(row, col)
            cv = None if new else view["norm"][row].get(key)
            if not new and not blank(cv):
                ck = compare_key(cv)
                if ck == compare_key(fv):
                    continue
                if self.earlier.get((bt.sheet, at)) != ck:        # the city's own value
                    keep_city = not self.prefer_forms
                    conflicts.append({"sheet": bt.sheet, "cell": at, "field": f.label,
                                      "city": N.display(view["raw"][row].get(key, cv)),
                                      "form": N.display(f_raw[key]), "form_cell": ft.cell(n, key),
                                      "kept": "city" if keep_city else "form"})
                    if keep_city:
                        continue
            _put(ws.cell(row, col), cell_value(typed))
            self.written[(bt.sheet, at)] = compare_key(fv)
            written += 1
        if written:
            grown = self.grown.setdefault(bt.sheet, {})
            grown[bt.table.key] = max(grown.get(bt.table.key, 0), row)
        return written, conflicts

    # ------------------------------------------------------------ tables grow
    def extend_tables(self) -> None:
        """Excel tables (ListObjects) cover the rows written below their range."""
        for sheet, grown in self.grown.items():
            ws = self.wb[sheet]
            for tkey, last in grown.items():
                bt = self.book.tables[tkey]
                cols = set(bt.columns.values())
                for t in ws.tables.values():
                    a, _, b = t.ref.partition(":")
                    r1, c1 = row_col(a)
                    r2, c2 = row_col(b or a)
                    if r1 == bt.header_row and cols & set(range(c1, c2 + 1)) and last > r2:
                        t.ref = f"{a}:{address(last, c2)}"
                        if t.autoFilter is not None:
                            t.autoFilter.ref = t.ref


def _records(ft) -> dict:
    """A form table's records as dicts by record number (normalised, as typed, as text), made once."""
    got = getattr(ft, "_records", None)
    if got is None:
        rows = [int(r) for r in ft.frame.index]
        cols = list(ft.frame.columns)

        def as_dicts(frame):
            return dict(zip(rows, (dict(zip(cols, v)) for v in frame.to_numpy(dtype=object).tolist())))
        got = {"norm": as_dicts(ft.frame), "typed": ft.values, "raw": as_dicts(ft.raw)}
        ft._records = got
    return got


def _put(cell, value) -> None:
    if isinstance(value, str):
        set_text(cell, value)
    elif isinstance(value, Unparsed):
        set_text(cell, value.text)
    else:
        cell.value = value
