"""Show validation findings in the workbook itself, and take them away again.

What a user sees after validating:

* failed cells coloured — red for errors, amber for warnings — through the
  marks sheets and conditional formatting of :mod:`xjr_excel.annotate.marks`, so the
  user's own fills, fonts and borders are never changed;
* a note (批注) on each failed cell with every message for it, author
  ``小巨人校验``; a note the user had already written is kept (shown under ours)
  and its original text is stored in the very hidden sheet ``_xjr_notes``;
* a ``校验结果`` sheet, first and active: time of the check, file, counts by
  sheet × severity, then one row per finding with a link to its cell.

Clearing empties the marks, restores every note exactly (text and author;
notes we created are deleted), removes ``校验结果`` and our store sheets and
re-activates the sheet that was active.  Validating again clears first, so
marks never stack.

:func:`plan_annotations` is pure data shared by the openpyxl writer here and
the xlwings ribbon writer (:mod:`xjr_excel.ribbon`), so the two never diverge.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import coordinate_from_string, column_index_from_string, get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from xjr_excel.annotate import marks as M
from xjr_excel.atomic import atomic_path
from xjr_excel.errors import UserError
from xjr_excel.model import Finding
from xjr_excel.spec.definition import Spec, get_spec
from xjr_excel.template.layout import print_frame

RESULTS_SHEET = "校验结果"
NOTES_SHEET = "_xjr_notes"      # very hidden: the user's notes we covered
STATE_SHEET = "_xjr_state"      # very hidden: key/value facts about the last check
NOTE_AUTHOR = "小巨人校验"
SEVERITY_LABEL = {"error": "错误", "warning": "警告"}
ORIGINAL_NOTE_HEADING = "——原批注——"

NOTES_HEADER = ("工作表", "单元格", "原批注", "原作者", "由校验添加")
RESULTS_HEADER = ("序号", "工作表", "单元格", "字段", "值", "严重程度", "规则", "说明")
RESULTS_WIDTH = len(RESULTS_HEADER)
RESULTS_COL_WIDTHS = (10, 12, 9, 26, 24, 9, 24, 90)
WRAPPED_COLUMNS = (4, 5, 8)        # 字段, 值, 说明
VALUE_MAX = 80                    # characters of a user value shown in the results (the note has the rule)


# --------------------------------------------------------------------------
# Small pure helpers (shared with the ribbon writer)
# --------------------------------------------------------------------------

def clean_text(value, limit: int | None = None) -> str:
    """Text safe for a cell or note: no control characters, at most ``limit`` characters."""
    text = "" if value is None else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)
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
    return f"【{SEVERITY_LABEL.get(f.severity, f.severity)} {f.rule}】{clean_text(f.message)}"


def compose_note(ours: str, original: str | None) -> str:
    """Our note text, followed by the user's own note (which clear restores exactly)."""
    return ours if not original else f"{ours}\n\n{ORIGINAL_NOTE_HEADING}\n{original}"


def note_size(text: str) -> tuple[int, int]:
    """(width, height) in pixels so the whole note shows on hover (≈22 CJK characters a line)."""
    width, per_line = 320, 22
    lines = sum(max(1, math.ceil(len(line) / per_line)) for line in text.split("\n"))
    return width, min(600, 18 * lines + 12)


def _cell_ok(cell: str) -> tuple[int, int] | None:
    """(row, col) of a plain A1 address, else None (whole-file findings have no cell)."""
    try:
        col, row = coordinate_from_string(cell.replace("$", ""))
        return row, column_index_from_string(col)
    except (ValueError, AttributeError, TypeError):
        return None


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
    for f in findings:
        rc = _cell_ok(f.cell) if f.sheet else None
        if rc is None:
            continue
        addr = f"{get_column_letter(rc[1])}{rc[0]}"
        line = note_line(f)
        if line not in texts[(f.sheet, addr)]:
            texts[(f.sheet, addr)].append(line)
        key = key_of.get(f.sheet)
        if key in M.MARKED_SHEET_KEYS and rc[0] <= M.MARK_ROWS and rc[1] <= M.MARK_COLS:
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
        marks[twin] = (f"{get_column_letter(c0)}{r0}", grid)
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
        rc = _cell_ok(f.cell) if f.sheet else None
        addr = f"{get_column_letter(rc[1])}{rc[0]}" if rc else None
        if rc and f.sheet in sheet_names:
            links[(len(rows), 2)] = location(f.sheet, addr)
        rows.append([i, f.sheet or "（整个文件）", addr, clean_text(f.field, VALUE_MAX),
                     clean_text(f.value, VALUE_MAX), SEVERITY_LABEL.get(f.severity, f.severity),
                     f.rule, clean_text(f.message)])
    return AnnotationPlan(marks=marks, notes=notes, results=rows, links=links, title_row=0,
                          count_header_row=count_header_row, table_header_row=table_header_row,
                          checked_at=stamp, counts={s: dict(c) for s, c in counts.items()},
                          sheet_keys=dict(sheet_keys))


