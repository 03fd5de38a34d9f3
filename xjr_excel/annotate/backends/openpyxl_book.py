"""The openpyxl backend: writes an annotation plan into a workbook file (``xjr validate --annotate``, ``xjr clear``).

The plan and the shared steps (reset, state, notes) are in :mod:`xjr_excel.annotate.plan`
and :mod:`xjr_excel.annotate.bookkeeping`; this module only says how each step is done
with openpyxl, and loads and saves files (macros, ribbon and parts openpyxl drops kept).
"""
from __future__ import annotations

import datetime as _dt
import re
import warnings
import zipfile
from pathlib import Path

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from xjr_excel.ooxml.cells import column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from xjr_excel.annotate import bookkeeping as K
from xjr_excel.template import marks as M
from xjr_excel.annotate import plan as P
from xjr_excel.atomic import atomic_path, save_workbook
from xjr_excel.errors import UserError
from xjr_excel.ooxml.safe_text import set_text
from xjr_excel.model import Finding
from xjr_excel.spec.definition import Spec, get_spec
from xjr_excel.template.layout import print_frame


def _box(ws, box: P.Box):
    r1, c1, r2, c2 = box
    return (ws.cell(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))


class OpenpyxlBook:
    """:class:`xjr_excel.annotate.bookkeeping.Book` over an openpyxl workbook."""

    def __init__(self, wb, spec: Spec | None = None):
        self.wb = wb
        self.spec = spec or get_spec()

    # sheets ---------------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def tables(self) -> dict[str, list[str]]:
        return {ws.title: list(ws.tables.keys()) for ws in self.wb.worksheets}

    def read_rows(self, sheet: str, max_rows: int | None = None) -> list[list]:
        return [list(r) for r in self.wb[sheet].iter_rows(max_row=max_rows, values_only=True)]

    def write_hidden(self, sheet: str, rows: list[list]) -> None:
        ws = self.wb.create_sheet(sheet)
        ws.sheet_state = "veryHidden"
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    set_text(ws.cell(r, c), v)

    def delete_sheet(self, sheet: str) -> None:
        del self.wb[sheet]

    def hide(self, sheet: str) -> None:
        self.wb[sheet].sheet_state = "veryHidden"

    def active_sheet(self) -> str:
        return self.wb.active.title

    def selected_sheets(self) -> set[str] | None:
        return {ws.title for ws in self.wb.worksheets if ws.sheet_view.tabSelected}

    def activate(self, sheet: str | None, selected: set[str] | None = None) -> None:
        """Make ``sheet`` the active tab; select exactly ``selected`` (never leave tabs grouped)."""
        wb = self.wb
        visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
        target = wb[sheet] if sheet in wb.sheetnames and wb[sheet].sheet_state == "visible" else (
            visible[0] if visible else None)
        if target is None:
            return
        wb.active = wb.worksheets.index(target)
        for ws in wb.worksheets:
            ws.sheet_view.tabSelected = ws.title in selected if selected is not None else ws is target

    # notes ----------------------------------------------------------------
    def note(self, sheet: str, cell: str) -> K.Note | None:
        ws = self.wb[sheet]
        c = ws._cells.get(P.cell_rc(cell))      # noqa: SLF001 - look without creating the cell
        return K.Note(c.comment.text, c.comment.author) if c is not None and c.comment else None

    def notes(self, sheet: str, skip: set[str]) -> dict[str, K.Note]:
        return {c.coordinate: K.Note(c.comment.text, c.comment.author)
                for c in self.wb[sheet]._cells.values() if c.comment is not None}   # noqa: SLF001

    def set_note(self, sheet: str, cell: str, text: str, author: str | None) -> None:
        w, h = P.note_size(text)
        self.wb[sheet][cell].comment = Comment(text, author or "", height=h, width=w)

    def delete_note(self, sheet: str, cell: str) -> None:
        self.wb[sheet][cell].comment = None

    def anchor(self, sheet: str, cell: str) -> str:
        """The top-left cell of the merged range holding ``cell`` (notes can only sit there)."""
        for rng in self.wb[sheet].merged_cells.ranges:
            if cell in rng:
                return f"{column_letter(rng.min_col)}{rng.min_row}"
        return cell

    # marks ----------------------------------------------------------------
    def install_marks(self, keys: dict[str, str]) -> bool:
        return M.install_marks(self.wb, self.spec, keys)

    def uninstall_marks(self) -> None:
        M.uninstall_marks(self.wb)

    def empty_marks(self, known: bool) -> None:
        M.empty_marks(self.wb)

    def undo_fills(self, fills: list[str]) -> None:
        """Direct fills are an xlwings fallback; files we write use the marks sheets."""

    def write_marks(self, plan: P.AnnotationPlan) -> list[str]:
        wb = self.wb
        key_sheet = {M.marks_sheet_name(k): s for k, s in plan.sheet_keys.items()}
        for twin, (top_left, grid) in plan.marks.items():
            if twin not in wb.sheetnames:
                continue
            ms = wb[twin]
            user = key_sheet.get(twin) if key_sheet.get(twin) in wb.sheetnames else None
            r0, c0 = P.cell_rc(top_left)
            for i, row in enumerate(grid):
                for j, code in enumerate(row):
                    if code is None:
                        continue
                    ms.cell(r0 + i, c0 + j, code)
                    if user is not None:      # a merged area shows its top-left cell's format
                        a = P.cell_rc(self.anchor(user, f"{column_letter(c0 + j)}{r0 + i}"))
                        if a != (r0 + i, c0 + j):
                            ms.cell(*a, max(ms.cell(*a).value or 0, code))
        return []

    # results --------------------------------------------------------------
    def write_results(self, plan: P.AnnotationPlan) -> None:
        ws = self.wb.create_sheet(P.RESULTS_SHEET, 0)
        for r, row in enumerate(plan.results, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    set_text(ws.cell(r, c), v)
        link_font = Font(color=P.LINK_COLOR, underline="single")
        for (r, c), target in plan.links.items():
            cell = ws.cell(r + 1, c + 1)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target, display=str(cell.value or ""))
            cell.font = link_font
        _style_results(ws, P.results_style(plan))


