"""Cell addresses: A1 references, column letters, sheet-qualified references.

These names are the ones the rest of the package uses, so an address is spelt one way
everywhere.  The arithmetic is openpyxl's (``utils.cell``, same results: a test compares
every column), written out here so that a click in Excel, which never loads openpyxl,
does not pay for importing it.
"""
from __future__ import annotations

import re
from functools import lru_cache

MAX_COLUMN = 18278                         # "ZZZ"


@lru_cache(maxsize=None)
def column_letter(n: int) -> str:
    """1 → "A", 703 → "AAA"."""
    if not 1 <= n <= MAX_COLUMN:
        raise ValueError(f"Invalid column index {n}")
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@lru_cache(maxsize=None)
def column_number(letters: str) -> int:
    """"A" → 1 ("a" too)."""
    if not 1 <= len(letters) <= 3 or not letters.isascii() or not letters.isalpha():
        raise ValueError(f"'{letters}' is not a valid column name. Column names are from A to ZZZ")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def quote_sheetname(sheet: str) -> str:
    """附3 → '附3' (quotes doubled inside): a sheet name as a formula names it."""
    return "'" + sheet.replace("'", "''") + "'"

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def address(row: int, col: int) -> str:
    """(5, 3) → "C5"."""
    return f"{column_letter(col)}{row}"


def row_col(ref: str) -> tuple[int, int]:
    """"C5" → (5, 3); "$C$5" too.  A ref that is not one cell sorts first: (0, 0)."""
    m = _A1.match(ref or "")
    if not m:
        return (0, 0)
    return int(m.group(2)), column_number(m.group(1).upper())


def sheet_ref(sheet: str, ref: str) -> str:
    """"C5" on 附3 → "附3!C5"; names that need it are quoted ('my sheet'!C5)."""
    return f"{quote_sheetname(sheet)}!{ref}"


def range_ref(first_col: int, first_row: int, last_col: int, last_row: int) -> str:
    """(1, 2, 3, 4) → "A2:C4"."""
    return f"{address(first_row, first_col)}:{address(last_row, last_col)}"


def abs_ref(sheet: str, first_col: int, first_row: int, last_col: int, last_row: int) -> str:
    """Absolute reference on ``sheet`` ('附3'!$A$5:$C$9; one cell without the colon part)."""
    one = f"${column_letter(first_col)}${first_row}"
    if (first_col, first_row) != (last_col, last_row):
        one += f":${column_letter(last_col)}${last_row}"
    return sheet_ref(sheet, one)
