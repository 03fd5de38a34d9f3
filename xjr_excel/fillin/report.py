"""What ``xjr collect`` reports: the ``--json`` payload, the 回收情况 sheet of OUT, the console table.

Per enterprise of 附1 and platform of 附2 (tracking: per enterprise): returned or not, the file,
when (file time), SHA-256, 错误 and 警告 counts, merged or why not, conflicts; then every file that
was not merged (strangers, superseded, refused with their code), every conflict (cell, both
values, which was kept) and every finding with its file and the form's own cell.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from xjr_excel.fillin import layout as L
from xjr_excel.model import SEVERITY_LABEL

SHEET = "回收情况"
KIND_LABEL = {L.ENTERPRISE: "企业", L.PLATFORM: "平台", L.TRACK: "企业（跟踪）"}
STATUS_LABEL = {"merged": "已合并", "superseded": "已被较新的填报表取代", "not_listed": "不在名单中，未合并",
                "refused": "未合并（无法回收）"}


def _file_entry(r) -> dict:
    return {"file": r.file, "name": r.name, "sha256": r.sha256, "mtime": r.mtime, "when": r.when,
            "kind": r.kind, "record": r.record_name or None, "status": r.status,
            "status_text": STATUS_LABEL.get(r.status, r.status), "code": r.code or None, "reason": r.reason or None,
            "errors": r.errors, "warnings": r.warnings, "written": r.written,
            "carried_over": r.carried,
            "findings": [{"sheet": f.sheet, "cell": f.cell, "field": f.field, "value": f.value, "rule": f.rule,
                          "severity": f.severity, "level": SEVERITY_LABEL[f.severity], "message": f.message}
                         for f in r.findings],        # level: the word users read, as validate --json
            "conflicts": list(r.conflicts)}


def payload(book_path, output, book, records: dict, returned: list, *, prefer_forms: bool,
            run_time: dt.datetime) -> dict:
    winners = {(r.kind, r.record): r for r in returned if r.status == "merged" and r.record}
    rows = []
    for kind, recs in records.items():
        for key, rec in recs.items():
            r = winners.get((kind, key))
            others = [o for o in returned if o.record == key and o.kind == kind and o is not r]
            rows.append({"kind": kind, "list": rec["list"], "name": rec["name"], "returned": r is not None,
                         "file": r.file if r else None, "when": r.when if r else None,
                         "sha256": r.sha256 if r else None, "errors": r.errors if r else 0,
                         "warnings": r.warnings if r else 0, "merged": r is not None,
                         "conflicts": len(r.conflicts) if r else 0,
                         "superseded": [o.file for o in others if o.status == "superseded"],
                         "status": "已合并" if r else "未交回"})
    files = [_file_entry(r) for r in sorted(returned, key=lambda r: (r.name, r.file))]
    merged = [f for f in files if f["status"] == "merged"]
    conflicts = [{**c, "file": f["file"], "record": f["record"]} for f in merged for c in f["conflicts"]]
    summary = {
        "records": len(rows), "returned": sum(1 for x in rows if x["returned"]),
        "not_returned": sum(1 for x in rows if not x["returned"]), "merged": len(merged),
        "skipped": sum(1 for f in files if f["status"] in ("refused", "not_listed")),
        "superseded": sum(1 for f in files if f["status"] == "superseded"),
        "conflicts": len(conflicts), "errors": sum(f["errors"] for f in merged),
        "warnings": sum(f["warnings"] for f in merged)}
    return {"book": str(book_path), "output": str(output), "form": book.spec.form,
            "prefer": "forms" if prefer_forms else "city", "collected_at": run_time.isoformat(timespec="seconds"),
            "summary": summary, "records": rows, "files": files, "conflicts": conflicts}


# ---------------------------------------------------------------- the sheet

def write_sheet(wb, p: dict) -> None:
    """Replace the 回收情况 sheet of the openpyxl workbook ``wb`` and make it the active sheet."""
    from openpyxl.styles import Alignment, Font, PatternFill

    from xjr_excel.ooxml.safe_text import safe_text
    from xjr_excel.template import marks as M
    if SHEET in wb.sheetnames:
        del wb[SHEET]
    ws = wb.create_sheet(SHEET)
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    err_fill = PatternFill("solid", fgColor=M.ERROR_FILL)      # 红色, as the marks
    warn_fill = PatternFill("solid", fgColor=M.WARNING_FILL)   # 橙色
    s = p["summary"]

    def line(values, *, header=False, fill=None):
        ws.append([safe_text(v) for v in values])
        r = ws.max_row
        for c in range(1, len(values) + 1):
            cell = ws.cell(r, c)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if header:
                cell.font, cell.fill = bold, head_fill
            elif fill is not None:
                cell.fill = fill

    ws.append([f"填报表回收情况（{p['collected_at'].replace('T', ' ')}）"])
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.append([f"名单{s['records']}个，已交回{s['returned']}个，未交回{s['not_returned']}个；已合并{s['merged']}份，"
               f"未合并{s['skipped']}份，被取代{s['superseded']}份；冲突{s['conflicts']}处"
               f"（{'以填报表为准' if p['prefer'] == 'forms' else '保留工作簿原值'}）；"
               f"已合并填报表中错误{s['errors']}个、警告{s['warnings']}个。"])
    ws.append([])
    line(["名单", "类别", "名称", "是否交回", "文件", "文件时间", "SHA-256", "错误", "警告", "合并情况", "冲突"], header=True)
    for x in p["records"]:
        line([x["list"], KIND_LABEL.get(x["kind"], ""), x["name"], "已交回" if x["returned"] else "未交回",
              Path(x["file"]).name if x["file"] else "", x["when"] or "", x["sha256"] or "", x["errors"],
              x["warnings"], x["status"] + (f"（另有{len(x['superseded'])}份被取代）" if x["superseded"] else ""),
              x["conflicts"]], fill=None if x["returned"] else warn_fill)
    others = [f for f in p["files"] if f["status"] != "merged"]
    ws.append([])
    line(["未合并的文件", "", "名称", "情况", "文件", "文件时间", "SHA-256", "错误", "警告", "原因", "代码"], header=True)
    for f in others:
        line(["", KIND_LABEL.get(f["kind"], ""), f["record"] or "", f["status_text"], f["name"], f["when"],
              f["sha256"], f["errors"], f["warnings"], f["reason"] or "", f["code"] or ""],
             fill=err_fill if f["status"] in ("refused", "not_listed") else None)
    if not others:
        line(["（无）"])
    ws.append([])
    line(["冲突", "名称", "工作表", "单元格", "字段", "工作簿原值", "填报表值", "填报表单元格", "文件", "处理"], header=True)
    for c in p["conflicts"]:
        line(["", c.get("record") or "", c.get("sheet", ""), c.get("cell", ""), c.get("field", ""), c.get("city", ""),
              c.get("form", ""), c.get("form_cell", ""), Path(c["file"]).name,
              c.get("note") or ("采用填报表的值" if c.get("kept") == "form" else "保留工作簿原值")])
    if not p["conflicts"]:
        line(["（无）"])
    ws.append([])
    line(["问题明细", "文件", "名称", "工作表", "单元格", "字段", "填写的值", "严重程度", "规则", "说明"], header=True)
    n = 0
    for f in p["files"]:
        for x in f["findings"]:
            n += 1
            line(["", f["name"], f["record"] or "", x["sheet"], x["cell"], x["field"], x["value"],
                  SEVERITY_LABEL[x["severity"]], x["rule"], x["message"]],
                 fill=err_fill if x["severity"] == "error" else warn_fill)
    if not n:
        line(["（无）"])
    widths = (10, 14, 34, 12, 34, 20, 22, 10, 10, 40, 22)
    for col, width in zip("ABCDEFGHIJK", widths):
        ws.column_dimensions[col].width = width
    # neither Excel nor LibreOffice grows a row to fit wrapped text when it opens a file: size the rows
    from xjr_excel.ooxml.wrap import wrapped_lines
    for r, row in enumerate(ws.iter_rows(min_row=4, values_only=True), start=4):
        lines = max([wrapped_lines(str(v), w) for v, w in zip(row, widths) if v not in (None, "")] or [1])
        if lines > 1:
            ws.row_dimensions[r].height = min(409, 15 * lines)
    ws.freeze_panes = "A5"
    for other in wb.worksheets:
        other.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True
    wb.active = wb.sheetnames.index(SHEET)


# ---------------------------------------------------------------- the console

def print_summary(p: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from xjr_excel.findings import STACK_BELOW
    con = Console(highlight=False)
    s = p["summary"]
    title = f"填报表回收：名单{s['records']}个，已交回{s['returned']}个，未交回{s['not_returned']}个"
    if con.width < STACK_BELOW:
        _print_stacked(con, p, title)
        return
    t = Table(title=title)
    for h in ("名单", "名称", "交回", "文件", "错误", "警告", "冲突", "情况"):
        t.add_column(h, overflow="fold")
    for x in p["records"]:
        t.add_row(x["list"], x["name"], "是" if x["returned"] else "[dark_orange]否[/]",
                  Path(x["file"]).name if x["file"] else "", str(x["errors"]), str(x["warnings"]),
                  str(x["conflicts"]), x["status"])
    con.print(t)
    for f in p["files"]:
        if f["status"] != "merged":
            con.print(f"[red]未合并[/] {f['name']}：{f['reason']}" + (f"（{f['code']}）" if f["code"] else ""))
    for c in p["conflicts"]:
        con.print(f"[dark_orange]冲突[/] {_conflict_text(c)}")
    con.print(f"已写入：{p['output']}（详见“{SHEET}”工作表）", soft_wrap=True)


def _conflict_text(c: dict) -> str:
    kept = "采用填报表的值" if c.get("kept") == "form" else "保留工作簿原值"
    return (f"{c.get('record')} {c.get('sheet')}!{c.get('cell')} {c.get('field')}：工作簿“{c.get('city')}”，"
            f"填报表“{c.get('form')}”（{Path(c['file']).name} {c.get('form_cell', '')}），{kept}")


def _print_stacked(con, p: dict, title: str) -> None:
    """The 80-column command prompt: an eight-column table folds every name and file name into three
    lines; instead one line per enterprise or platform (its counts only where not 0), its file under it
    (a file name is never broken), and the files not merged and the conflicts wrapped by display cells."""
    from rich.text import Text

    from xjr_excel.terminal_wrap import print_wrapped
    print_wrapped(con, title, indent=0)
    for x in p["records"]:
        counts = "、".join(f"{word}{x[key]}" for word, key in (("错误", "errors"), ("警告", "warnings"),
                                                              ("冲突", "conflicts")) if x[key])
        print_wrapped(con, f"{x['name']}：" + (f"{x['status']}（{counts}）" if counts else x["status"]),
                      label=f"{x['list']} ", style="" if x["returned"] else "dark_orange", lead=2, indent=6)
        if x["file"]:
            con.print(Text("      " + Path(x["file"]).name, style="dim"), soft_wrap=True)
    others = [f for f in p["files"] if f["status"] != "merged"]
    if others:
        con.print(Text(f"未合并的文件：{len(others)}个", style="red"))
        for f in others:
            con.print(Text("  " + f["name"] + (f"（{f['code']}）" if f["code"] else "")), soft_wrap=True)
            print_wrapped(con, f["reason"] or "", lead=4, indent=4)
    if p["conflicts"]:
        con.print(Text(f"冲突：{len(p['conflicts'])}处", style="dark_orange"))
        for c in p["conflicts"]:
            print_wrapped(con, _conflict_text(c), lead=2, indent=4)
    con.print(f"已写入：{p['output']}", soft_wrap=True)      # a path is never broken mid-name
    con.print(f"详见其中的“{SHEET}”工作表。")
