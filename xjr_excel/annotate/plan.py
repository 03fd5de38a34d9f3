"""The annotation plan: what validating shows in a workbook, as plain data (the API).

What a user sees after validating:

* failed cells coloured — red for errors, amber for warnings — through the
  marks sheets and conditional formatting of :mod:`xjr_excel.template.marks`, so the
  user's own fills, fonts and borders are never changed;
* a note (批注) on each failed cell with every message for it, headed
  ``小巨人校验：``; a note the user had already written is kept (shown under ours)
  and its original text and author are stored in the very hidden sheet ``_xjr_notes``;
* a ``校验结果`` sheet, first and active: time of the check, file, counts by
  sheet × severity, then one row per finding with a link to its cell.

:func:`plan_annotations` turns findings into an :class:`AnnotationPlan`;
:func:`results_style` says how its 校验结果 sheet looks.  The backends
(:mod:`xjr_excel.annotate.backends`: openpyxl for files, xlwings for the open
workbook) only write a plan; :mod:`xjr_excel.annotate.bookkeeping` holds the
steps they share (reset, state, notes), so the two never diverge.
"""
from __future__ import annotations

import datetime as _dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from xjr_excel.template import marks as M
from xjr_excel.ooxml.cells import column_letter, row_col
from xjr_excel.ooxml.safe_text import ILLEGAL_XML_CHARS
from xjr_excel.ooxml.wrap import wrapped_lines
from xjr_excel.model import SEVERITY_LABEL, Finding
from xjr_excel.spec.definition import Spec, get_spec
from xjr_excel.own_sheets import OWN_SHEET_PREFIX, RESULTS_SHEET  # noqa: F401 - RESULTS_SHEET: named there once

NOTES_SHEET = OWN_SHEET_PREFIX + "notes"      # very hidden: the user's notes we covered
STATE_SHEET = OWN_SHEET_PREFIX + "state"      # very hidden: key/value facts about the last check
NOTE_AUTHOR = "小巨人校验"
ORIGINAL_NOTE_HEADING = "——原批注——"

NOTES_HEADER = ("工作表", "单元格", "原批注", "原作者", "由校验添加")
RESULTS_HEADER = ("序号", "工作表", "单元格", "字段", "值", "严重程度", "规则", "说明")
RESULTS_WIDTH = len(RESULTS_HEADER)
RESULTS_COL_WIDTHS = (10, 12, 9, 26, 24, 9, 24, 90)
WRAPPED_COLUMNS = (4, 5, 8)        # 字段, 值, 说明
VALUE_MAX = 80                    # characters of a user value shown in the results (the note has the rule)


# --------------------------------------------------------------------------
# Small pure helpers (shared by both backends)
# --------------------------------------------------------------------------

def clean_text(value, limit: int | None = None) -> str:
    """Text safe for a cell or note: no control characters, at most ``limit`` characters."""
    text = "" if value is None else str(value)
    text = ILLEGAL_XML_CHARS.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def location(sheet: str, cell: str) -> str:
    """Internal link target: ``'附3'!C5`` (quotes doubled as Excel wants)."""
    return "'" + sheet.replace("'", "''") + "'!" + cell


def hyperlink_formula(target: str, text: str) -> str:
    """``=HYPERLINK("#'附3'!C5","C5")`` for writers that can only write values in bulk (xlwings)."""
    return '=HYPERLINK("#' + target.replace('"', '""') + '","' + text.replace('"', '""') + '")'


def note_line(f: Finding) -> str:
    # the rule id is for 校验结果's own column and JSON, not for the person reading the note
    return f"【{SEVERITY_LABEL.get(f.severity, f.severity)}】{clean_text(f.message)}"


def compose_note(ours: str, original: str | None) -> str:
    """Our note text, followed by the user's own note (which clear restores exactly)."""
    return ours if not original else f"{ours}\n\n{ORIGINAL_NOTE_HEADING}\n{original}"


def note_size(text: str) -> tuple[int, int]:
    """(width, height) in pixels so the whole note shows on hover (≈22 CJK characters a line)."""
    width, per_line = 320, 22
    lines = sum(max(1, math.ceil(len(line) / per_line)) for line in text.split("\n"))
    return width, min(600, 18 * lines + 12)


def cell_rc(cell: str) -> tuple[int, int] | None:
    """(row, col) of a plain A1 address, else None (whole-file findings have no cell)."""
    rc = row_col(cell) if isinstance(cell, str) else (0, 0)
    return rc if rc[0] >= 1 else None


# --------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------

