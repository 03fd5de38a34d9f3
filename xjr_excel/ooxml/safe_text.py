"""Safe text: city text is written as data, never as a formula.

One rule says which text a spreadsheet could take for a formula (or DDE) when it is
typed, pasted or exported: :func:`is_formula_like`.  Writers use it through
:func:`set_text` / :func:`safe_text` / :func:`write_row` (openpyxl cells) or
:func:`typed_text` (values handed to a live Excel, which parses every string).
"""
from __future__ import annotations

import re
from typing import Iterable


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# Characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE, which a test compares it with;
# here so that writers outside openpyxl need not import it).
ILLEGAL_XML_CHARS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def is_formula_like(value) -> bool:
    """True for text that a spreadsheet could take as a formula (or DDE) when typed or exported."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def set_text(cell, value):
    """Put ``value`` into an openpyxl cell so that text always stays text.

    openpyxl turns any str starting with "=" into a formula; we force the string
    type and set the quote-prefix style (Excel shows the text, and re-typing the
    cell in Excel or LibreOffice does not turn it into a formula either).
    """
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    return cell


def safe_text(value, ws=None):
    """``value`` ready for openpyxl's ``ws.append(row)``: formula-like text comes back as a
    string cell (type "s", quote prefix) that can never become a formula; anything else as is.

    For a single cell use ``set_text(cell, value)``.  ``ws`` is only needed in write-only
    mode (a ``WriteOnlyCell`` is returned then).
    """
    if not is_formula_like(value):
        return value
    if type(ws).__name__ == "WriteOnlyWorksheet":
        from openpyxl.cell import WriteOnlyCell
        cell = WriteOnlyCell(ws, value=value)
    else:
        from openpyxl.cell.cell import Cell
        cell = Cell(ws, value=value)
    return set_text(cell, value)


def write_row(ws, row: int, col: int, values: Iterable) -> None:
    """Write values left to right from (row, col); str values always stay text."""
    for j, v in enumerate(values):
        c = ws.cell(row=row, column=col + j)
        if isinstance(v, str):
            set_text(c, str(v))
        else:
            c.value = v


def typed_text(value):
    """A value for a live Excel (xlwings ``range.value``): Excel parses every string it is given
    as if typed (=…, 0123, 1/2, 3-4), so text gets the apostrophe that keeps it text."""
    if isinstance(value, str) and value:
        return "'" + value
    return value
