"""Round trips through a real office app: annotate → LibreOffice saves (.xlsx, .xls) → clear / validate again.

LibreOffice rewrites what it saves: our bookkeeping cells become rich text, every note's
author becomes " ", very hidden sheets become merely hidden, and .xls drops the Excel
tables.  After any of that, clear must still remove every mark, note and the results
sheet and give the user's own notes back exactly; validating again must replace, never
stack or nest; and the findings must not change.  LibreOffice is required (CI installs
it): without it these tests fail, they do not skip.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

import office
from xjr_excel.annotate import bookkeeping as K
from xjr_excel.template import marks as M
from xjr_excel.annotate import plan as P
from xjr_excel.annotate.backends import openpyxl_book as A
from xjr_excel.validate.run import validate_file

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "苏州市.xlsx"
USER_NOTE_MARKED = ("营业执照复印件待补，\n请联系企业。", "张三")
USER_NOTE_CLEAN = ("第一家企业", "李四")


def key(findings) -> list[tuple]:
    """Findings without the file name (which changes with each save)."""
    return sorted((f.sheet, f.cell, f.field, str(f.value), f.rule, f.severity, f.message) for f in findings)


def notes_of(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    wb = openpyxl.load_workbook(path, rich_text=True)
    return {(ws.title, c.coordinate): (c.comment.text, c.comment.author) for ws in wb.worksheets
            for c in ws._cells.values() if c.comment is not None}      # noqa: SLF001


@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    """The user's workbook (with two notes of their own), annotated, then saved by LibreOffice."""
    d = tmp_path_factory.mktemp("lo-trip")
    src = d / "苏州市.xlsx"
    _data, findings = validate_file(SAMPLE)
    marked = next(f for f in findings if f.sheet == "附3" and f.cell)
    cells = {(f.sheet, f.cell) for f in findings}
    clean = next(f"A{r}" for r in range(5, 30) if ("附3", f"A{r}") not in cells)
    wb = openpyxl.load_workbook(SAMPLE, rich_text=True)
    wb["附3"][marked.cell].comment = Comment(*USER_NOTE_MARKED)
    wb["附3"][clean].comment = Comment(*USER_NOTE_CLEAN)
    wb.save(src)
    _data, findings = validate_file(src)
    annotated = A.annotate_file(src, d / "annotated.xlsx", findings)
    saved = {
        "xlsx": office.convert(annotated, d / "lo-xlsx", "xlsx"),
        "xls": office.convert(annotated, d / "lo-xls", "xls"),
    }
    # clear needs .xlsx: an .xls is saved back as .xlsx first, as the message tells the user
    saved["xls→xlsx"] = office.convert(saved["xls"], d / "lo-xls-xlsx", "xlsx")
    return {"src": src, "findings": findings, "marked": ("附3", marked.cell), "clean": ("附3", clean),
            "annotated": annotated, "saved": saved, "dir": d}


@pytest.mark.slow
def test_libreoffice_really_rewrote_the_bookkeeping(trip):
    """The premise: what LibreOffice does to our file (if it stops doing it, these tests prove less)."""
    wb = openpyxl.load_workbook(trip["saved"]["xlsx"], rich_text=True)
    assert wb[M.marks_sheet_name("a3")].sheet_state == "hidden"
    assert {n.author for n in (c.comment for ws in wb.worksheets for c in ws._cells.values()) if n} == {" "}  # noqa: SLF001
    assert any(type(c.value).__name__ == "CellRichText" for c in wb[P.NOTES_SHEET]["A"])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_findings_are_identical_after_a_libreoffice_save(trip, fmt):
    _data, again = validate_file(trip["saved"][fmt])
    assert key(again) == key(trip["findings"])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["xlsx", "xls→xlsx"])