@dataclass
class AnnotationPlan:
    """Everything to write, as plain data.

    marks:   marks sheet name → (top-left A1, rows × cols codes: 2 error, 1 warning, None blank),
             the bounding box of that sheet's findings; write it after emptying the marks sheet.
    notes:   (sheet, A1) → our note text (see :func:`compose_note` for a cell with a user note).
    results: the 校验结果 sheet from A1, a rectangle ``RESULTS_WIDTH`` wide; values are literal
             text/numbers (a writer that turns "=…" into formulas must write them as text).
    links:   (row, col) 0-based in ``results`` → internal target ``'附3'!C5``.
    """
    marks: dict[str, tuple[str, list[list[int | None]]]]
    notes: dict[tuple[str, str], str]
    results: list[list]
    links: dict[tuple[int, int], str]
    title_row: int
    count_header_row: int
    table_header_row: int
    checked_at: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)   # sheet → {"error": n, "warning": n}
    sheet_keys: dict[str, str] = field(default_factory=dict)          # spec key → actual sheet


def plan_annotations(findings: list[Finding], spec: Spec | None, sheet_names: list[str],
                     checked_at: _dt.datetime | str | None = None, *, file_name: str | None = None,
                     sheet_keys: dict[str, str] | None = None) -> AnnotationPlan:
    """Turn findings into marks, notes and the results sheet (pure: no workbook needed).

    ``sheet_names``: the workbook's sheets in order (to find 附1… and order the counts).
    ``sheet_keys``: spec key → actual sheet when the caller knows better (tables found on sheets).
    """
    spec = spec or get_spec()
    if sheet_keys is None:
        sheet_keys = M.locate_sheets(list(sheet_names), spec)
    key_of = {sheet: key for key, sheet in sheet_keys.items()}
    if checked_at is None:
        checked_at = _dt.datetime.now()
    stamp = checked_at.strftime("%Y-%m-%d %H:%M:%S") if isinstance(checked_at, _dt.datetime) else str(checked_at)
    if file_name is None:
        file_name = next((Path(f.file).name for f in findings if f.file), "")

    # marks: the highest severity per cell, per marked sheet
    codes: dict[str, dict[tuple[int, int], int]] = defaultdict(dict)
    texts: dict[tuple[str, str], list[str]] = defaultdict(list)
    marked = M.marked_sheet_keys(spec)
    for f in findings:
        rc = cell_rc(f.cell) if f.sheet else None
        if rc is None:
            continue
        addr = f"{column_letter(rc[1])}{rc[0]}"
        line = note_line(f)
        if line not in texts[(f.sheet, addr)]:
            texts[(f.sheet, addr)].append(line)
        key = key_of.get(f.sheet)
        if key in marked and rc[0] <= M.MARK_ROWS and rc[1] <= M.MARK_COLS:
            code = M.SEVERITY_CODE.get(f.severity, M.MARK_WARNING)
            cells = codes[M.marks_sheet_name(key)]
            cells[rc] = max(code, cells.get(rc, 0))
    marks: dict[str, tuple[str, list[list[int | None]]]] = {}
    for twin, cells in codes.items():
        r0, r1 = min(r for r, _ in cells), max(r for r, _ in cells)
        c0, c1 = min(c for _, c in cells), max(c for _, c in cells)
        grid: list[list[int | None]] = [[None] * (c1 - c0 + 1) for _ in range(r1 - r0 + 1)]
        for (r, c), code in cells.items():
            grid[r - r0][c - c0] = code
        marks[twin] = (f"{column_letter(c0)}{r0}", grid)
    notes = {k: f"{NOTE_AUTHOR}：\n" + "\n".join(v) for k, v in texts.items()}

    # counts by sheet × severity, in workbook order (every attachment sheet, even when clean)
    counts: dict[str, Counter] = defaultdict(Counter)
    for f in findings:
        counts[f.sheet or ""][f.severity] += 1
    order = [s for s in sheet_names if s in key_of and key_of[s] != "guide" or s in counts]
    order += [s for s in counts if s not in order]

    def pad(row: list) -> list:
        return list(row) + [None] * (RESULTS_WIDTH - len(row))

    n_err = sum(c["error"] for c in counts.values())
    n_warn = sum(c["warning"] for c in counts.values())
    if n_err:
        verdict = f"发现{n_err}个错误、{n_warn}个警告。请按“说明”逐条修改（点击“单元格”可跳转），改完后重新校验。"
    elif n_warn:
        verdict = f"没有错误；有{n_warn}个警告，请逐条核对（点击“单元格”可跳转）。"
    else:
        verdict = "未发现问题。上报前可点击“清除标记”。"
    rows: list[list] = [pad(["校验结果"]), pad(["检查时间", stamp]), pad(["文件", clean_text(file_name)]),
                        pad(["结论", verdict]), pad([])]
    links: dict[tuple[int, int], str] = {}
    count_header_row = len(rows)
    rows.append(pad(["工作表", "错误", "警告", "合计"]))
    for s in order:
        c = counts.get(s, Counter())
        if s and s in sheet_names:
            links[(len(rows), 0)] = location(s, "A1")
        rows.append(pad([s or "（整个文件）", c["error"], c["warning"], c["error"] + c["warning"]]))
    rows.append(pad(["合计", n_err, n_warn, n_err + n_warn]))
    rows.append(pad([]))
    table_header_row = len(rows)
    rows.append(list(RESULTS_HEADER))
    for i, f in enumerate(findings, start=1):
        rc = cell_rc(f.cell) if f.sheet else None
        addr = f"{column_letter(rc[1])}{rc[0]}" if rc else None
        if rc and f.sheet in sheet_names:
            links[(len(rows), 2)] = location(f.sheet, addr)
        rows.append([i, f.sheet or "（整个文件）", addr, clean_text(f.field, VALUE_MAX),
                     clean_text(f.value, VALUE_MAX), SEVERITY_LABEL.get(f.severity, f.severity),
                     f.rule, clean_text(f.message)])
    return AnnotationPlan(marks=marks, notes=notes, results=rows, links=links, title_row=0,
                          count_header_row=count_header_row, table_header_row=table_header_row,
                          checked_at=stamp, counts={s: dict(c) for s, c in counts.items()},
                          sheet_keys=dict(sheet_keys))


