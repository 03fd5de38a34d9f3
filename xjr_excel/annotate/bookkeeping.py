"""The steps both backends share: undo the last annotation, write a plan, remember what we did.

A backend (:mod:`xjr_excel.annotate.backends`) is a small object with the
methods of :class:`Book`; these functions decide *what* to do, the backend
only does it.  What we remember lives in two very hidden sheets:

* ``_xjr_notes`` — one row per note we wrote: sheet, cell, the user's note that
  was there (text and author), whether we created the note, and the sheet's
  spec key and position, so a renamed or reordered sheet is still found;
* ``_xjr_state`` — key/value facts (active sheet, selected tabs, whether we
  added the marks infrastructure, direct fills, time of the check).

Office apps rewrite what they save: LibreOffice stores these cells as rich
text, sets every note's author to " " and turns very hidden sheets into hidden
ones.  So values are read as plain text, our notes are recognised by the
heading they start with (never by author), a note of ours that embeds the
user's (under ——原批注——) gives it back even without the store, and our
sheets are hidden again on every pass.
"""
from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from xjr_excel import forms
from xjr_excel.template import marks as M
from xjr_excel.annotate import plan as P
from xjr_excel.model import Finding
from xjr_excel.spec.definition import Spec, get_spec

NOTES_HEADER = P.NOTES_HEADER + ("表代码", "表位置")
NOTE_HEADING = f"{P.NOTE_AUTHOR}："          # every note we write starts with it
INTERNAL_SHEETS = (P.RESULTS_SHEET, "xlwings.conf")


@dataclass(frozen=True)
class Note:
    text: str | None            # None: the note exists but this engine cannot read it
    author: str | None = None


class Book(Protocol):
    """What a backend offers (cells are A1 strings, sheets are names)."""

    def sheet_names(self) -> list[str]: ...
    def tables(self) -> dict[str, list[str]]: ...
    def read_rows(self, sheet: str, max_rows: int | None = None) -> list[list]: ...
    def write_hidden(self, sheet: str, rows: list[list]) -> None: ...
    def delete_sheet(self, sheet: str) -> None: ...
    def hide(self, sheet: str) -> None: ...
    def note(self, sheet: str, cell: str) -> Note | None: ...
    def notes(self, sheet: str, skip: set[str]) -> dict[str, Note] | None: ...
    def set_note(self, sheet: str, cell: str, text: str, author: str | None) -> None: ...
    def delete_note(self, sheet: str, cell: str) -> None: ...
    def anchor(self, sheet: str, cell: str) -> str: ...
    def active_sheet(self) -> str: ...
    def selected_sheets(self) -> set[str] | None: ...
    def activate(self, sheet: str | None, selected: set[str] | None = None) -> None: ...
    def install_marks(self, keys: dict[str, str]) -> bool: ...
    def uninstall_marks(self) -> None: ...
    def empty_marks(self, known: bool) -> None: ...
    def write_marks(self, plan: P.AnnotationPlan) -> list[str]: ...
    def undo_fills(self, fills: list[str]) -> None: ...
    def write_results(self, plan: P.AnnotationPlan) -> None: ...


# --------------------------------------------------------------------------
# Reading back what office apps saved
# --------------------------------------------------------------------------

def as_text(value) -> str | None:
    """A stored value as plain text: rich text (LibreOffice) is joined, 1.0 (xlwings) is 1."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_ours(note: Note | None) -> bool:
    """Our note, whatever author an office app gave it on saving."""
    return note is not None and note.text is not None and (
        note.text.startswith(NOTE_HEADING) or note.author == P.NOTE_AUTHOR)


def users_part(text: str) -> str | None:
    """The user's note embedded in ours (below ——原批注——), if any."""
    marker = f"\n\n{P.ORIGINAL_NOTE_HEADING}\n"
    return text.split(marker, 1)[1] if marker in text else None


def is_internal(name: str) -> bool:
    """Sheets we (or xlwings) add: never the user's data."""
    return name.startswith(P.OWN_SHEET_PREFIX) or name in INTERNAL_SHEETS


