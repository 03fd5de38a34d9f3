"""The xlwings backend: reads the workbook open in Excel and writes an annotation plan into it.

The 小巨人 tab's buttons (:mod:`xjr_excel.ribbon`) run through here.  Values are read
with one bulk call per sheet; the plan (:mod:`xjr_excel.annotate.plan`) is written in a
handful of bulk writes (one per contiguous run), and formats are never read back, so it
also runs on engines that cannot (xlwings' remote engine).  Notes are per cell: Excel has
no bulk note call.  The steps shared with the openpyxl backend are in
:mod:`xjr_excel.annotate.bookkeeping`.
"""
from __future__ import annotations

from xjr_excel.annotate import bookkeeping as K
from xjr_excel.template import marks as M
from xjr_excel.annotate import plan as P
from xjr_excel.ooxml.safe_text import typed_text

XL_VERY_HIDDEN = 2


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

def sheet_grid(sheet) -> list[list]:
    """The sheet's values from A1 to the used range's last cell, in one call."""
    last = sheet.used_range.last_cell
    rng = sheet.range((1, 1), (max(last.row, 1), max(last.column, 1)))
    values = rng.options(ndim=2, err_to_str=True).value
    return [list(r) for r in values]


def _tables(sheet) -> list[str]:
    try:
        return [t.name for t in sheet.tables]
    except Exception:  # noqa: BLE001 - tables are a hint only
        return []


def read_book(book, spec, ui=None):
    """WorkbookData of the open workbook (user sheets only)."""
    from xjr_excel.read import workbook as reader
    sheets = [s for s in book.sheets if not K.is_internal(s.name)]
    desktop = _is_desktop(book)
    grids, tables, hidden, merged = {}, {}, {}, {}
    for i, sheet in enumerate(sheets, start=1):
        if ui:
            ui.status(f"正在读取“{sheet.name}”（{i}/{len(sheets)}）…")
        grids[sheet.name] = grid = sheet_grid(sheet)
        tables[sheet.name] = _tables(sheet)
        if desktop:   # what the CLI gets from the file's XML; other engines cannot tell
            nrows, ncols = len(grid), max((len(r) for r in grid), default=0)
            hidden[sheet.name] = hidden_rows(sheet, nrows)
            merged[sheet.name] = merged_ranges(sheet, nrows, ncols)
    macros = book.name.lower().endswith((".xlsm", ".xltm"))
    extra = {"hidden_rows": hidden, "merged": merged}
    data = reader.read_grids(grids, file=book.name, spec=spec, has_macros=macros, **extra)
    percent = _percent_cells(book, data, grids, spec)
    if percent:       # "85%" typed into a cell: Excel stores 0.85 — read it as the CLI does
        data = reader.read_grids(grids, file=book.name, spec=spec, has_macros=macros, percent_cells=percent,
                                 **extra)
    return data, list(grids), tables


def _is_desktop(book) -> bool:
    try:
        return book.app.engine.name == "excel"
    except Exception:  # noqa: BLE001
        return False


XL_CELL_TYPE_VISIBLE = 12


def hidden_rows(sheet, nrows: int) -> set[int]:
    """Hidden rows among 1..nrows: one SpecialCells call (desktop Excel's COM API)."""
    if nrows < 1:
        return set()
    try:
        visible = sheet.range((1, 1), (nrows, 1)).api.SpecialCells(XL_CELL_TYPE_VISIBLE)
        shown: set[int] = set()
        for area in visible.Areas:
            shown.update(range(area.Row, area.Row + area.Rows.Count))
        return set(range(1, nrows + 1)) - shown
    except Exception:  # noqa: BLE001 - "no cells found" (all hidden) or no COM: report none
        return set()


