"""An .xlsx to annotate for a workbook openpyxl cannot write (.ods from LibreOffice/WPS, legacy .xls).

The city filled in our template, so the master template (built afresh) with the
file's values at the same addresses is the same workbook as far as validating
goes: every finding's cell is where it was, and the copy has the dropdowns,
tables and marks infrastructure an annotated file needs.  The template's own
formulas (titles) stay formulas; the file's formatting and notes are not carried
over, and the caller says so.
"""
from __future__ import annotations

import os
from pathlib import Path

from openpyxl.cell.cell import MergedCell

from xjr_excel.annotate.bookkeeping import is_internal
from xjr_excel.errors import InputRejected
from xjr_excel.guard.check import set_text
from xjr_excel.spec.definition import Spec, get_spec

COPY_SUFFIXES = (".ods", ".xls")


def copy_name(src: Path) -> Path:
    """Where the copy of ``src`` goes by default: beside it, ``X.ods`` → ``X-校验.xlsx``."""
    return src.with_name(f"{src.stem}-校验.xlsx")


def workbook_from_values(src: Path, spec: Spec | None = None):
    """The master template holding ``src``'s values (openpyxl Workbook, not saved)."""
    from python_calamine import CalamineWorkbook

    from xjr_excel.template.build import OPTIONS_SHEET, make_workbook, submission_params
    spec = spec or get_spec()
    wb = make_workbook(spec, submission_params(spec))
    try:
        book = CalamineWorkbook.from_path(os.fspath(src))
    except Exception as e:  # noqa: BLE001 - calamine raises its own types
        raise InputRejected(f"无法读取“{src.name}”（{e}），未生成标记副本。文件可能已损坏，"
                            f"请在WPS/LibreOffice/Excel中打开后另存为.xlsx再校验。", file=str(src), kind="damaged") from None
    try:
        for name in book.sheet_names:
            if is_internal(name) or name == OPTIONS_SHEET:
                continue
            grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            ws = wb[name] if name in wb.sheetnames else wb.create_sheet(name)
            for r, row in enumerate(grid, start=1):
                for c, value in enumerate(row, start=1):
                    if value in ("", None):
                        continue
                    cell = ws.cell(r, c)
                    if isinstance(cell, MergedCell) or (isinstance(cell.value, str) and cell.value.startswith("=")):
                        continue      # the template's own formula (titles) or the hidden part of a merge
                    set_text(cell, value)
    finally:
        book.close()
    return wb
