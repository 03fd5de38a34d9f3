"""What a tracking workbook was written with: the locked cells (names, codes, 初始值, 目标值) by
sheet row, in a very hidden sheet, so validation can tell when one was changed.

A very hidden sheet (not a custom XML part) because it survives a save by Excel, WPS and
LibreOffice, and xlwings reads it like any sheet.  Row 1 holds the field keys, column A the row
of the tracking sheet the values were written to.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from xjr_excel.track.spec import RECORD_SHEET

ROW_KEY = "row"
PERIOD_KEY = "period"      # a line of its own: the 实施期 the targets were taken for


@dataclass
class Record:
    keys: list[str]                                    # locked field keys, in column order
    rows: dict[int, dict] = field(default_factory=dict)  # tracking-sheet row → key → value as written
    period: str | None = None                          # 满一年 / 满两年

    def grid(self) -> list[list]:
        return ([[ROW_KEY, *self.keys]] + [[r, *(vals.get(k) for k in self.keys)] for r, vals in self.rows.items()]
                + [[PERIOD_KEY, self.period]])


def from_grid(grid: list[list] | None) -> Record | None:
    """The record from the sheet's values (calamine or xlwings); None when it is not one."""
    if not grid or not grid[0] or grid[0][0] != ROW_KEY:
        return None
    keys = [str(k) for k in grid[0][1:] if k not in (None, "")]
    rec = Record(keys)
    for line in grid[1:]:
        if not line or line[0] in (None, ""):
            continue
        if line[0] == PERIOD_KEY:
            rec.period = line[1] if len(line) > 1 and line[1] not in (None, "") else None
            continue
        try:
            row = int(line[0])
        except (TypeError, ValueError):
            continue
        rec.rows[row] = {k: (line[i + 1] if i + 1 < len(line) and line[i + 1] != "" else None)
                         for i, k in enumerate(keys)}
    return rec


def write(wb, record: Record) -> None:
    """Add the very hidden, protected record sheet to an openpyxl workbook."""
    ws = wb.create_sheet(RECORD_SHEET)
    for line in record.grid():
        ws.append(line)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True
