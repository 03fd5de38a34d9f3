"""A returned form's answers as the frames every stage already takes (``model.TableData``).

A form holds one enterprise's 附3 and 附4 (or one platform's 附5, or one enterprise's 目标完成情况)
laid out label → value, not as table rows.  Its answers become the same frames the city
workbook's rows give, normalised by the reader's own code, so ``validate/rules.py`` checks a
form with exactly the rules (and messages) it checks a city workbook with.  What differs is where
a value sits: :class:`FormTable` answers ``cell(row, key)`` with the form's own cell, so every
finding, mark and note lands on the cell the enterprise typed into.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from xjr_excel.model import TableData
from xjr_excel.read import workbook as R
from xjr_excel.spec import definition as S


@dataclass
class FormTable(TableData):
    """One spec table read from a form.  Rows are numbered 1…n (records, not sheet rows);
    ``addresses`` gives each (record, field key) its A1 cell on the form's sheet, ``labels``
    each field key the cell of its label (where a finding about the whole column points)."""
    addresses: dict = field(default_factory=dict)      # (record, key) → A1
    labels: dict = field(default_factory=dict)         # key → A1 of its label
    values: dict | None = None                         # record → {key: the cell as typed (calamine types)}, for merging

    def cell(self, row, key: str) -> str:
        got = self.addresses.get((row, key))
        if got:
            return got
        if key in self.labels:
            return self.labels[key]
        return next(iter(self.labels.values()), "A1")


def build_table(table: S.Table, sheet: str, records: list[dict], addresses: dict, labels: dict,
                percent_cells: set = frozenset()) -> FormTable:
    """``records``: one dict field key → cell value per record (keys absent: not on the form).
    ``percent_cells``: the A1 cells formatted as a percentage (0.85 there means 85)."""
    keys = [f.key for f in table.fields]
    index = pd.Index(range(1, len(records) + 1), name="row", dtype=int)
    rows = list(index)
    found = {k for rec in records for k in rec} | {k for (_, k) in addresses}
    cells_typed, raw_cols, norm_cols = {}, {}, {}
    for f in table.fields:
        values = [_plain(rec.get(f.key)) for rec in records]
        cells_typed[f.key] = values
        raw_cols[f.key] = R.display_column(values)
        pct = set()
        if f.type == S.PERCENT:
            pct = {(r, 1) for r in rows if addresses.get((r, f.key)) in percent_cells}
        # the reader's own normalisation (column 0 stands for "found"; percent cells by record)
        norm_cols[f.key] = R.normalise_column(f, values, rows, 0 if f.key in found else None, pct)
    frame = R.object_frame(norm_cols, index, keys)
    raw = R.object_frame(raw_cols, index, keys)
    typed = {n: {k: cells_typed[k][i] for k in keys} for i, n in enumerate(rows)}
    columns = {k: i + 1 for i, k in enumerate(keys) if k in found}
    return FormTable(table=table, sheet=sheet, frame=frame, raw=raw, columns=columns,
                     missing=[k for k in keys if k not in found], header_row=None,
                     addresses=dict(addresses), labels=dict(labels), values=typed)


def _plain(v):
    """Calamine's values as the reader takes them: '' for blank, whole floats kept (the reader types)."""
    return "" if v is None else v
