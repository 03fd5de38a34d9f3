"""Cell addresses: A1 references, column letters, sheet-qualified references.

openpyxl's ``utils.cell`` does the arithmetic; these names are the ones the rest of
the package uses, so an address is spelt one way everywhere.
"""
from __future__ import annotations

import re

from openpyxl.utils.cell import column_index_from_string, get_column_letter, quote_sheetname

column_letter = get_column_letter          # 1 → "A", 703 → "AAA"
column_number = column_index_from_string   # "A" → 1

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def address(row: int, col: int) -> str:
    """(5, 3) → "C5"."""
    return f"{get_column_letter(col)}{row}"


def row_col(ref: str) -> tuple[int, int]:
    """"C5" → (5, 3); "$C$5" too.  A ref that is not one cell sorts first: (0, 0)."""
    m = _A1.match(ref or "")
    if not m:
        return (0, 0)
    return int(m.group(2)), column_index_from_string(m.group(1).upper())


def sheet_ref(sheet: str, ref: str) -> str:
    """"C5" on 附3 → "附3!C5"; names that need it are quoted ('my sheet'!C5)."""
    return f"{quote_sheetname(sheet)}!{ref}"


def range_ref(first_col: int, first_row: int, last_col: int, last_row: int) -> str:
    """(1, 2, 3, 4) → "A2:C4"."""
    return f"{address(first_row, first_col)}:{address(last_row, last_col)}"


def abs_ref(sheet: str, first_col: int, first_row: int, last_col: int, last_row: int) -> str:
    """Absolute reference on ``sheet`` ('附3'!$A$5:$C$9; one cell without the colon part)."""
    one = f"${get_column_letter(first_col)}${first_row}"
    if (first_col, first_row) != (last_col, last_row):
        one += f":${get_column_letter(last_col)}${last_row}"
    return sheet_ref(sheet, one)
