"""``xjr collect``: returned fill-in forms into a copy of the city (or tracking) workbook, with the report.

The fill-in forms' own command, kept in their folder (cli/main.py names this module)."""
from __future__ import annotations

import json

from xjr_excel.fillin.collect import collect, exit_code


def cli_main(args) -> int:
    payload = collect(args.book, args.inputs, args.output, prefer_forms=args.prefer == "forms", jobs=args.jobs,
                      policy_path=getattr(args, "policy", None), force=args.force)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        from xjr_excel.fillin.report import print_summary
        print_summary(payload)
    return exit_code(payload)
