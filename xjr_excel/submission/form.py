"""The submission form (申报工作簿) declared to the forms registry (:mod:`xjr_excel.forms`).

It is the default form: a workbook no other form recognises is read as a submission.  Its spec is
the base every other form's spec is made from; its merge is the provincial lists (``province/``).
"""
from __future__ import annotations

from xjr_excel.forms import Form, register

STATUS_STYLE = {"合格": "green", "有错误": "yellow", "无法读取": "red"}


def _spec(base):
    return base


def _merge_tables(spec):
    from xjr_excel.spec.definition import attachment_tables
    return attachment_tables(spec)


def _merge(run):
    from xjr_excel.province.consolidate import merge_submission
    return merge_submission(run)


def _summary(payload):
    prov = payload["province"]
    title = (f"{prov['province']}汇总：{prov['cities']}个市纳入名单，共{prov['enterprises']}家重点企业"
             f"（★{prov['star']}家）、{prov['platforms']}个平台")
    headers = ["城市", "文件", "状态", "重点企业", "★", "平台", "错误", "警告"]
    rows = [[c["city"], c["file"], f"[{STATUS_STYLE.get(c['status'], '')}]{c['status']}[/]", str(c["enterprises"]),
             str(c["star"]), str(c["platforms"]), str(c["errors"]), str(c["warnings"])] for c in payload["cities"]]
    return title, headers, rows


SUBMISSION = register(Form(
    name="submission", title="申报工作簿", spec=_spec, merge_tables=_merge_tables, merge=_merge, summary=_summary,
    aside_reason="这是申报工作簿，不是目标完成情况跟踪表；与跟踪表一起合并时不计入完成情况。本文件未合并。",
))