def user_sheets(names: list[str]) -> list[str]:
    return [n for n in names if not is_internal(n)]


@dataclass
class NoteRecord:
    sheet: str
    cell: str
    user_text: str | None
    user_author: str | None
    created: bool
    key: str | None = None          # spec key of the sheet (a3): survives a rename
    position: int | None = None     # index among the user's sheets: the last resort

    def row(self) -> list:
        return [self.sheet, self.cell, self.user_text, self.user_author, 1 if self.created else 0,
                self.key, self.position]


def parse_store(rows: list[list]) -> list[NoteRecord]:
    out = []
    for row in rows[1:]:
        sheet, cell, text, author, created, key, pos = (list(row) + [None] * 7)[:7]
        sheet, cell = as_text(sheet), as_text(cell)
        if not cell or not (sheet or key):
            continue
        pos = as_text(pos)
        out.append(NoteRecord(sheet or "", cell, as_text(text), as_text(author), as_text(created) == "1",
                              as_text(key) or None, int(pos) if pos and pos.isdigit() else None))
    return out


def parse_state(rows: list[list]) -> dict[str, str]:
    return {as_text(r[0]): (as_text(r[1]) if len(r) > 1 else None) or "" for r in rows if r and r[0] is not None}


def resolve_sheet(rec: NoteRecord, users: list[str], keys: dict[str, str]) -> str | None:
    """The sheet a stored note belongs to: by name while it still holds the same table,
    else by spec key (renamed sheet), else by position."""
    by_key = keys.get(rec.key) if rec.key else None
    if rec.sheet in users and by_key in (None, rec.sheet):
        return rec.sheet
    if by_key:
        return by_key
    if rec.position is not None and 0 <= rec.position < len(users) and rec.sheet not in users:
        return users[rec.position]
    return rec.sheet if rec.sheet in users else None


# --------------------------------------------------------------------------
# Undo
# --------------------------------------------------------------------------

@dataclass
class Reset:
    state: dict[str, str] = field(default_factory=dict)
    notes_removed: int = 0


def reset(book: Book, spec: Spec | None = None) -> Reset:
    """Undo the last annotation: notes back as they were, marks emptied, our sheets gone."""
    names = book.sheet_names()
    out = Reset()
    if P.STATE_SHEET in names:
        out.state = parse_state(book.read_rows(P.STATE_SHEET))
    users = user_sheets(names)
    handled: set[tuple[str, str]] = set()
    if P.NOTES_SHEET in names:
        keys = M.locate_sheets(users, spec or get_spec(), book.tables())
        for rec in parse_store(book.read_rows(P.NOTES_SHEET)):
            sheet = resolve_sheet(rec, users, keys)
            if sheet is None:
                continue
            handled.add((sheet, rec.cell))
            current = book.note(sheet, rec.cell)
            if current is not None and current.text is not None and not is_ours(current):
                continue                  # the user wrote over our note since: theirs wins
            if current is not None:
                book.delete_note(sheet, rec.cell)
                out.notes_removed += 1
            if not rec.created and rec.user_text is not None:
                book.set_note(sheet, rec.cell, rec.user_text, rec.user_author)
        book.delete_sheet(P.NOTES_SHEET)
    # Our notes the store does not know (store lost, or a marked cell copied elsewhere).
    for sheet in users:
        done = {cell for s, cell in handled if s == sheet}
        for cell, note in (book.notes(sheet, done) or {}).items():
            if cell in done or not is_ours(note):
                continue
            book.delete_note(sheet, cell)
            out.notes_removed += 1
            if (original := users_part(note.text)) is not None:
                book.set_note(sheet, cell, original, None)
    book.undo_fills([f for f in out.state.get("direct_fills", "").split(";") if f])
    if P.RESULTS_SHEET in names:
        top = book.read_rows(P.RESULTS_SHEET, max_rows=1)
        if out.state or (top and top[0] and as_text(top[0][0]) == P.RESULTS_SHEET):
            book.delete_sheet(P.RESULTS_SHEET)
    book.empty_marks(bool(out.state))
    if P.STATE_SHEET in names:
        book.delete_sheet(P.STATE_SHEET)
    for name in names:               # an office app may have unhidden them
        if name.startswith(M.MARKS_PREFIX):
            book.hide(name)
    return out