def combine_notes(texts: list[str]) -> str:
    """One note from the notes planned for cells that share a merged area: one heading, every line."""
    return texts[0] + "".join("\n" + t.split("\n", 1)[-1] for t in texts[1:])


# --------------------------------------------------------------------------
# How the 校验结果 sheet looks (both backends apply the same style)
# --------------------------------------------------------------------------

Box = tuple[int, int, int, int]          # first row, first column, last row, last column (1-based)

HEADER_FILL = "D9E1F2"
SEVERITY_FILL = {"错误": M.ERROR_FILL, "警告": M.WARNING_FILL}
LINK_COLOR = "0563C1"
LINE_HEIGHT = 18                          # points per wrapped line: LibreOffice sets 11 pt CJK text ~16.2 pt apart, plus cell padding
RESULTS_FONT_PT = 11                      # the sheet's text (Excel's default font size)


@dataclass
class ResultsStyle:
    """Formats of the 校验结果 sheet as boxes, so each backend needs one call per box."""
    title: tuple[int, int]
    bold: list[Box]
    headers: list[Box]                    # bold on HEADER_FILL
    centred: Box | None                   # the counts sit under their headers
    merged: Box                           # the verdict spans the table's width
    severity: list[tuple[Box, str]]       # runs of one severity in the 严重程度 column → fill
    wrapped: list[Box]
    top: Box | None                       # finding rows align to the top
    row_heights: dict[int, float]
    column_widths: tuple[int, ...]
    freeze: tuple[int, int]
    autofilter: Box | None
    title_rows: tuple[int, int]           # repeated on every printed page
    page_header: str = ""                 # printed atop every page: the file checked (rows name only sheet + cell)


def results_style(plan: AnnotationPlan) -> ResultsStyle:
    last = len(plan.results)
    first = plan.table_header_row + 2          # first finding row
    total = plan.table_header_row              # 合计 sits just above the blank row
    severity: list[tuple[Box, str]] = []
    r = first
    while r <= last:
        sev, k = plan.results[r - 1][5], r
        while k + 1 <= last and plan.results[k][5] == sev:
            k += 1
        if sev in SEVERITY_FILL:
            severity.append(((r, 6, k, 6), SEVERITY_FILL[sev]))
        r = k + 1
    heights = {}
    # Row heights by hand: neither openpyxl nor LibreOffice's import fits wrapped rows.
    for r in range(first, last + 1):
        row = plan.results[r - 1]
        lines = max(wrapped_lines(row[c - 1] or "", RESULTS_COL_WIDTHS[c - 1], RESULTS_FONT_PT)
                    for c in WRAPPED_COLUMNS)
        if lines > 1:
            heights[r] = LINE_HEIGHT * lines
    has_rows = last >= first
    return ResultsStyle(
        title=(1, 1),
        bold=[(2, 1, plan.count_header_row - 1, 1), (total, 1, total, 4)],
        headers=[(plan.count_header_row + 1, 1, plan.count_header_row + 1, 4),
                 (plan.table_header_row + 1, 1, plan.table_header_row + 1, RESULTS_WIDTH)],
        centred=(plan.count_header_row + 1, 2, total, 4),
        merged=(4, 2, 4, RESULTS_WIDTH),
        severity=severity,
        wrapped=[(first, c, last, c) for c in WRAPPED_COLUMNS] if has_rows else [],
        top=(first, 1, last, RESULTS_WIDTH) if has_rows else None,
        row_heights=heights,
        column_widths=RESULTS_COL_WIDTHS,
        freeze=(first, 1),
        autofilter=(plan.table_header_row + 1, 1, last, RESULTS_WIDTH) if has_rows else None,
        title_rows=(plan.table_header_row + 1, plan.table_header_row + 1),
        page_header=f"{RESULTS_SHEET}：" + next((str(row[1] or "") for row in plan.results[:plan.count_header_row]
                                                if row[0] == "文件"), ""),
    )
