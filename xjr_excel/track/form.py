"""The tracking form (跟踪表) declared to the forms registry (:mod:`xjr_excel.forms`).

Light on purpose: the form's modules are imported inside the hooks, when a tracking workbook is
really read, checked or merged.
"""
from __future__ import annotations

from xjr_excel.forms import Form, register
from xjr_excel.track.names import FORM as NAME, RECORD_SHEET


def _spec(base):
    from xjr_excel.track.spec import track_spec_for
    return track_spec_for(base)


def _recognise(sheet_names, read_grid) -> bool:
    """A tracking workbook has its 目标完成情况 sheet (or its record, if someone renamed the sheet)."""
    from xjr_excel.track.spec import TRACK_SHEETS
    return bool(TRACK_SHEETS.intersection(sheet_names))


def _read_record(grid):
    from xjr_excel.track.record import from_grid
    return from_grid(grid)


def _checks(ctx):
    from xjr_excel.track.rules import run_track
    return run_track(ctx)


def _merge(run):
    from xjr_excel.track.province import consolidate
    return consolidate(run)


def _summary(payload):
    from xjr_excel.track.province import summary_table
    return summary_table(payload)


TRACK = register(Form(
    name=NAME, title="目标完成情况跟踪表", spec=_spec, recognise=_recognise, priority=10,
    record_sheet=RECORD_SHEET, read_record=_read_record, checks=_checks, merge=_merge, summary=_summary,
    aside_reason="这是目标完成情况跟踪表，不是申报工作簿；跟踪表请单独合并（xjr consolidate 跟踪表文件…）。本文件未合并。",
))
