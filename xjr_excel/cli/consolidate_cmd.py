"""``xjr consolidate``: merge the cities' workbooks and print what was merged, skipped and why."""
from __future__ import annotations

import json
from pathlib import Path

from xjr_excel.province.consolidate import consolidate, exit_code


def cli_main(args) -> int:
    payload = consolidate(args.inputs, args.output, province=args.province, names_path=args.names,
                          strict=args.strict, jobs=args.jobs, policy_path=getattr(args, "policy", None),
                          force=getattr(args, "force", False))
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    elif payload.get("form") == "track":
        from xjr_excel.track.province import print_summary as print_track_summary
        print_track_summary(payload)
    else:
        print_summary(payload)
    return exit_code(payload)


def print_summary(payload: dict) -> None:
    from rich.console import Console
    from rich.table import Table
    con = Console()
    prov = payload["province"]
    if prov.get("output") is None:
        con.print("[bold red]没有可以读取的城市工作簿，未生成汇总文件。[/] No city workbook could be read.")
    t = Table(title=f"{prov['province']}汇总：{prov['cities']}个市纳入名单，共{prov['enterprises']}家重点企业"
                    f"（★{prov['star']}家）、{prov['platforms']}个平台")
    for h in ("城市", "文件", "状态", "重点企业", "★", "平台", "错误", "警告"):
        t.add_column(h, overflow="fold")
    for c in payload["cities"]:
        style = {"合格": "green", "有错误": "red", "无法读取": "bold red"}.get(c["status"], "")
        t.add_row(c["city"], c["file"], f"[{style}]{c['status']}[/]", str(c["enterprises"]), str(c["star"]),
                  str(c["platforms"]), str(c["errors"]), str(c["warnings"]))
    con.print(t)
    for n in prov.get("notices", []):
        con.print(f"[dark_orange]警告：[/]{n}")
    if payload["duplicates"]:
        con.print(f"[dark_orange]多个城市报送的同一企业：{len(payload['duplicates'])}组[/]（见“重复”工作表）")
        for d in payload["duplicates"][:10]:
            con.print(f"  {d['name']}（{d['match']}相同）：{'、'.join(d['cities'])}")
    from xjr_excel.province.consolidate import is_ignored
    skipped = [s for s in payload["skipped"] if not is_ignored(s)]
    ignored = [s for s in payload["skipped"] if is_ignored(s)]
    if skipped:
        con.print(f"[red]未合并的文件：{len(skipped)}个[/]")
        for s in skipped:
            con.print(f"  {s['file']}：{s['reason']}")
    if ignored:
        con.print(f"[dim]已忽略（不是工作簿）：{'、'.join(Path(s['file']).name for s in ignored)}[/]")
    if prov.get("output"):
        con.print(f"已写入：{prov['output']}")
