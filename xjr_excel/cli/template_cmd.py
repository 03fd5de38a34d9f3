"""``xjr template``: build the master workbook from the spec."""
from __future__ import annotations

from xjr_excel.spec.definition import get_spec
from xjr_excel.template.build import build_workbook, submission_params


def cli_main(args) -> int:
    spec = get_spec(getattr(args, "policy", None))
    out = build_workbook(args.output, city=args.city, batch=args.batch, year=args.year,
                         department=args.department, spec=spec, force=getattr(args, "force", False))
    p = submission_params(spec, city=args.city, batch=args.batch, year=args.year, department=args.department)
    print(f"已生成模板：{out}（{p['city']}第{p['batch']}批，申报年度{p['year']}）")
    return 0