def test_clear_after_a_libreoffice_save_gives_back_the_users_workbook(trip, fmt):
    out = A.clear_file(trip["saved"][fmt], trip["dir"] / f"cleared-{fmt.replace('→', '-')}.xlsx")
    wb = openpyxl.load_workbook(out, rich_text=True)
    assert P.RESULTS_SHEET not in wb.sheetnames
    assert not [s for s in wb.sheetnames if s in (P.NOTES_SHEET, P.STATE_SHEET)]
    assert all(not codes for codes in M.marked_cells(wb).values()), "every mark gone"
    assert all(wb[s].sheet_state == "veryHidden" for s in wb.sheetnames if s.startswith(M.MARKS_PREFIX))
    notes = notes_of(out)
    # exactly the user's two notes: ours all gone, theirs back with their own text …
    assert {k: v[0] for k, v in notes.items()} == {trip["marked"]: USER_NOTE_MARKED[0],
                                                    trip["clean"]: USER_NOTE_CLEAN[0]}
    # … and the covered one with its author too (LibreOffice blanked every author; we stored it)
    assert notes[trip["marked"]] == USER_NOTE_MARKED
    # the data is what the user sent
    _data, findings = validate_file(out)
    assert key(findings) == key(trip["findings"])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["xlsx", "xls→xlsx"])
def test_validating_a_saved_annotated_file_replaces_never_nests(trip, fmt):
    src = trip["saved"][fmt]
    _data, findings = validate_file(src)
    again = A.annotate_file(src, trip["dir"] / f"again-{fmt.replace('→', '-')}.xlsx", findings)
    notes = notes_of(again)
    for (sheet, cell), (text, _author) in notes.items():
        if (sheet, cell) == trip["clean"]:
            continue
        assert text.count(K.NOTE_HEADING) == 1, (sheet, cell, text)
        assert text.count(P.ORIGINAL_NOTE_HEADING) <= 1, (sheet, cell, text)
    text = notes[trip["marked"]][0]
    assert text.endswith(f"\n\n{P.ORIGINAL_NOTE_HEADING}\n{USER_NOTE_MARKED[0]}")
    wb = openpyxl.load_workbook(again, rich_text=True)
    store = {(r.sheet, r.cell): r for r in K.parse_store([list(r) for r in wb[P.NOTES_SHEET].values])}
    assert store[trip["marked"]].user_text == USER_NOTE_MARKED[0]          # booked as the user's own note
    assert store[trip["marked"]].user_author == USER_NOTE_MARKED[1]
    assert sum(1 for r in store.values() if not r.created) == 1
    assert wb.sheetnames.count(P.RESULTS_SHEET) == 1
    # and clearing that gives the user's notes back as well
    cleared = notes_of(A.clear_file(again, trip["dir"] / f"again-cleared-{fmt.replace('→', '-')}.xlsx"))
    assert cleared == {trip["marked"]: USER_NOTE_MARKED, trip["clean"]: notes[trip["clean"]]}


@pytest.mark.slow
def test_clear_on_an_xls_says_what_it_needs(trip):
    proc = subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", "clear", str(trip["saved"]["xls"])],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    assert ".xlsx" in text and "另存为" in text and "清除" in text
    assert trip["saved"]["xls"].exists()


@pytest.mark.slow
def test_annotating_twice_through_libreoffice_does_not_stack(trip):
    """annotate → LO → annotate → LO → clear: still exactly the user's notes."""
    d = trip["dir"] / "twice"
    d.mkdir()
    first = trip["saved"]["xlsx"]
    _data, findings = validate_file(first)
    second = A.annotate_file(first, d / "second.xlsx", findings)
    saved = office.convert(second, d / "lo", "xlsx")
    cleared = A.clear_file(saved, d / "cleared.xlsx")
    assert {k: v[0] for k, v in notes_of(cleared).items()} == {trip["marked"]: USER_NOTE_MARKED[0],
                                                                trip["clean"]: USER_NOTE_CLEAN[0]}
    assert notes_of(cleared)[trip["marked"]] == USER_NOTE_MARKED


def test_soffice_is_installed():
    assert shutil.which("soffice") or shutil.which("libreoffice"), "LibreOffice is required for these tests"