def _style_results(ws, st: P.ResultsStyle) -> None:
    bold = Font(bold=True)
    ws.cell(*st.title).font = Font(bold=True, size=14)
    for box in st.bold:
        for cell in _box(ws, box):
            cell.font = bold
    r1, c1, r2, c2 = st.merged
    ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    head_fill = PatternFill("solid", fgColor=P.HEADER_FILL)
    for box in st.headers:
        for cell in _box(ws, box):
            cell.font, cell.fill = bold, head_fill
    if st.centred:
        for cell in _box(ws, st.centred):
            cell.alignment = Alignment(horizontal="center")
    for box, fill in st.severity:
        for cell in _box(ws, box):
            cell.fill = PatternFill("solid", fgColor=fill)
    if st.top:
        for cell in _box(ws, st.top):
            cell.alignment = Alignment(vertical="top")
    wrap = Alignment(wrap_text=True, vertical="top")
    for box in st.wrapped:
        for cell in _box(ws, box):
            cell.alignment = wrap
    for r, height in st.row_heights.items():
        ws.row_dimensions[r].height = height
    for i, w in enumerate(st.column_widths, start=1):
        ws.column_dimensions[column_letter(i)].width = w
    ws.freeze_panes = ws.cell(*st.freeze)
    if st.autofilter:
        r1, c1, r2, c2 = st.autofilter
        ws.auto_filter.ref = f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}"
    print_frame(ws, landscape=True, header=st.page_header)        # A4, our margins and footer
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{st.title_rows[0]}:{st.title_rows[1]}"


# --------------------------------------------------------------------------
# Workbooks in memory
# --------------------------------------------------------------------------

def annotate_workbook(wb, findings: list[Finding], spec: Spec | None = None,
                      checked_at: _dt.datetime | str | None = None, *, file_name: str | None = None) -> P.AnnotationPlan:
    """Annotate an openpyxl workbook in memory (replacing any previous annotation)."""
    return K.annotate(OpenpyxlBook(wb, spec), findings, spec, checked_at, file_name=file_name).plan


def clear_workbook(wb) -> None:
    """Remove every mark, note and the results sheet; the infrastructure stays if the file had it."""
    K.clear(OpenpyxlBook(wb))


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------

MACRO_SUFFIXES = (".xlsm", ".xltm")
OOXML_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")


def needs_copy(src: Path) -> bool:
    """True for a workbook we can read but not write (.ods, .xls): annotating writes an .xlsx copy."""
    from xjr_excel.annotate.xlsx_copy import COPY_SUFFIXES
    return Path(src).suffix.lower() in COPY_SUFFIXES


def clear_needs_xlsx(src: Path) -> UserError:
    """What ``clear`` says when given an .xls/.ods/.et (the one wording, CLI and library): marks live in
    the .xlsx copy validation wrote, never in such a file, so there is nothing to clear in it."""
    from xjr_excel.annotate.xlsx_copy import copy_name
    src = Path(src)
    copy = copy_name(src)
    made = f"已有：{copy}" if copy.exists() else f"由 xjr validate {src.name} --annotate {copy.name} 写出"
    return UserError(
        f"“{src.name}”是 {src.suffix or '无扩展名'} 文件：校验从不在这类文件中做标记，它无需清除，也未被修改。"
        f"清除标记只能在 .xlsx / .xlsm 工作簿上进行：校验标记在校验时写出的 .xlsx 副本里（{made}），"
        f"请对副本运行：xjr clear {copy.name}。副本改好后以 .xlsx 上报；也可先把原文件在 WPS、LibreOffice 或 Excel 中"
        f"另存为 .xlsx，再校验和清除那个 .xlsx。", file=str(src))


