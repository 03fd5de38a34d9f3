"""Findings: built from a rule id + placeholders, summarised, printed.

Every message is the spec's Chinese template for the rule, filled in, with the
clause it rests on appended (「（依据：…）」) so the user knows why.
"""
from __future__ import annotations

import string

from xjr_excel.model import SEVERITIES, SEVERITY_LABEL, Finding
from xjr_excel.ooxml.cells import row_col
from xjr_excel.spec.definition import Spec


class _Blank(dict):
    def __missing__(self, key):
        return ""


_FMT = string.Formatter()


def message(spec: Spec, rule_id: str, **ph) -> str:
    rule = spec.rule(rule_id)
    text = _FMT.vformat(rule.message, (), _Blank({k: ("" if v is None else v) for k, v in ph.items()}))
    return f"{text}（依据：{rule.clause}）"


def make(spec: Spec, rule_id: str, *, file: str, sheet: str = "", cell: str = "", field: str = "",
         value="", field_label: str | None = None, subject: tuple[str, str] | None = None, **ph) -> Finding:
    """``field`` is the header the finding names; ``field_label`` (shorter) is how the message names it.

    ``subject`` = (kind, name), e.g. ("企业", "南京某某科技有限公司"): the enterprise or platform the row
    belongs to.  The message starts with it unless it already names it, so a line read alone (in a note,
    in a city's 问题清单) still says whose figure is wrong.
    """
    rule = spec.rule(rule_id)
    value = "" if value is None else str(value)
    ph.setdefault("field", field_label or field)
    ph.setdefault("sheet", sheet)
    ph.setdefault("value", value)
    return Finding(file=file, sheet=sheet or "", cell=cell or "", field=field or "", value=value,
                   rule=rule_id, severity=rule.severity, message=_about(subject, message(spec, rule_id, **ph)))


def _about(subject: tuple[str, str] | None, text: str) -> str:
    if not subject or not subject[1] or f"“{subject[1]}”" in text:
        return text
    return f"{subject[0]}“{subject[1]}”：{text}"


def summary(findings) -> dict:
    out = {s + "s": 0 for s in SEVERITIES}
    for f in findings:
        out[f.severity + "s"] += 1
    return out


def sort_findings(findings, sheet_names) -> list[Finding]:
    order = {n: i for i, n in enumerate(sheet_names)}
    return sorted(findings, key=lambda f: (order.get(f.sheet, -1 if not f.sheet else len(order)),
                                           *row_col(f.cell), f.severity != "error", f.rule))


def _clip(text: str, n: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def _short_field(header: str) -> str:
    """「企业简介（不超过500字，另附页无效）」 → 「企业简介」 in the table (the message has the rest)."""
    header = header.replace("\n", "")
    head = header.split("（")[0]
    return _clip(head if len(header) > 12 and head else header, 24)


# rich colours of the two severities: red, and the orange of the warning mark
STYLE = {"error": "red", "warning": "dark_orange"}


# Below this terminal width the six-column table leaves 说明 a few characters a line: each finding is
# printed as a heading line (cell, level, field, value, rule) with its message wrapped under it instead.
STACK_BELOW = 110


def _render_stacked(console, sheet: str, items) -> None:
    from rich.text import Text

    from xjr_excel.terminal_wrap import wrap
    console.print(Text(f"{sheet}（{len(items)}）", style="bold"))
    for f in items:
        head = Text("  ")
        head.append(f.cell or "—", style="bold")
        head.append("  ")
        head.append(SEVERITY_LABEL[f.severity], style=STYLE[f.severity])
        head.append(f"  {_short_field(f.field)}")
        if f.value:
            head.append(f"：{_clip(f.value, 24)}")
        head.append(f"  {f.rule}", style="dim")
        console.print(head)
        for line in wrap(f.message, console.width - 4):
            console.print(Text("    " + line), soft_wrap=True)
    console.print()


def to_json(file: str, findings) -> dict:
    """``severity`` is the code (error/warning) for programs; ``level`` the word users read (错误/警告)."""
    return {"file": file, "findings": [{**f.to_json(), "level": SEVERITY_LABEL[f.severity]} for f in findings],
            "summary": summary(findings)}


def refused_json(file: str, error) -> dict:
    """The payload of a refused file: the refusal's code and message, no findings."""
    return {"file": file, **error.as_json(), "findings": [], "summary": summary([])}


def render(file: str, findings, console=None) -> None:
    """Human output: one table per sheet, errors in red, warnings in orange (the colour of their mark in the workbook), then the totals."""
    from rich.console import Console
    from rich.table import Table
    from rich import box

    console = console or Console()
    s = summary(findings)
    if not findings:
        console.print(f"[green]✓ {file}：未发现问题 / no problems found[/green]")
        return
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.sheet or "（整个文件）", []).append(f)
    stacked = console.width < STACK_BELOW
    for sheet, items in groups.items():
        if stacked:
            _render_stacked(console, sheet, items)
            continue
        t = Table(title=f"{sheet}（{len(items)}）", title_justify="left", box=box.SIMPLE_HEAD,
                  show_lines=False, expand=True)
        t.add_column("单元格", no_wrap=True)
        t.add_column("级别", no_wrap=True)
        t.add_column("字段", max_width=18, overflow="fold")
        t.add_column("当前值", max_width=18, overflow="fold")
        t.add_column("说明", ratio=1, overflow="fold")
        t.add_column("规则", no_wrap=True, style="dim")
        for f in items:
            level = f"[{STYLE[f.severity]}]{SEVERITY_LABEL[f.severity]}[/]"
            t.add_row(f.cell or "—", level, _short_field(f.field), _clip(f.value, 24), f.message, f.rule)
        console.print(t)
    colour = STYLE["error" if s["errors"] else "warning"]
    console.print(f"[{colour}]{file}：{SEVERITY_LABEL['error']} {s['errors']} 处，{SEVERITY_LABEL['warning']} {s['warnings']} 处"
                  f" / {s['errors']} errors, {s['warnings']} warnings[/{colour}]")