def clear(book: Book, spec: Spec | None = None) -> Reset:
    """Remove every mark, note and the results sheet; the infrastructure stays if the file had it."""
    out = reset(book, spec)
    if out.state:
        book.activate(out.state.get("active_sheet"), _selected(out.state))
    if out.state.get("marks_added") == "1":
        book.uninstall_marks()
    return out


def _selected(state: dict[str, str]) -> set[str] | None:
    if "selected_sheets" not in state:
        return None
    return set(filter(None, state["selected_sheets"].split("\t")))


# --------------------------------------------------------------------------
# Annotate
# --------------------------------------------------------------------------

@dataclass
class Annotated:
    plan: P.AnnotationPlan
    notes_skipped: int = 0          # cells whose note this engine could not read: left alone


def annotate(book: Book, findings: list[Finding], spec: Spec | None = None,
             checked_at: _dt.datetime | str | None = None, *, file_name: str | None = None,
             active: str | None = None) -> Annotated:
    """Replace any previous annotation by one for ``findings``.

    A form that is annotated differently (:attr:`xjr_excel.forms.Form.annotate`) is handed the call."""
    spec = spec or get_spec()
    own = forms.lookup(spec).annotate
    if own is not None:
        return own(book, findings, spec, checked_at, file_name=file_name, active=active)
    active = active or book.active_sheet()
    selected = book.selected_sheets()
    state = reset(book, spec).state
    users = user_sheets(book.sheet_names())
    if active not in users:           # run from 校验结果: go back where the user was before
        active = state.get("active_sheet") or active
    if state:
        selected = _selected(state)
    if active not in users:
        active = users[0] if users else active
    keys = M.locate_sheets(users, spec, {s: t for s, t in book.tables().items() if s in users})
    added = book.install_marks(keys)
    plan = P.plan_annotations(findings, spec, users, checked_at, file_name=file_name, sheet_keys=keys)
    direct = book.write_marks(plan)
    records, skipped = _write_notes(book, plan, users)
    book.write_results(plan)
    facts = {"active_sheet": active, "marks_added": "1" if added or state.get("marks_added") == "1" else "0",
             "checked_at": plan.checked_at, "direct_fills": ";".join(direct)}
    if selected is not None:
        facts["selected_sheets"] = "\t".join(s for s in users if s in selected)
    book.write_hidden(P.NOTES_SHEET, [list(NOTES_HEADER)] + [r.row() for r in records])
    book.write_hidden(P.STATE_SHEET, [[k, v] for k, v in facts.items()])
    book.activate(P.RESULTS_SHEET)
    return Annotated(plan, skipped)


def _write_notes(book: Book, plan: P.AnnotationPlan, users: list[str]) -> tuple[list[NoteRecord], int]:
    key_of = {s: k for k, s in plan.sheet_keys.items()}
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (sheet, cell), text in plan.notes.items():
        if sheet in users:                # a merged area shows the note of its top-left cell
            grouped[(sheet, book.anchor(sheet, cell))].append(text)
    records, skipped = [], 0
    for (sheet, cell), parts in grouped.items():
        old = book.note(sheet, cell)
        if old is not None and old.text is None:
            skipped += 1                  # the user's note cannot be read here: leave it alone
            continue
        try:
            book.set_note(sheet, cell, P.compose_note(P.combine_notes(parts), old.text if old else None),
                          P.NOTE_AUTHOR)
        except NotImplementedError:
            skipped += 1
            continue
        records.append(NoteRecord(sheet, cell, old.text if old else None, old.author if old else None,
                                  created=old is None, key=key_of.get(sheet), position=users.index(sheet)))
    return records, skipped
