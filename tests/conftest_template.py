"""Helpers for the template and samples tests (imported explicitly, not a pytest conftest)."""
from __future__ import annotations

from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "workbook" / "xjr-master.xlsm"
SAMPLES = ROOT / "samples"                 # workbooks only
SAMPLES_SRC = ROOT / "samples_src"         # their generators and answer keys (manifests)


def workbook_content(path) -> dict:
    """What a workbook *says*, not its bytes: sheets (order, visibility, VBA code name), tables,
    validations (texts included), defined names, every cell value or formula, merged cells,
    freeze panes and print titles."""
    wb = openpyxl.load_workbook(path)
    out = {
        "sheets": [(ws.title, ws.sheet_state) for ws in wb.worksheets],
        "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
    }
    for ws in wb.worksheets:
        out[ws.title] = {
            "tables": sorted((t.displayName, t.ref, tuple(c.name for c in t.tableColumns))
                             for t in ws.tables.values()),
            "validations": sorted(
                (str(dv.sqref), dv.type or "", dv.formula1 or "", dv.formula2 or "", dv.errorStyle or "",
                 dv.promptTitle or "", dv.prompt or "", dv.errorTitle or "", dv.error or "")
                for dv in ws.data_validations.dataValidation),
            "cells": {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None},
            "formats": sorted({(c.column_letter, c.number_format) for row in ws.iter_rows() for c in row
                               if c.number_format != "General"}),
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "freeze": ws.freeze_panes,
            "print": (ws.print_title_rows, ws.print_title_cols, ws.print_area),
            "code_name": ws.sheet_properties.codeName,
        }
    return out


def diff_content(a: dict, b: dict) -> list[str]:
    """Readable differences between two workbook_content() results (empty when equal)."""
    out = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            for sub in sorted(set(va) | set(vb)):
                if va.get(sub) != vb.get(sub):
                    x, y = va.get(sub), vb.get(sub)
                    if isinstance(x, dict) and isinstance(y, dict):
                        cells = [k for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)][:5]
                        out.append(f"{key}/{sub}: {[(k, x.get(k), y.get(k)) for k in cells]}")
                    else:
                        out.append(f"{key}/{sub}: {str(x)[:300]} != {str(y)[:300]}")
        else:
            out.append(f"{key}: {str(va)[:300]} != {str(vb)[:300]}")
    return out
