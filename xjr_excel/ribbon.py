"""What the 小巨人 tab's buttons run (VBA ``RunPython`` → these functions).

Same rules and messages as the CLI: values are read with one bulk call per
sheet and handed to :func:`xjr_excel.read.workbook.read_grids`, checked by
:func:`xjr_excel.validate.run.validate`, and turned into marks, notes and the
校验结果 sheet by :func:`xjr_excel.annotate.openpyxl_book.plan_annotations` — the plan the
openpyxl writer uses too.  This module only *writes* that plan through
xlwings, in a handful of bulk writes (one per contiguous run), and never reads
formats back, so it also runs on engines that cannot (xlwings' remote engine).

Every failure reaches the user as one readable Chinese message box, never a
traceback: the functions catch everything, log details, and return normally.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from xjr_excel.annotate import openpyxl_book as A
from xjr_excel.annotate import marks as M
from xjr_excel.errors import UserError, write_log
from xjr_excel.spec.definition import get_spec

TITLE = "小巨人校验"
INTERNAL_PREFIXES = ("_xjr_",)
INTERNAL_SHEETS = ("xlwings.conf", A.RESULTS_SHEET)
XL_VERY_HIDDEN = 2


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------

def validate(book=None):
    """校验: check the workbook, mark problem cells, write 校验结果. Returns the summary."""
    return _guarded(_validate, book)


def clear(book=None):
    """清除标记: remove marks, our notes (restoring the user's) and 校验结果."""
    return _guarded(_clear, book)


def consolidate(book=None, paths=None, province=None):
    """合并汇总: merge the city files at ``paths`` (read from disk, never opened in Excel)."""
    return _guarded(lambda b, ui: _consolidate(b, ui, paths, province), book)


def _guarded(fn, book):
    ui = None
    try:
        if book is None:
            import xlwings as xw
            book = xw.Book.caller()
        ui = _UI(book)
        return fn(book, ui)
    except UserError as e:
        _tell(ui, book, e.message, critical=True)
    except Exception as e:  # noqa: BLE001 - the user must never see a traceback dialog
        log = write_log(e)
        _tell(ui, book, f"程序内部出错（{type(e).__name__}），工作簿中您填写的内容未被改动。\n"
                        f"详细信息已写入日志：{log}\n请将日志发给技术支持。", critical=True)
    finally:
        if ui is not None:
            ui.done()
    return None


def _tell(ui, book, text: str, critical: bool = False) -> None:
    try:
        (ui or _UI(book)).alert(text, critical=critical)
    except Exception:  # noqa: BLE001 - nothing left to show it with
        pass


# --------------------------------------------------------------------------
# Talking to Excel: status bar, screen updating, message boxes — each optional
# --------------------------------------------------------------------------

class _UI:
    def __init__(self, book):
        self.book = book
        self.app = book.app
        self._status_ok = True
        self._screen = None
        try:
            self._screen = self.app.screen_updating
            self.app.screen_updating = False
        except Exception:  # noqa: BLE001 - not every engine has it
            self._screen = None

    def status(self, text: str) -> None:
        if not self._status_ok:
            return
        try:
            self.app.status_bar = f"小巨人：{text}"
        except Exception:  # noqa: BLE001 - e.g. the remote engine has no status bar
            self._status_ok = False

    def alert(self, text: str, *, critical: bool = False) -> None:
        self.done()       # repaint first, so the message sits over the finished workbook
        self.app.alert(text, title=TITLE, mode="critical" if critical else "info")

    def done(self) -> None:
        if getattr(self, "_done", False):
            return
        self._done = True
        if self._status_ok:
            try:
                self.app.status_bar = False        # give the status bar back to Excel
            except Exception:  # noqa: BLE001
                pass
        if self._screen is not None:
            try:
                self.app.screen_updating = True
            except Exception:  # noqa: BLE001
                pass


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

def _is_internal(name: str) -> bool:
    return name.startswith(INTERNAL_PREFIXES) or name in INTERNAL_SHEETS


def _sheet_grid(sheet) -> list[list]:
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


def read_book(book, spec, ui: _UI | None = None):
    """WorkbookData of the open workbook (user sheets only)."""
    from xjr_excel.read import workbook as reader
    sheets = [s for s in book.sheets if not _is_internal(s.name)]
    desktop = _is_desktop(book)
    grids, tables, hidden, merged = {}, {}, {}, {}
    for i, sheet in enumerate(sheets, start=1):
        if ui:
            ui.status(f"正在读取“{sheet.name}”（{i}/{len(sheets)}）…")
        grids[sheet.name] = grid = _sheet_grid(sheet)
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

def _a1(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter
    return f"{get_column_letter(col)}{row}"


def row_runs(top_left: str, grid: list[list]) -> list[tuple[int, int, list[list]]]:
    """Split a marks grid into blocks of consecutive rows holding codes.

    Returns (first row, first column, values) per block, trimmed to the
    block's columns: one write per block, however many cells it covers.
    """
    r0, c0 = A._cell_ok(top_left)  # noqa: SLF001 - shared A1 parser
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
    r0, c0 = A._cell_ok(top_left)  # noqa: SLF001
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
    if isinstance(v, str) and v:
        return "'" + v
    return v


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


# --------------------------------------------------------------------------
# Undoing the last annotation (the first half of both 校验 and 清除标记)
# --------------------------------------------------------------------------

@dataclass
class _Reset:
    state: dict = field(default_factory=dict)
    notes_removed: int = 0


def reset_book(book, ui: _UI | None = None) -> _Reset:
    out = _Reset()
    state_sheet = _sheet_or_none(book, A.STATE_SHEET)
    if state_sheet is not None:
        out.state = {str(r[0]): "" if r[1] is None else str(r[1])
                     for r in _read_table(state_sheet) if r and r[0] is not None}
    store = _sheet_or_none(book, A.NOTES_SHEET)
    if store is not None:
        if ui:
            ui.status("正在恢复批注…")
        cells = _NoteCells(book)
        for row in _read_table(store)[1:]:
            sheet, cell, text, _author, created = (list(row) + [None] * 5)[:5]
            if not sheet or not cell:
                continue
            found = cells.find(str(sheet), str(cell))
            if found is None:
                continue
            rng, note = found
            if note is not None:
                note.delete()
                out.notes_removed += 1
            if str(created).split(".")[0] != "1" and text is not None:
                rng.add_note(str(text))      # the user's own note, as it was
        store.delete()
    for direct in filter(None, out.state.get("direct_fills", "").split(";")):
        sheet_name, _, address = direct.rpartition("!")
        sheet = _sheet_or_none(book, sheet_name)
        if sheet is not None:
            sheet.range(address).color = None
    results = _sheet_or_none(book, A.RESULTS_SHEET)
    if results is not None:
        results.delete()
    for sheet in book.sheets:
        if sheet.name.startswith(M.MARKS_PREFIX) and (out.state or _has_values(sheet)):
            sheet.clear_contents()
    if state_sheet is not None:
        state_sheet.delete()
    return out


# --------------------------------------------------------------------------
# 校验
# --------------------------------------------------------------------------

def _validate(book, ui: _UI) -> dict:
    from xjr_excel.validate import findings as F
    from xjr_excel.validate import run as V
    spec = get_spec()
    active = book.sheets.active.name
    spec, record = _form(book, spec)
    data, sheet_names, tables = read_book(book, spec, ui)
    data.record = record
    ui.status("正在校验…")
    found = V.validate(data)
    previous = reset_book(book, ui)
    if _is_internal(active):
        active = previous.state.get("active_sheet") or sheet_names[0]
    keys = M.locate_sheets(sheet_names, spec, tables)
    plan = A.plan_annotations(found, spec, sheet_names, _dt.datetime.now(), file_name=book.name, sheet_keys=keys)
    ui.status("正在标记…")
    direct = _write_marks(book, plan)
    ui.status("正在写入批注…")
    stored, skipped = _write_notes(book, plan)
    _write_results(book, plan)
    _write_state(book, {"active_sheet": active, "marks_added": "0", "checked_at": plan.checked_at,
                        "direct_fills": ";".join(direct)})
    _write_store(book, stored)
    _sheet_or_none(book, A.RESULTS_SHEET).activate()
    summary = F.summary(found)
    summary["notes_skipped"] = skipped
    ui.alert(_summary_text(summary, plan), critical=summary["errors"] > 0)
    return summary


def _form(book, spec):
    """(spec, record) of the form the open workbook is (申报 or 跟踪表: see track.spec.form_spec)."""
    from xjr_excel.track import record, spec as track
    names = [s.name for s in book.sheets]
    spec = track.form_spec(spec, names)
    if spec.form != track.FORM or track.RECORD_SHEET not in names:
        return spec, None
    return spec, record.from_grid(_sheet_grid(book.sheets[track.RECORD_SHEET]))


def _summary_text(summary: dict, plan) -> str:
    e, w = summary["errors"], summary["warnings"]
    if e:
        text = f"校验完成：发现{e}个错误、{w}个警告。\n错误单元格已标红、警告标黄，鼠标悬停可看批注；全部问题见“校验结果”工作表（点击单元格地址可跳转）。"
    elif w:
        text = f"校验完成：没有错误，有{w}个警告，请逐条核对（见“校验结果”工作表）。"
    else:
        text = "校验完成：未发现问题。上报前请点击“清除标记”。"
    if summary.get("notes_skipped"):
        text += f"\n（{summary['notes_skipped']}个单元格原有批注，未添加校验批注，问题已列入“校验结果”。）"
    return text


def _write_marks(book, plan) -> list[str]:
    """Codes into the marks sheets (conditional formatting colours the cells). Returns direct fills made
    where a workbook lacks the marks sheets (not from the master template)."""
    direct: list[str] = []
    twin_to_sheet = {M.marks_sheet_name(k): s for k, s in plan.sheet_keys.items()}
    colours = {M.MARK_ERROR: "#" + M.ERROR_FILL, M.MARK_WARNING: "#" + M.WARNING_FILL}
    for twin, (top_left, grid) in plan.marks.items():
        target = _sheet_or_none(book, twin)
        if target is not None:
            for row, col, values in row_runs(top_left, grid):
                target.range((row, col), (row + len(values) - 1, col + len(values[0]) - 1)).value = values
            continue
        user = _sheet_or_none(book, twin_to_sheet.get(twin, ""))
        if user is None:
            continue
        for row, col, n, code in column_runs(top_left, grid):
            rng = user.range((row, col), (row + n - 1, col))
            rng.color = colours[code]
            direct.append(f"{user.name}!{rng.address.replace('$', '')}")
    return direct


class _NoteCells:
    """Cells and their current notes, with each sheet's notes listed once (not per cell)."""

    def __init__(self, book):
        self.by_name = {s.name: s for s in book.sheets}
        self.known: dict[str, set[str] | None] = {}

    def find(self, sheet_name: str, cell: str):
        """``(range, note or None)``, or None when the sheet is gone."""
        sheet = self.by_name.get(sheet_name)
        if sheet is None:
            return None
        if sheet_name not in self.known:
            self.known[sheet_name] = existing_notes(sheet)
        has = self.known[sheet_name]
        rng = sheet.range(cell)
        return rng, (rng.note if has is None or cell in has else None)


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


def _write_notes(book, plan) -> tuple[list[list], int]:
    """One note per cell (Excel has no bulk note call). A cell that already has a note keeps
    it under ours when its text can be read; where it cannot (remote engine) it is left alone."""
    stored, skipped = [], 0
    cells = _NoteCells(book)
    for (sheet_name, cell), text in plan.notes.items():
        found = cells.find(sheet_name, cell)
        if found is None:
            continue
        rng, old = found
        if old is not None:
            try:
                old_text = old.text
            except NotImplementedError:
                skipped += 1
                continue
            try:
                old_author = old.author
            except Exception:  # noqa: BLE001
                old_author = None
            old.delete()
            rng.add_note(A.compose_note(text, old_text))
            stored.append([sheet_name, cell, old_text, old_author, 0])
            continue
        try:
            # The cell has no note (checked above): skip xlwings' own per-call check,
            # which scans every note of the sheet on some engines.
            rng.impl.add_note(text)
        except NotImplementedError:
            skipped += 1
            continue
        stored.append([sheet_name, cell, None, None, 1])
    return stored, skipped


def _write_store(book, stored: list[list]) -> None:
    sheet = book.sheets.add(A.NOTES_SHEET, after=book.sheets[len(book.sheets) - 1])
    _write_table(sheet, [list(A.NOTES_HEADER)] + stored)
    _hide(sheet)


def _write_state(book, state: dict) -> None:
    sheet = book.sheets.add(A.STATE_SHEET, after=book.sheets[len(book.sheets) - 1])
    _write_table(sheet, [[k, v] for k, v in state.items()])
    _hide(sheet)


def _write_results(book, plan) -> None:
    sheet = book.sheets.add(A.RESULTS_SHEET, before=book.sheets[0])
    values = [[_as_text(v) for v in row] for row in plan.results]
    for (r, c), target in plan.links.items():
        shown = plan.results[r][c]
        values[r][c] = A.hyperlink_formula(target, "" if shown is None else str(shown))
    sheet.range((1, 1), (len(values), A.RESULTS_WIDTH)).value = values
    _style_results(sheet, plan)


def _style_results(sheet, plan) -> None:
    """A few range-wide format calls; optional (an engine without them still gets the data)."""
    try:
        sheet.range("A1").font.bold = True
        sheet.range("A1").font.size = 14
        for hr, width in ((plan.count_header_row, 4), (plan.table_header_row, A.RESULTS_WIDTH)):
            head = sheet.range((hr + 1, 1), (hr + 1, width))
            head.font.bold = True
            head.color = "#D9E1F2"
        first = plan.table_header_row + 2
        rows = plan.results[plan.table_header_row + 1:]
        i = 0
        while i < len(rows):          # severity column: one fill per run of equal severity
            sev, k = rows[i][5], i
            while k + 1 < len(rows) and rows[k + 1][5] == sev:
                k += 1
            fill = {"错误": M.ERROR_FILL, "警告": M.WARNING_FILL}.get(sev)
            if fill:
                sheet.range((first + i, 6), (first + k, 6)).color = "#" + fill
            i = k + 1
        for col, width in enumerate(A.RESULTS_COL_WIDTHS, start=1):
            sheet.range((1, col)).column_width = width
        if len(plan.results) >= first:
            sheet.range((first, 8), (len(plan.results), 8)).wrap_text = True
    except (NotImplementedError, AttributeError):
        pass


# --------------------------------------------------------------------------
# 清除标记
# --------------------------------------------------------------------------

def _clear(book, ui: _UI) -> dict:
    ui.status("正在清除校验标记…")
    previous = reset_book(book, ui)
    back = _sheet_or_none(book, previous.state.get("active_sheet", "")) if previous.state else None
    if back is not None:
        back.activate()
    ui.alert("已清除校验标记、校验批注和“校验结果”工作表；您原有的批注已恢复。" if previous.state
             else "没有需要清除的校验标记。")
    return {"cleared": bool(previous.state), "notes_removed": previous.notes_removed}


# --------------------------------------------------------------------------
# 合并汇总
# --------------------------------------------------------------------------

def from_vba(text) -> str:
    """VBA escapes each UTF-16 code unit (\\uXXXX): join surrogate pairs (rare CJK) into characters."""
    return str(text).encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def output_path(paths: list[str], now: _dt.datetime | None = None) -> Path:
    now = now or _dt.datetime.now()
    folder = Path(paths[0]).resolve().parent
    return folder / f"全省汇总-{now:%Y%m%d-%H%M%S}.xlsx"


def _consolidate(book, ui: _UI, paths, province) -> dict | None:
    from xjr_excel.province import consolidate as C
    if not paths:
        ui.alert("请点击“合并汇总”按钮，在弹出的对话框中选择各市上报的工作簿（可多选）。")
        return None
    paths = [from_vba(p) for p in paths]
    province = from_vba(province) if province else None
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UserError(f"找不到文件：{'、'.join(missing)}。请重新选择。")
    out = output_path(paths)
    ui.status(f"正在读取{len(paths)}个城市工作簿…")
    payload = C.consolidate(paths, out, province=province or "××省", jobs=1, progress=False)
    written = payload.get("province", {}).get("output")
    cities = payload.get("cities", [])
    skipped = payload.get("skipped", [])
    text = f"已合并{len(cities)}个城市。"
    if skipped:
        text += "\n未合并的文件：\n" + "\n".join(f"· {Path(s['file']).name}：{s['reason']}" for s in skipped)
    if not written:
        raise UserError("所选文件都无法读取，未生成汇总表。" + ("\n" + text if skipped else ""))
    opened = _open_book(book, written)
    text += f"\n汇总表：{written}" + ("" if opened else "\n（请在Excel中打开该文件查看。）")
    ui.alert(text)
    return payload


def _open_book(book, path: str) -> bool:
    """Open the provincial workbook in the user's Excel; engines without files (remote) cannot."""
    try:
        if book.app.engine.name not in ("excel",):
            return False
        book.app.books.open(path)
        return True
    except Exception:  # noqa: BLE001 - the file is written either way; say where it is
        return False