def _load(src: Path):
    import openpyxl
    if src.suffix.lower() not in OOXML_SUFFIXES:
        raise UserError(f"只能标记 .xlsx / .xlsm 工作簿，“{src.name}”不是。请先在Excel中另存为 .xlsx 后再校验。",
                        file=str(src))
    check_markable(src)
    # rich_text: keep partly bold/coloured cell text as it is.  openpyxl warns that it
    # drops worksheet extensions; package.carry_over_parts puts them back after saving.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*extension is not supported", category=UserWarning)
        return openpyxl.load_workbook(src, keep_vba=src.suffix.lower() in MACRO_SUFFIXES, rich_text=True)


def check_markable(src) -> None:
    """openpyxl holds one object (~0.7 KB) per cell, styled blanks included: refuse, before
    loading, a sheet formatted down to row 1,048,576 rather than exhaust the machine."""
    from xjr_excel.errors import TooManyCellsToMark
    from xjr_excel.guard import check as guard
    if Path(src).suffix.lower() not in OOXML_SUFFIXES:
        return                # _load says what it marks
    limit = guard.input_limits()["max_cells_to_mark"]
    try:
        counts = guard.cell_tags(src)
    except (OSError, zipfile.BadZipFile, UserError):
        return                # not a package: _load / openpyxl report it as before
    for sheet, count in counts.items():
        if count > limit:
            raise TooManyCellsToMark(file=str(src), sheet=sheet, count=count, limit=limit)


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


def _save(wb, src: Path, dst: Path, purpose: str | None, force: bool) -> Path:
    """Write ``wb`` to ``dst``.  A new file is marked as our ``purpose`` output; the user's own
    file changed in place (they made a backup) stays theirs, unmarked."""
    from xjr_excel.ooxml.carry_over import carry_over_parts
    from xjr_excel.ooxml.excel_fit import fit_for_excel
    _drop_note_drawings(wb)
    fit_for_excel(wb)           # Excel's limits and sheet modules, also for files from older templates
    same = src.exists() and dst.exists() and src.resolve() == dst.resolve()
    try:
        with atomic_path(dst, inputs=() if same else (src,), purpose=None if same else purpose,
                         force=force or same) as tmp:
            save_workbook(wb, tmp, None if same else purpose)
            if src.suffix.lower() in OOXML_SUFFIXES:
                carry_over_parts(src, tmp)
    finally:
        if wb.vba_archive is not None:      # openpyxl never closes its copy of the package
            wb.vba_archive.close()
    return dst


def annotate_file(src, dst, findings: list[Finding], spec: Spec | None = None,
                  checked_at: _dt.datetime | str | None = None, force: bool = False) -> Path:
    """Write ``dst``: ``src`` with marks, notes and the 校验结果 sheet.

    ``dst`` may equal ``src`` only when the caller made a backup (:func:`xjr_excel.atomic.backup`);
    the write is atomic either way.  .xlsm files keep their macros and ribbon.  An .ods or
    .xls ``src`` becomes an .xlsx ``dst`` made from the template (:mod:`xjr_excel.annotate.xlsx_copy`).
    An existing ``dst`` is replaced only if it is an annotated copy we wrote and nobody saved
    since, or with ``force``.
    """
    src, dst = Path(src), Path(dst)
    if needs_copy(src):
        from xjr_excel.annotate.xlsx_copy import workbook_from_values
        if dst.suffix.lower() != ".xlsx":
            raise UserError(f"“{src.name}”的标记只能写成 .xlsx 副本，输出文件“{dst.name}”应以 .xlsx 结尾。",
                            file=str(src))
        wb = workbook_from_values(src, spec)
    else:
        wb = _load(src)
    annotate_workbook(wb, findings, spec, checked_at, file_name=src.name)
    return _save(wb, src, dst, "annotated", force)


def clear_file(src, dst, force: bool = False) -> Path:
    """Write ``dst``: ``src`` without any validation mark, note or results sheet.

    The cleared file is the city's submission again, so it carries no mark of ours (an
    annotated copy's mark goes too): nothing of ours may replace it later without ``force``,
    and an existing ``dst`` is not replaced without ``force`` either."""
    src, dst = Path(src), Path(dst)
    if src.suffix.lower() not in OOXML_SUFFIXES:
        raise clear_needs_xlsx(src)
    wb = _load(src)
    clear_workbook(wb)
    return _save(wb, src, dst, None, force)


# Shared with writers that edit a copy of a user's workbook the same way (xjr collect): the same
# loading (VBA kept, markable-size check) and saving (Excel's limits, carried-over parts, atomic).
load_for_edit = _load
save_edited = _save
