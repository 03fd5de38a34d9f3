"""Keep a workbook we rewrite (annotate, clear) the way Excel expects it, just before saving.

* Validation texts over Excel's limits (files made from an older template carried a
  1,214-character error message) are clipped: :mod:`xjr_excel.ooxml.excel_limits`.
* In an .xlsm whose VBA project is the template's, every worksheet has its document
  module and ``sheetPr codeName``: sheets we add (校验结果, the hidden store sheets) get
  one, sheets we remove lose theirs — as Excel itself does, so Excel neither adds
  modules on open nor asks to save on close.  A project is the template's when it holds
  only our modules (by name) plus empty sheet modules; any other project (a user's own
  VBA, references, code in a sheet module) is left byte for byte as it was.  Module code
  is carried over as read, never replaced by newer sources.
"""
from __future__ import annotations

import io
import zipfile

from xjr_excel.ooxml import vba
from xjr_excel.ooxml.package import VBA_PART
from xjr_excel.ooxml.excel_limits import fit_workbook_validations



def fit_for_excel(wb) -> None:
    """Call on an openpyxl workbook right before ``wb.save``."""
    fit_workbook_validations(wb)
    sync_sheet_modules(wb)


def _template_project(data: bytes) -> list[vba.Module] | None:
    """The project's modules when it is the template's, else None."""
    try:
        modules = vba.read_project(data)
    except ImportError:         # a broken install (olefile/oletools missing) must not pass silently
        raise
    except Exception:           # not a project we can read: not ours to touch
        return None
    ours = {n.lower() for n in vba.our_module_names()}
    if not any(m.name.lower() in ours for m in modules):
        return None
    for m in modules:
        if m.name.lower() not in ours and not (vba.is_empty_document(m) and vba.SHEET_CODE_NAME.match(m.name)):
            return None
    return modules


def sync_sheet_modules(wb) -> bool:
    """Give each worksheet its document module (template projects only). True when the project changed."""
    archive = wb.vba_archive
    if archive is None or VBA_PART not in archive.namelist():
        return False
    old = archive.read(VBA_PART)
    modules = _template_project(old)
    if modules is None:
        return False
    sheets = wb.worksheets
    missing = [ws for ws in sheets if not ws.sheet_properties.codeName]
    taken = [ws.sheet_properties.codeName for ws in sheets if ws.sheet_properties.codeName]
    taken += [m.name for m in modules]      # never reuse a module name still in the project
    for ws, name in zip(missing, vba.next_code_names(taken, len(missing))):
        ws.sheet_properties.codeName = name
    wanted = [ws.sheet_properties.codeName for ws in sheets]
    have = {m.name for m in modules}
    kept = [m for m in modules if not (m.kind == "document" and m.name in have - set(wanted)
                                       and vba.SHEET_CODE_NAME.match(m.name))]
    last_doc = max((i for i, m in enumerate(kept) if m.kind == "document"), default=-1)
    added = [vba.sheet_module(n) for n in wanted if n not in have]
    new = vba.build_project(kept[:last_doc + 1] + added + kept[last_doc + 1:])
    if new == old:
        return False
    wb.vba_archive = _replaced(archive, VBA_PART, new)
    archive.close()
    return True


def _replaced(archive: zipfile.ZipFile, part: str, data: bytes) -> zipfile.ZipFile:
    """An in-memory copy of ``archive`` with ``part`` replaced (openpyxl copies VBA parts from it on save)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            out.writestr(info, data if info.filename == part else archive.read(info.filename))
    return zipfile.ZipFile(buf)
