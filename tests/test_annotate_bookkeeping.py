"""What we remember about an annotation survives what users and office apps do to a saved file.

Done here with openpyxl, one change at a time and all together, the way LibreOffice,
WPS or a user leave the file: bookkeeping cells as rich text, every note's author
changed, our sheets unhidden, the user's sheets reordered and renamed.  (The real
LibreOffice round trips are in test_office_roundtrip.py.)
"""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment

import ribbon_engine as E  # noqa: I001 - sets the xlwings licence key before xlwings is used
from xjr_excel.annotate import bookkeeping as K
from xjr_excel.template import marks as M
from xjr_excel.annotate import plan as P
from xjr_excel.annotate.backends import openpyxl_book as A
from xjr_excel.annotate.backends import xlwings_book as X
from xjr_excel.validate.run import validate_file

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "苏州市.xlsx"
USER = ("请核对信用代码。", "张三")
OTHER = ("第一家企业", "李四")


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    d = tmp_path_factory.mktemp("books")
    src = d / "苏州市.xlsx"
    wb = openpyxl.load_workbook(SAMPLE)
    wb["附3"]["C6"].comment = Comment(*USER)            # a marked cell (bad credit code in the sample)
    wb["附3"]["A5"].comment = Comment(*OTHER)           # a clean cell
    wb.save(src)
    _data, findings = validate_file(src)
    assert ("附3", "C6") in {(f.sheet, f.cell) for f in findings} and ("附3", "A5") not in {
        (f.sheet, f.cell) for f in findings}
    return src, A.annotate_file(src, d / "annotated.xlsx", findings)


def rich(value) -> CellRichText:
    return CellRichText([TextBlock(InlineFont(rFont="Calibri"), str(value))])


CHANGES = {
    "rich_text": lambda wb: [setattr(c, "value", rich(c.value)) for name in (P.NOTES_SHEET, P.STATE_SHEET)
                             for row in wb[name].iter_rows() for c in row if isinstance(c.value, str)],
    "authors": lambda wb: [setattr(c.comment, "author", " ") for ws in wb.worksheets
                           for c in ws._cells.values() if c.comment],                       # noqa: SLF001
    "unhidden": lambda wb: [setattr(ws, "sheet_state", "visible") for ws in wb.worksheets
                            if ws.title.startswith("_xjr_")],
    "reordered": lambda wb: wb.move_sheet("附3", offset=len(wb.sheetnames)),
    "renamed": lambda wb: setattr(wb["附3"], "title", "附件3"),
}


def office_app(src: Path, dst: Path, changes) -> Path:
    wb = openpyxl.load_workbook(src, rich_text=True)
    for name in changes:
        CHANGES[name](wb)
    wb.save(dst)
    return dst


def notes_of(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): (c.comment.text, c.comment.author) for ws in wb.worksheets
            for c in ws._cells.values() if c.comment}                                      # noqa: SLF001


@pytest.mark.parametrize("changes", [[c] for c in CHANGES] + [list(CHANGES)],
                         ids=list(CHANGES) + ["all"])
def test_clear_after_the_file_was_changed(annotated, tmp_path, changes):
    _src, done = annotated
    changed = office_app(done, tmp_path / "changed.xlsx", changes)
    cleared = A.clear_file(changed, tmp_path / "cleared.xlsx")
    a3 = "附件3" if "renamed" in changes else "附3"
    notes = notes_of(cleared)
    other_author = " " if "authors" in changes else OTHER[1]       # not ours to restore: as the app left it
    assert notes == {(a3, "C6"): USER, (a3, "A5"): (OTHER[0], other_author)}
    wb = openpyxl.load_workbook(cleared)
    assert P.RESULTS_SHEET not in wb.sheetnames and P.NOTES_SHEET not in wb.sheetnames
    assert all(not v for v in M.marked_cells(wb).values())
    assert all(wb[s].sheet_state == "veryHidden" for s in wb.sheetnames if s.startswith("_xjr_"))


@pytest.mark.parametrize("changes", [list(CHANGES)], ids=["all"])
def test_validating_again_after_the_file_was_changed(annotated, tmp_path, changes):
    _src, done = annotated
    changed = office_app(done, tmp_path / "changed.xlsx", changes)
    _data, findings = validate_file(changed)
    again = A.annotate_file(changed, tmp_path / "again.xlsx", findings)
    note = notes_of(again)[("附件3", "C6")][0]
    assert note.count(K.NOTE_HEADING) == 1 and note.endswith(f"{P.ORIGINAL_NOTE_HEADING}\n{USER[0]}")
    assert notes_of(A.clear_file(again, tmp_path / "c.xlsx"))[("附件3", "C6")] == USER


def test_without_the_store_our_notes_still_go_and_the_users_come_back(annotated, tmp_path):
    """A copy-paste of the sheets into a new workbook loses our hidden sheets, not the notes."""
    _src, done = annotated
    wb = openpyxl.load_workbook(done)
    del wb[P.NOTES_SHEET]
    wb.save(tmp_path / "lost.xlsx")
    notes = notes_of(A.clear_file(tmp_path / "lost.xlsx", tmp_path / "c.xlsx"))
    assert {k: v[0] for k, v in notes.items()} == {("附3", "C6"): USER[0], ("附3", "A5"): OTHER[0]}


@pytest.mark.engine
def test_both_backends_write_the_same_plan(annotated):
    """The xlwings backend (remote engine) and the openpyxl backend: same marks, notes and results."""
    src, _done = annotated
    _data, findings = validate_file(src)
    model = E.from_file(src)
    book = E.open_book(model)
    xl = K.annotate(X.XlwingsBook(book), findings, None, "2026-05-20 09:30:00", file_name=src.name)
    wb = openpyxl.load_workbook(src)
    op = K.annotate(A.OpenpyxlBook(wb), findings, None, "2026-05-20 09:30:00", file_name=src.name)
    assert xl.plan == op.plan
    after = E.apply(model, book.json()["actions"])
    # what each wrote: the notes on the user's sheets, and the results sheet's values
    xl_notes = {(s.name, a): t for s in after.sheets for a, t in s.notes.items()}
    op_notes = {(ws.title, c.coordinate): c.comment.text for ws in wb.worksheets
                for c in ws._cells.values() if c.comment}                                  # noqa: SLF001
    # The remote engine cannot read a note's text, so it leaves the user's note alone (and says so);
    # desktop Excel and openpyxl put ours above it.  Every other note is the same.
    assert xl.notes_skipped == 1 and op.notes_skipped == 0
    assert xl_notes.pop(("附3", "C6")) == USER[0]
    assert op_notes.pop(("附3", "C6")).endswith(f"{P.ORIGINAL_NOTE_HEADING}\n{USER[0]}")
    assert xl_notes == op_notes and len(op_notes) > 5
    got = after.sheet(P.RESULTS_SHEET).grid()
    for r, row in enumerate(op.plan.results):
        for c, v in enumerate(row):
            if v is not None and (r, c) not in op.plan.links:
                assert got[r][c] in (v, str(v), float(v) if isinstance(v, int) else v), (r, c)
