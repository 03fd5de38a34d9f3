"""Validate a city workbook: every rule of the spec, one pass, findings in reading order."""
from __future__ import annotations

import datetime as dt

from xjr_excel import forms
from xjr_excel import findings as F
from xjr_excel.validate import rules as rules
from xjr_excel.model import Finding, WorkbookData


def validate(data: WorkbookData, names=None, *, today: dt.date | None = None) -> list[Finding]:
    """All findings (reading + rules), sorted by sheet order, row, column.

    ``names``: a :class:`xjr_excel.read.names.Reference`, or a path to one.
    """
    if names is not None and not hasattr(names, "explain"):
        from xjr_excel.read.names import load
        names = load(names)
    ctx = rules.Ctx(data, names=names, **({"today": today} if today else {}))
    out = list(data.findings) + rules.run_all(ctx)
    checks = forms.lookup(data.spec).checks
    if checks is not None:              # the form's own per-workbook checks (跟踪表: track.rules)
        out += checks(ctx)
    return F.sort_findings(out, data.sheet_names)


def validate_file(path, names_path=None, *, spec=None) -> tuple[WorkbookData, list[Finding]]:
    from xjr_excel.read.workbook import read_workbook
    names = None
    if names_path:
        from xjr_excel.read.names import load
        names = load(names_path)
    data = read_workbook(path, spec=spec)
    return data, validate(data, names)
