"""A workbook model for testing the ribbon through xlwings' remote engine.

``payload(model)`` is what an Office.js client would send (``xw.Book(json=...)``);
``apply(model, actions)`` plays the recorded actions (``book.json()``) on the
model the way Excel would, so a test can run 校验, then 清除标记 on the result,
and compare what the user would see.
"""
from __future__ import annotations

import copy
import datetime as dt
import os
from dataclasses import dataclass, field

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")   # before xlwings is imported

import openpyxl  # noqa: E402
import xlwings as xw  # noqa: E402
from openpyxl.utils import column_index_from_string, get_column_letter  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

if "remote" not in [e.name for e in xw.engines]:
    # xlwings was imported (by another test) before the key was set: register the engine now.
    from xlwings.pro import _xlremote
    xw.engines.add(xw.main.Engine(impl=_xlremote.engine))

# Actions that only format (fonts, widths): applied as no-ops, but counted.
FORMAT_ONLY = {"setFontProperty", "setColumnWidth", "setWrapText", "setScreenUpdating", "setAutofit"}


@dataclass
class Sheet:
    name: str
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)       # "B3" → text
    fills: dict[tuple[int, int], str] = field(default_factory=dict)
    visibility: str = "Visible"
    tables: list[str] = field(default_factory=list)

    def grid(self) -> list[list]:
        if not self.cells:
            return [[]]
        nr = max(r for r, _ in self.cells)
        nc = max(c for _, c in self.cells)
        g = [[""] * nc for _ in range(nr)]
        for (r, c), v in self.cells.items():
            g[r - 1][c - 1] = v
        return g


@dataclass
class Model:
    name: str
    sheets: list[Sheet]
    active: int = 0
    alerts: list[list] = field(default_factory=list)

    def sheet(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.name == name)

    def look(self) -> dict:
        """What a user sees: values, notes and direct fills of the visible sheets."""
        return {s.name: (dict(s.cells), dict(s.notes), dict(s.fills)) for s in self.sheets
                if s.visibility == "Visible"}


def _json_value(v):
    if v is None or v == "":
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, dt.date):
        return f"{v.isoformat()}T00:00:00.000Z"
    if isinstance(v, dt.time):
        return v.isoformat()
    return v


def from_file(path) -> Model:
    """Model of a workbook file: values as calamine reads them (what the CLI sees), notes,
    visibility and tables from openpyxl."""
    cal = CalamineWorkbook.from_path(str(path))
    wb = openpyxl.load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        rows = cal.get_sheet_by_name(ws.title).to_python(skip_empty_area=False)
        s = Sheet(ws.title, visibility={"visible": "Visible", "hidden": "Hidden"}.get(ws.sheet_state, "VeryHidden"),
                  tables=list(ws.tables.keys()))
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                v = _json_value(v)
                if v != "":
                    s.cells[(r, c)] = v
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None:
                    s.notes[cell.coordinate] = cell.comment.text
        sheets.append(s)
    cal.close()
    return Model(os.path.basename(str(path)), sheets, active=wb.index(wb.active))


def payload(model: Model) -> dict:
    sheets = []
    for s in model.sheets:
        g = s.grid()
        sheets.append({
            "name": s.name, "values": g, "visibility": s.visibility,
            "used_range_address": None if not s.cells else f"$A$1:${get_column_letter(len(g[0]))}${len(g)}",
            "notes": [{"address": a} for a in s.notes], "tables": [
                {"name": t, "range_address": "$A$1", "data_body_range_address": "$A$1",
                 "header_row_range_address": "$A$1", "total_row_range_address": None,
                 "show_headers": True, "show_totals": False, "table_style": None,
                 "show_autofilter": True} for t in s.tables],
            "pictures": [], "shapes": [], "charts": [], "pivot_tables": [], "print_area": None,
            "show_gridlines": True,
        })
    return {"version": xw.__version__, "client": "Office.js",
            "book": {"name": model.name, "active_sheet_index": model.active},
            "names": [], "sheets": sheets}


def open_book(model: Model):
    return xw.Book(json=payload(model))


def _addr(a: str) -> tuple[int, int]:
    a = a.replace("$", "")
    col = "".join(ch for ch in a if ch.isalpha())
    return int(a[len(col):]), column_index_from_string(col)


def apply(model: Model, actions: list[dict]) -> Model:
    """A new model: ``model`` after the actions, as Excel would apply them."""
    m = copy.deepcopy(model)
    for a in actions:
        func, args = a["func"], a["args"]
        sheet = m.sheets[a["sheet_position"]] if a["sheet_position"] is not None else None
        r0, c0 = (a["start_row"] or 0) + 1, (a["start_column"] or 0) + 1
        nr, nc = a["row_count"], a["column_count"]
        if func == "setValues":
            for i, row in enumerate(a["values"]):
                for j, v in enumerate(row):
                    if isinstance(v, str) and v.startswith("'"):
                        v = v[1:]                      # Excel's text prefix, not part of the value
                    if v in ("", None):
                        sheet.cells.pop((r0 + i, c0 + j), None)
                    else:
                        sheet.cells[(r0 + i, c0 + j)] = v
        elif func == "addNote":
            cell = args[0].replace("$", "")
            assert cell not in sheet.notes, f"Excel refuses a second note on {sheet.name}!{cell}"
            sheet.notes[cell] = args[1]
        elif func == "deleteNote":
            del sheet.notes[args[0].replace("$", "")]
        elif func == "setRangeColor":
            for i in range(nr):
                for j in range(nc):
                    if args[0] is None:
                        sheet.fills.pop((r0 + i, c0 + j), None)
                    else:
                        sheet.fills[(r0 + i, c0 + j)] = args[0]
        elif func == "addSheet":
            m.sheets.insert(args[0], Sheet(args[1]))
            m.active = args[0]
        elif func == "sheetDelete":
            m.sheets.remove(sheet)
            m.active = min(m.active, len(m.sheets) - 1)
        elif func == "sheetClearContents":
            sheet.cells.clear()
        elif func == "activateSheet":
            m.active = args[0]
        elif func == "setSheetVisibility":
            sheet.visibility = args[0]
        elif func == "alert":
            m.alerts.append(args)
        elif func in FORMAT_ONLY:
            pass
        else:
            raise AssertionError(f"unexpected action {func}")
    return m


def cells_of(address: str) -> set[str]:
    """Cells of an A1 range address."""
    if ":" not in address:
        r, c = _addr(address)
        return {f"{get_column_letter(c)}{r}"}
    a, b = address.split(":")
    (r1, c1), (r2, c2) = _addr(a), _addr(b)
    return {f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
