"""Data passed between the stages: reader → frames → validation → findings.

These types are the contract between modules; keep them small and stable.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from xjr_excel.spec.definition import Spec, Table

SEVERITIES = ("error", "warning")
# One word and one colour per severity, everywhere a user reads them (CLI, JSON, notes, 校验结果, 填报说明,
# ribbon).  The warning mark is orange (FFCC99): the template's input cells are pale yellow.
SEVERITY_LABEL = {"error": "错误", "warning": "警告"}
SEVERITY_COLOUR = {"error": "红色", "warning": "橙色"}


@dataclass(frozen=True)
class Unparsed:
    """A cell value the reader could not turn into its field's type.

    Kept in the frame in place of the value so the validator can report it
    (rule ``field.type`` or ``cell.formula_error``) with the user's own text.
    """
    text: str
    reason: str = "type"        # "type" or "formula_error"

    def __str__(self) -> str:
        return self.text


@dataclass
class Finding:
    file: str
    sheet: str
    cell: str           # A1 address on that sheet ("" for whole-file findings)
    field: str          # header text the user sees ("" for whole-file findings)
    value: str          # the user's value as text
    rule: str           # stable rule id from the spec
    severity: str       # error / warning
    message: str        # Chinese, names the fix and the clause

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("file")
        return d


@dataclass
class TableData:
    """One spec table as read from a workbook.

    ``frame`` holds normalised values (object dtype): ``None`` for blank,
    ``str``, ``int``, ``float``, ``datetime.date``, or :class:`Unparsed`.
    Its columns are the spec field keys that were found; its index is the
    1-based sheet row number of each record.  ``raw`` has the same shape with
    the values as the user sees them (text), for messages.  ``columns`` maps
    each found field key to its 1-based sheet column number.
    """
    table: Table
    sheet: str | None                       # actual sheet name, None when not found
    frame: pd.DataFrame
    raw: pd.DataFrame
    columns: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)   # field keys not found
    header_row: int | None = None           # actual header row number

    def cell(self, row: int, key: str) -> str:
        """A1 address of (sheet row, field key); the header cell when the row is None."""
        from xjr_excel.ooxml.cells import address
        col = self.columns.get(key)
        if col is None:
            col = min(self.columns.values()) if self.columns else 1
        return address(row if row is not None else (self.header_row or 1), col)


@dataclass
class WorkbookData:
    """Everything the validator needs from one workbook."""
    file: str                               # path as given (or the Excel book name)
    spec: Spec
    tables: dict[str, TableData]            # by spec table key
    cover: dict[str, Any]                   # cover field key → normalised value
    cover_cells: dict[str, tuple[str, str]] # cover field key → (sheet, A1 address)
    findings: list[Finding] = field(default_factory=list)   # structural findings from reading
    has_macros: bool = False                # the file carries a VBA project (never run)
    sheet_names: list[str] = field(default_factory=list)
    record: Any = None                      # tracking form: what the workbook was written with (track.record)