def merged_ranges(sheet, nrows: int, ncols: int, budget: int = 5000) -> list[tuple[int, int, int, int]]:
    """Merged areas as (row1, col1, row2, col2). One call says "none" for most sheets; otherwise one
    call per column, then per cell only in columns that hold merges (at most ``budget`` probes)."""
    if nrows < 1 or ncols < 1:
        return []
    out: list[tuple[int, int, int, int]] = []
    try:
        if sheet.range((1, 1), (nrows, ncols)).api.MergeCells is False:
            return out
        covered: set[tuple[int, int]] = set()
        for c in range(1, ncols + 1):
            column = sheet.range((1, c), (nrows, c)).api
            if column.MergeCells is False:
                continue
            for r in range(1, nrows + 1):
                if (r, c) in covered:
                    continue
                budget -= 1
                if budget < 0:
                    return out
                cell = column.Cells(r, 1)
                if not cell.MergeCells:
                    continue
                area = cell.MergeArea
                box = (area.Row, area.Column, area.Row + area.Rows.Count - 1, area.Column + area.Columns.Count - 1)
                if box not in out:
                    out.append(box)
                covered.update((rr, cc) for rr in range(box[0], box[2] + 1) for cc in range(box[1], box[3] + 1))
    except Exception:  # noqa: BLE001 - no COM: report what was found
        pass
    return out


def _percent_cells(book, data, grids, spec) -> dict[str, set[tuple[int, int]]]:
    """Percent-formatted cells among the few that could be one (0 < |v| ≤ 1 in a percent column).

    One format query per such cell — usually none. Engines that cannot read formats
    (remote) skip this; the values are then read as typed.
    """
    from xjr_excel.spec.definition import PERCENT
    out: dict[str, set[tuple[int, int]]] = {}
    for td in data.tables.values():
        if not td.sheet:
            continue
        grid = grids.get(td.sheet) or []
        for f in td.table.fields:
            col = td.columns.get(f.key)
            if f.type != PERCENT or col is None:
                continue
            for row in td.frame.index:
                try:
                    v = grid[row - 1][col - 1]
                except (IndexError, TypeError):
                    continue
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < abs(v) <= 1:
                    continue
                try:
                    fmt = book.sheets[td.sheet].range((row, col)).number_format
                except NotImplementedError:
                    return {}
                if fmt and "%" in str(fmt):
                    out.setdefault(td.sheet, set()).add((row, col))
    return out


# --------------------------------------------------------------------------
# Writing helpers: contiguous runs, one write each
# --------------------------------------------------------------------------

def row_runs(top_left: str, grid: list[list]) -> list[tuple[int, int, list[list]]]:
    """Split a marks grid into blocks of consecutive rows holding codes.

    Returns (first row, first column, values) per block, trimmed to the
    block's columns: one write per block, however many cells it covers.
    """
    r0, c0 = P.cell_rc(top_left)
    blocks, current = [], []
    for i, row in enumerate(grid):
        if any(v is not None for v in row):
            current.append(i)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    out = []
    for rows in blocks:
        cols = [j for i in rows for j, v in enumerate(grid[i]) if v is not None]
        j0, j1 = min(cols), max(cols)
        out.append((r0 + rows[0], c0 + j0, [grid[i][j0:j1 + 1] for i in rows]))
    return out


def column_runs(top_left: str, grid: list[list]) -> list[tuple[int, int, int, int]]:
    """(first row, column, row count, code) for each vertical run of one code (direct fills)."""
    r0, c0 = P.cell_rc(top_left)
    out = []
    for j in range(len(grid[0]) if grid else 0):
        i = 0
        while i < len(grid):
            code = grid[i][j]
            if code is None:
                i += 1
                continue
            k = i
            while k + 1 < len(grid) and grid[k + 1][j] == code:
                k += 1
            out.append((r0 + i, c0 + j, k - i + 1, code))
            i = k + 1
    return out


def _as_text(v):
    """A value written as data: text that Excel would parse (=…, 0123, 1/2) stays text."""
    return typed_text(v)


def _sheet_or_none(book, name: str):
    for s in book.sheets:
        if s.name == name:
            return s
    return None


def _hide(sheet, very: bool = True) -> None:
    try:
        sheet.api.Visible = XL_VERY_HIDDEN if very else 0      # desktop Excel: very hidden
    except Exception:  # noqa: BLE001 - other engines: plain hidden
        sheet.visible = False


def _write_table(sheet, rows: list[list], *, text: bool = True) -> None:
    if not rows:
        return
    width = max(len(r) for r in rows)
    values = [[_as_text(v) if text else v for v in list(r) + [None] * (width - len(r))] for r in rows]
    sheet.range((1, 1), (len(values), width)).value = values


