"""The fill-in forms declared to the forms registry (:mod:`xjr_excel.forms`): the enterprise form
(附3+附4), the platform form (附5) and the tracking return form (目标完成情况 of one enterprise).

A form is recognised by its marker sheet; a returned form that lost it (answers pasted into a new
workbook, saved by an office suite that dropped the hidden sheet) by its labels, when the workbook's
sheets are none of a city or tracking workbook's.  It is read by its labels (:mod:`xjr_excel.fillin.read`),
validated with the city workbook's rules, annotated by the shared plan; the province does not merge
it (``xjr collect`` brings it into the city workbook).  Light on purpose: modules load inside the hooks.
"""
from __future__ import annotations

from xjr_excel.forms import Form, register, register_action

_KINDS = {"enterprise": "enterprise", "platform": "platform", "track_form": "track"}   # name → layout kind
TITLES = {"enterprise": "企业填报表（附3、附4）", "platform": "示范平台填报表（附5）",
          "track_form": "目标完成情况填报表"}
ASIDE = "这是企业或平台交回的填报表，不是城市工作簿；请用“回收填报表”（xjr collect）把它写入城市工作簿。本文件未合并。"


def _spec(kind):
    def build(base):
        from xjr_excel.fillin.specs import spec_for
        return spec_for(kind, base)
    return build


def _recognise(kind):
    def recognise(sheet_names, read_grid) -> bool:
        from xjr_excel.fillin.recognise import is_kind
        return is_kind(kind, sheet_names, read_grid)
    return recognise


def _read(kind):
    def read(path, spec, read_grid, sheet_names):
        from xjr_excel.fillin.read import read_grids
        return read_grids(kind, path, spec, read_grid, sheet_names).data
    return read


def _track_checks(ctx):
    """The tracking workbook's own rules; the locked cells compared with what the form was written
    with (its own values when read alone: collect compares them with the tracking workbook's)."""
    from xjr_excel.fillin.read import own_record
    from xjr_excel.track.rules import run_track
    data = ctx.data
    if data.record is None and "track" in data.tables:
        data.record = own_record(data.tables["track"], data.cover.get("period"))
    return run_track(ctx)


for _name, _kind in _KINDS.items():
    register(Form(name=_name, title=TITLES[_name], spec=_spec(_kind), recognise=_recognise(_kind), priority=20,
                  read=_read(_kind), checks=_track_checks if _kind == "track" else None, aside_reason=ASIDE))


def _collect_action(book, ui, paths, **kw):
    from xjr_excel.fillin.ribbon_collect import collect_from_ribbon
    return collect_from_ribbon(book, ui, paths, **kw)


def _forms_action(book, ui, folder, **kw):
    from xjr_excel.fillin.command import ribbon_forms
    return ribbon_forms(book, ui, folder, **kw)


register_action("collect", _collect_action)
register_action("forms", _forms_action)
