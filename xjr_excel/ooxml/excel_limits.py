"""Excel's length limits on data-validation texts, and the one function that keeps to them.

Office enforces limits the OOXML standard does not state; over any of them Excel
opens the file with "We found a problem with some content" and removes every
validation of the sheet.  Sources ([MS-OI29500] 2.1.613, Part 1 §18.3.1.32):
``error`` ≤ 224 characters (c), ``errorTitle`` ≤ 32 (d), ``promptTitle`` ≤ 32 (e),
``prompt`` ≤ 255 (a).  A list typed into the rule itself (``formula1`` in quotes)
holds at most 255 characters (XlsxWriter ``data_validation`` docs, Apache POI #187).

:func:`fit_validation` is used when the template writes a validation and, through
:func:`fit_workbook_validations`, when annotate/clear rewrite a workbook made from an
older template whose texts were too long.
"""
from __future__ import annotations

ERROR_MAX = 224
ERROR_TITLE_MAX = 32
PROMPT_TITLE_MAX = 32
PROMPT_MAX = 255
LIST_LITERAL_MAX = 255

# attribute → limit, in the order Excel's dialog shows them
TEXT_LIMITS = (("errorTitle", ERROR_TITLE_MAX), ("error", ERROR_MAX),
               ("promptTitle", PROMPT_TITLE_MAX), ("prompt", PROMPT_MAX))


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, ending with … when cut.

    Excel counts UTF-16 units; every CJK character we write is in the BMP, so one
    Python code point is one unit."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip("，、；：,; ") + "…"


def fit_validation(dv) -> bool:
    """Clip an openpyxl ``DataValidation``'s four texts to Excel's limits; True when one changed."""
    changed = False
    for attr, limit in TEXT_LIMITS:
        text = getattr(dv, attr)
        if text and len(text) > limit:
            setattr(dv, attr, clip(text, limit))
            changed = True
    return changed


def fit_workbook_validations(wb) -> list[tuple[str, str, str]]:
    """Clip every over-long validation text in an openpyxl workbook (files from an older template).

    Returns (sheet, cells, attribute) for each text clipped."""
    clipped = []
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            before = {attr: getattr(dv, attr) for attr, _ in TEXT_LIMITS}
            if fit_validation(dv):
                clipped += [(ws.title, str(dv.sqref), attr) for attr, _ in TEXT_LIMITS
                            if getattr(dv, attr) != before[attr]]
    return clipped