def _has_values(sheet) -> bool:
    values = sheet.used_range.options(ndim=2).value
    return any(v is not None for row in values for v in row)


def _read_table(sheet) -> list[list]:
    last = sheet.used_range.last_cell
    values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
    return [list(r) for r in values]




def _read_first(sheet) -> list[list]:
    return [[sheet.range("A1").value]]


# --------------------------------------------------------------------------
# The backend
# --------------------------------------------------------------------------

class XlwingsBook:
    """:class:`xjr_excel.annotate.bookkeeping.Book` over an xlwings ``Book``.

    Each sheet's notes are listed once (not per cell) and kept up to date as we
    add and delete, because some engines scan every note of a sheet per call.
    """

    def __init__(self, book, tables: dict[str, list[str]] | None = None):
        self.book = book
        self._tables = tables
        self._known: dict[str, set[str] | None] = {}

    def _sheet(self, name: str):
        return _sheet_or_none(self.book, name)

    # sheets ---------------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def tables(self) -> dict[str, list[str]]:
        if self._tables is None:
            self._tables = {s.name: _tables(s) for s in self.book.sheets}
        return self._tables

    def read_rows(self, sheet: str, max_rows: int | None = None) -> list[list]:
        s = self._sheet(sheet)
        return _read_first(s) if max_rows == 1 else _read_table(s)

    def write_hidden(self, sheet: str, rows: list[list]) -> None:
        s = self.book.sheets.add(sheet, after=self.book.sheets[len(self.book.sheets) - 1])
        _write_table(s, rows)
        _hide(s)

    def delete_sheet(self, sheet: str) -> None:
        self._sheet(sheet).delete()

    def hide(self, sheet: str) -> None:
        s = self._sheet(sheet)
        try:
            if s.api.Visible == XL_VERY_HIDDEN:
                return
        except Exception:  # noqa: BLE001 - no COM: hidden is the best this engine offers
            if not s.visible:
                return
        _hide(s)

    def active_sheet(self) -> str:
        return self.book.sheets.active.name

    def selected_sheets(self) -> set[str] | None:
        return None           # grouped tabs are a file-level detail Excel manages itself

    def activate(self, sheet: str | None, selected: set[str] | None = None) -> None:
        s = self._sheet(sheet or "")
        if s is not None:
            s.activate()

    # notes ----------------------------------------------------------------
    def _has_note(self, sheet, cell: str) -> bool | None:
        if sheet.name not in self._known:
            self._known[sheet.name] = existing_notes(sheet)
        known = self._known[sheet.name]
        return None if known is None else cell in known

    def _note_object(self, sheet_name: str, cell: str):
        sheet = self._sheet(sheet_name)
        has = self._has_note(sheet, cell)
        return sheet.range(cell).note if has is None or has else None

    def note(self, sheet: str, cell: str) -> K.Note | None:
        note = self._note_object(sheet, cell)
        if note is None:
            return None
        try:
            text = note.text
        except NotImplementedError:
            return K.Note(None)
        try:
            author = note.author
        except Exception:  # noqa: BLE001
            author = None
        return K.Note(text, author)

    def notes(self, sheet: str, skip: set[str]) -> dict[str, K.Note] | None:
        self._has_note(self._sheet(sheet), "")          # lists the sheet's notes once
        known = self._known[sheet]
        if known is None:
            return None
        out = {}
        for cell in sorted(known - skip):               # one read per note: skip those already handled
            note = self.note(sheet, cell)
            if note is not None and note.text is None:
                return None          # this engine cannot read notes, so it cannot tell ours either
            if note is not None:
                out[cell] = note
        return out

    def set_note(self, sheet: str, cell: str, text: str, author: str | None) -> None:
        s = self._sheet(sheet)
        if self._has_note(s, cell) is not False:
            old = s.range(cell).note
            if old is not None:
                old.delete()
        # The cell has no note now: skip xlwings' own per-call check, which scans
        # every note of the sheet on some engines.  Excel sets the author itself.
        s.range(cell).impl.add_note(text)
        if self._known.get(sheet) is not None:
            self._known[sheet].add(cell)

    def delete_note(self, sheet: str, cell: str) -> None:
        note = self._note_object(sheet, cell)
        if note is not None:
            note.delete()
        if self._known.get(sheet) is not None:
            self._known[sheet].discard(cell)

    def anchor(self, sheet: str, cell: str) -> str:
        return cell           # Excel puts a note on any cell of a merged area where the user sees it

    # marks ----------------------------------------------------------------
    def install_marks(self, keys: dict[str, str]) -> bool:
        return False          # the open workbook keeps what it has; without marks sheets we fill directly

    def uninstall_marks(self) -> None:
        """Nothing to remove: :meth:`install_marks` never adds."""

    def empty_marks(self, known: bool) -> None:
        for sheet in self.book.sheets:
            if sheet.name.startswith(M.MARKS_PREFIX) and (known or _has_values(sheet)):
                sheet.clear_contents()

    def undo_fills(self, fills: list[str]) -> None:
        for direct in fills:
            sheet_name, _, address = direct.rpartition("!")
            sheet = self._sheet(sheet_name)
            if sheet is not None:
                sheet.range(address).color = None

    def write_marks(self, plan: P.AnnotationPlan) -> list[str]:
        """Codes into the marks sheets (conditional formatting colours the cells). Returns direct fills
        made where a workbook lacks the marks sheets (not from the master template)."""
        direct: list[str] = []
        twin_to_sheet = {M.marks_sheet_name(k): s for k, s in plan.sheet_keys.items()}
        colours = {M.MARK_ERROR: "#" + M.ERROR_FILL, M.MARK_WARNING: "#" + M.WARNING_FILL}
        for twin, (top_left, grid) in plan.marks.items():
            target = self._sheet(twin)
            if target is not None:
                for row, col, values in row_runs(top_left, grid):
                    target.range((row, col), (row + len(values) - 1, col + len(values[0]) - 1)).value = values
                continue
            user = self._sheet(twin_to_sheet.get(twin, ""))
            if user is None:
                continue
            for row, col, n, code in column_runs(top_left, grid):
                rng = user.range((row, col), (row + n - 1, col))
                rng.color = colours[code]
                direct.append(f"{user.name}!{rng.address.replace('$', '')}")
        return direct

    # results --------------------------------------------------------------
    def write_results(self, plan: P.AnnotationPlan) -> None:
        sheet = self.book.sheets.add(P.RESULTS_SHEET, before=self.book.sheets[0])
        values = [[_as_text(v) for v in row] for row in plan.results]
        for (r, c), target in plan.links.items():
            shown = plan.results[r][c]
            values[r][c] = P.hyperlink_formula(target, "" if shown is None else str(shown))
        sheet.range((1, 1), (len(values), P.RESULTS_WIDTH)).value = values
        _style_results(sheet, P.results_style(plan))


