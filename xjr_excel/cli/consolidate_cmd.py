"""``xjr consolidate``: merge the cities' workbooks and print what was merged, skipped and why."""
from __future__ import annotations

import json
from pathlib import Path

from xjr_excel import forms
from xjr_excel.province.consolidate import consolidate, exit_code


def cli_main(args) -> int:
    payload = consolidate(args.inputs, args.output, province=args.province, names_path=args.names,
                          strict=args.strict, jobs=args.jobs, policy_path=getattr(args, "policy", None),
                          force=getattr(args, "force", False), department=getattr(args, "department", "") or "",
                          issues_dir=getattr(args, "issues_dir", None))
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        print_summary(payload)
    return exit_code(payload)


def print_summary(payload: dict) -> None:
    """The one summary of a merge, whatever the form: the form's table (:attr:`forms.Form.summary`),
    then notices, duplicates, the files not merged and the output."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from xjr_excel.findings import STACK_BELOW
    from xjr_excel.terminal_wrap import print_wrapped
    con = Console()
    # the 80-column command prompt: rich breaks Chinese only at spaces (a notice of one long sentence
    # falls apart, 「，」 starts a line) — wrap by display cells instead, title above a lighter table
    narrow = con.width < STACK_BELOW
    prov = payload["province"]
    if prov.get("output") is None:
        con.print("[bold red]没有可以读取的城市工作簿，未生成汇总文件。[/] No city workbook could be read.")
    title, headers, rows = forms.lookup(payload.get("form", forms.DEFAULT)).summary(payload)
    if narrow:
        print_wrapped(con, title, indent=0)
    t = Table(title=None if narrow else title, box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD,
              show_edge=not narrow)
    for h in headers:
        t.add_column(h, overflow="fold")
    for row in rows:
        t.add_row(*row)
    con.print(t)
    for n in prov.get("notices", []):
        print_wrapped(con, n, label="警告：", style="dark_orange")
    if payload["duplicates"]:
        print_wrapped(con, "（见“重复”工作表）", label=f"重复填报的同一企业：{len(payload['duplicates'])}组",
                      style="dark_orange")
        for d in payload["duplicates"][:10]:
            print_wrapped(con, f"{d['name']}（{d['match']}相同，{d.get('scope', '')}）：{'、'.join(d['cities'])}",
                          lead=2, indent=4)
    if payload.get("mismatches"):
        print_wrapped(con, "（见“统计”八）", label=f"附1与附3不一致的企业：{len(payload['mismatches'])}家",
                      style="dark_orange")
    from xjr_excel.province.consolidate import is_ignored
    skipped = [s for s in payload["skipped"] if not is_ignored(s)]
    ignored = [s for s in payload["skipped"] if is_ignored(s)]
    if skipped:
        con.print(f"[red]未合并的文件：{len(skipped)}个[/]")
        for s in skipped:
            if narrow:      # the path whole on its own line, the reason wrapped under it
                con.print(f"  {s['file']}：", soft_wrap=True, markup=False, highlight=False)
                print_wrapped(con, s["reason"], lead=4, indent=4)
            else:
                con.print(f"  {s['file']}：{s['reason']}", soft_wrap=True)     # a path is never broken mid-name
    if ignored:
        con.print(f"[dim]已忽略（不是工作簿）：{'、'.join(Path(s['file']).name for s in ignored)}[/]")
    if prov.get("output"):
        con.print(f"已写入：{prov['output']}", soft_wrap=True)
    for i in payload.get("issues", []):
        con.print(f"问题清单：{i['path']}（{i['city']}：错误{i['errors']}个、警告{i['warnings']}个）")