# --------------------------------------------------------------------------
# openpyxl writer
# --------------------------------------------------------------------------

def _set_text(cell, value) -> None:
    """Write a value as data: text that starts with "=" stays text, never a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _read_state(wb) -> dict[str, str]:
    if STATE_SHEET not in wb.sheetnames:
        return {}
    return {str(r[0]): ("" if r[1] is None else str(r[1]))
            for r in wb[STATE_SHEET].iter_rows(values_only=True) if r and r[0] is not None}


def _write_state(wb, state: dict[str, str]) -> None:
    ws = wb.create_sheet(STATE_SHEET)
    ws.sheet_state = "veryHidden"
    for i, (k, v) in enumerate(state.items(), start=1):
        _set_text(ws.cell(i, 1), k)
        _set_text(ws.cell(i, 2), v)


def _activate(wb, title: str | None) -> None:
    """Make ``title`` the one active, selected sheet (never leave several tabs grouped)."""
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    target = wb[title] if title in wb.sheetnames and wb[title].sheet_state == "visible" else (
        visible[0] if visible else None)
    if target is None:
        return
    wb.active = wb.worksheets.index(target)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws is target


def _anchor(ws, cell: str) -> str:
    """The top-left cell of the merged range holding ``cell`` (notes can only sit there)."""
    for rng in ws.merged_cells.ranges:
        if cell in rng:
            return f"{get_column_letter(rng.min_col)}{rng.min_row}"
    return cell


def reset_workbook(wb) -> dict[str, str]:
    """Undo the last annotation (notes, marks, results sheet, active sheet). Returns its state."""
    state = _read_state(wb)
    restored: set[tuple[str, str]] = set()
    if NOTES_SHEET in wb.sheetnames:
        for row in wb[NOTES_SHEET].iter_rows(min_row=2, values_only=True):
            if not row or row[0] is None or row[0] not in wb.sheetnames:
                continue
            sheet, cell, text, author, created = (list(row) + [None] * 5)[:5]
            c = wb[sheet][cell]
            if str(created) == "1" or text is None:
                c.comment = None
            else:
                c.comment = Comment(str(text), "" if author is None else str(author))
            restored.add((sheet, cell))
        del wb[NOTES_SHEET]
    # Our notes the store does not know (e.g. a marked cell the user copied elsewhere).
    for ws in wb.worksheets:
        for c in list(ws._cells.values()):          # noqa: SLF001 - cells that exist, no new ones
            if c.comment is not None and c.comment.author == NOTE_AUTHOR and (ws.title, c.coordinate) not in restored:
                c.comment = None
    if RESULTS_SHEET in wb.sheetnames and (state or wb[RESULTS_SHEET]["A1"].value == RESULTS_SHEET):
        del wb[RESULTS_SHEET]
    M.empty_marks(wb)
    if STATE_SHEET in wb.sheetnames:
        del wb[STATE_SHEET]
    if state:
        _activate(wb, state.get("active_sheet"))
        if "selected_sheets" in state:           # exactly the tabs that were selected before
            selected = set(filter(None, state["selected_sheets"].split("\t")))
            for ws in wb.worksheets:
                ws.sheet_view.tabSelected = ws.title in selected
    return state


def clear_workbook(wb) -> None:
    """Remove every mark, note and the results sheet; the infrastructure stays if the file had it."""
    state = reset_workbook(wb)
    if state.get("marks_added") == "1":
        M.uninstall_marks(wb)


def _wrapped_lines(text, width: float) -> int:
    """Lines ``text`` needs in a column ``width`` characters wide (a CJK character counts 2)."""
    if not text:
        return 1
    units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))
    return max(1, math.ceil(units / max(1.0, width)))


def _style_results(ws, plan: AnnotationPlan) -> None:
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="D9E1F2")
    ws["A1"].font = Font(bold=True, size=14)
    for r in range(2, plan.count_header_row):
        ws.cell(r, 1).font = bold
    ws.merge_cells(start_row=4, start_column=2, end_row=4, end_column=RESULTS_WIDTH)
    for hr, width in ((plan.count_header_row, 4), (plan.table_header_row, RESULTS_WIDTH)):
        for c in range(1, width + 1):
            cell = ws.cell(hr + 1, c)
            cell.font, cell.fill = bold, head_fill
    total_row = plan.table_header_row - 1       # 合计 row sits just above the blank row
    for c in range(1, 5):
        ws.cell(total_row, c).font = bold
    centre = Alignment(horizontal="center")     # counts sit under their headers, not at the far edge
    for r in range(plan.count_header_row + 1, total_row + 1):
        for c in range(2, 5):
            ws.cell(r, c).alignment = centre
    sev_fill = {"错误": PatternFill("solid", fgColor=M.ERROR_FILL), "警告": PatternFill("solid", fgColor=M.WARNING_FILL)}
    wrap, top = Alignment(wrap_text=True, vertical="top"), Alignment(vertical="top")
    for r in range(plan.table_header_row + 2, len(plan.results) + 1):
        sev = ws.cell(r, 6)
        if sev.value in sev_fill:
            sev.fill = sev_fill[sev.value]
        for c in range(1, RESULTS_WIDTH + 1):
            ws.cell(r, c).alignment = wrap if c in WRAPPED_COLUMNS else top
        # Row heights by hand: neither openpyxl nor LibreOffice's import fits wrapped rows.
        lines = max(_wrapped_lines(ws.cell(r, c).value, RESULTS_COL_WIDTHS[c - 1]) for c in WRAPPED_COLUMNS)
        if lines > 1:
            ws.row_dimensions[r].height = 15 * lines
    for i, w in enumerate(RESULTS_COL_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = ws.cell(plan.table_header_row + 2, 1)
    if len(plan.results) > plan.table_header_row + 1:
        ws.auto_filter.ref = f"A{plan.table_header_row + 1}:{get_column_letter(RESULTS_WIDTH)}{len(plan.results)}"
    # A4 with our footer; every page names the file checked (the rows name sheet and cell only)
    checked = next((row[1] for row in plan.results[:plan.count_header_row] if row[0] == "文件"), None)
    print_frame(ws, landscape=True, header=f"{RESULTS_SHEET}：{checked or ''}")
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{plan.table_header_row + 1}:{plan.table_header_row + 1}"


def _write_results(wb, plan: AnnotationPlan) -> None:
    ws = wb.create_sheet(RESULTS_SHEET, 0)
    for r, row in enumerate(plan.results, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                _set_text(ws.cell(r, c), v)
    link_font = Font(color="0563C1", underline="single")
    for (r, c), target in plan.links.items():
        cell = ws.cell(r + 1, c + 1)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target, display=str(cell.value or ""))
        cell.font = link_font
    _style_results(ws, plan)


def _write_marks(wb, plan: AnnotationPlan) -> None:
    key_sheet = {M.marks_sheet_name(k): s for k, s in plan.sheet_keys.items()}
    for twin, (top_left, grid) in plan.marks.items():
        if twin not in wb.sheetnames:
            continue
        ms = wb[twin]
        user = wb[key_sheet[twin]] if key_sheet.get(twin) in wb.sheetnames else None
        r0, c0 = _cell_ok(top_left)
        for i, row in enumerate(grid):
            for j, code in enumerate(row):
                if code is None:
                    continue
                ms.cell(r0 + i, c0 + j, code)
                if user is not None:      # a merged area shows its top-left cell's format
                    a = _cell_ok(_anchor(user, f"{get_column_letter(c0 + j)}{r0 + i}"))
                    if a != (r0 + i, c0 + j):
                        old = ms.cell(*a).value or 0
                        ms.cell(*a, max(old, code))


def _write_notes(wb, plan: AnnotationPlan) -> None:
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (sheet, cell), text in plan.notes.items():
        if sheet in wb.sheetnames:
            grouped[(sheet, _anchor(wb[sheet], cell))].append(text)
    store = wb.create_sheet(NOTES_SHEET)
    store.sheet_state = "veryHidden"
    store.append(list(NOTES_HEADER))
    for (sheet, cell), parts in grouped.items():
        c = wb[sheet][cell]
        old = c.comment
        ours = parts[0] if len(parts) == 1 else parts[0] + "\n" + "\n".join(p.split("\n", 1)[-1] for p in parts[1:])
        text = compose_note(ours, old.text if old else None)
        w, h = note_size(text)
        row = store.max_row + 1
        for col, v in enumerate((sheet, cell, old.text if old else None, old.author if old else None,
                                 0 if old else 1), start=1):
            if v is not None:
                _set_text(store.cell(row, col), v)
        c.comment = Comment(text, NOTE_AUTHOR, height=h, width=w)


def annotate_workbook(wb, findings: list[Finding], spec: Spec | None = None,
                      checked_at: _dt.datetime | str | None = None, *, file_name: str | None = None) -> AnnotationPlan:
    """Annotate an openpyxl workbook in memory (replacing any previous annotation)."""
    spec = spec or get_spec()
    state = reset_workbook(wb)
    active = state.get("active_sheet") or wb.active.title
    selected = state.get("selected_sheets") if state else "\t".join(
        ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected)
    keys = M.workbook_sheet_keys(wb, spec)
    added = M.install_marks(wb, spec, keys)
    user_sheets = [s for s in wb.sheetnames if not s.startswith("_xjr_")]
    plan = plan_annotations(findings, spec, user_sheets, checked_at, file_name=file_name, sheet_keys=keys)
    _write_marks(wb, plan)
    _write_notes(wb, plan)
    _write_results(wb, plan)
    _write_state(wb, {"active_sheet": active, "selected_sheets": selected or "",
                      "marks_added": "1" if added or state.get("marks_added") == "1" else "0",
                      "checked_at": plan.checked_at})
    _activate(wb, RESULTS_SHEET)
    return plan


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------

MACRO_SUFFIXES = (".xlsm", ".xltm")


def _load(src: Path):
    import openpyxl
    if src.suffix.lower() not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
        raise UserError(f"只能标记 .xlsx / .xlsm 工作簿，“{src.name}”不是。请先在Excel中另存为 .xlsx 后再校验。",
                        file=str(src))
    # rich_text: keep partly bold/coloured cell text as it is.  openpyxl warns that it
    # drops worksheet extensions; package.carry_over_parts puts them back after saving.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*extension is not supported", category=UserWarning)
        return openpyxl.load_workbook(src, keep_vba=src.suffix.lower() in MACRO_SUFFIXES, rich_text=True)


def _drop_note_drawings(wb) -> None:
    """Let openpyxl draw every notes layer afresh (keep_vba only).

    With keep_vba openpyxl reuses each sheet's old notes drawing by its old
    name but numbers new ones from 1, so a sheet that gets its first note can
    collide with another sheet's kept drawing (duplicate zip entries), and a
    sheet left without notes would keep its stale note shapes.  Drawings that
    hold anything besides notes (form controls) are left alone.
    """
    if wb.vba_archive is None:
        return
    for ws in wb.worksheets:
        if not ws.legacy_drawing:
            continue
        try:
            vml = wb.vba_archive.read(ws.legacy_drawing).decode("utf-8", "replace")
        except KeyError:
            ws.legacy_drawing = None
            continue
        kinds = re.findall(r'ObjectType\s*=\s*"(\w+)"', vml)
        if all(k == "Note" for k in kinds):
            ws.legacy_drawing = None


def _save(wb, src: Path, dst: Path) -> Path:
    from xjr_excel.ooxml.carry_over import carry_over_parts
    from xjr_excel.ooxml.excel_fit import fit_for_excel
    _drop_note_drawings(wb)
    fit_for_excel(wb)           # Excel's limits and sheet modules, also for files from older templates
    same = src.exists() and dst.exists() and src.resolve() == dst.resolve()
    try:
        with atomic_path(dst, inputs=() if same else (src,)) as tmp:
            wb.save(tmp)
            carry_over_parts(src, tmp)
    finally:
        if wb.vba_archive is not None:      # openpyxl never closes its copy of the package
            wb.vba_archive.close()
    return dst


def annotate_file(src, dst, findings: list[Finding], spec: Spec | None = None,
                  checked_at: _dt.datetime | str | None = None) -> Path:
    """Write ``dst``: ``src`` with marks, notes and the 校验结果 sheet.

    ``dst`` may equal ``src`` only when the caller made a backup (:func:`xjr_excel.atomic.backup`);
    the write is atomic either way.  .xlsm files keep their macros and ribbon.
    """
    src, dst = Path(src), Path(dst)
    wb = _load(src)
    annotate_workbook(wb, findings, spec, checked_at, file_name=src.name)
    return _save(wb, src, dst)


def clear_file(src, dst) -> Path:
    """Write ``dst``: ``src`` without any validation mark, note or results sheet."""
    src, dst = Path(src), Path(dst)
    wb = _load(src)
    clear_workbook(wb)
    return _save(wb, src, dst)