def _style_results(sheet, st: P.ResultsStyle) -> None:
    """One format call per box; optional (an engine without them still gets the data)."""
    def rng(box: P.Box):
        return sheet.range(box[:2], box[2:])
    try:
        sheet.range(st.title).font.bold = True
        sheet.range(st.title).font.size = 14
        for box in st.headers:
            rng(box).font.bold = True
            rng(box).color = "#" + P.HEADER_FILL
        for box, fill in st.severity:
            rng(box).color = "#" + fill
        for col, width in enumerate(st.column_widths, start=1):
            sheet.range((1, col)).column_width = width
        for box in st.wrapped[-1:]:          # 说明: the long column
            rng(box).wrap_text = True
    except (NotImplementedError, AttributeError):
        pass


def existing_notes(sheet) -> set[str] | None:
    """A1 addresses of the cells on ``sheet`` that have a note (None: the engine cannot say)."""
    try:
        notes = list(sheet.notes)
    except Exception:  # noqa: BLE001
        return None
    out = set()
    for n in notes:
        try:
            out.add(n.location.address.replace("$", ""))
        except NotImplementedError:
            try:                       # remote engine: the note's cell is known, not its location API
                out.add(n.impl.range.address.replace("$", ""))
            except Exception:  # noqa: BLE001
                return None
    return out
