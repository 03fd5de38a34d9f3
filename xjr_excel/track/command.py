"""``xjr track``: one tracking workbook per approved city submission (or per city of a provincial merge).

The tracking form's own command, kept in its folder (cli/main.py names this module)."""
from __future__ import annotations

import sys
from pathlib import Path

from xjr_excel.errors import EXIT_OK, UserError
from xjr_excel.spec.definition import get_spec
from xjr_excel.track.source import from_province, from_submission
from xjr_excel.track.spec import period_label, track_spec_for
from xjr_excel.track.template import build_tracking


def output_name(city: str, label: str, suffix: str = ".xlsx") -> str:
    return f"{city}-目标完成情况跟踪表-{label}{suffix}"


def _warn_if_uncorrected(path, spec) -> None:
    """Targets are copied from the submission as it is: say so when it still has errors."""
    from xjr_excel.findings import summary
    from xjr_excel.validate.run import validate_file
    _, found = validate_file(path, spec=spec)
    errors = summary(found)["errors"]
    if errors:
        print(f"警告：“{Path(path).name}”仍有{errors}个错误（xjr validate {Path(path).name} 可查看），"
              "跟踪表的企业名单、初始值和目标值取自这份未改正的申报工作簿。"
              "请确认它就是批准的版本；否则请用改正后的申报工作簿重新生成。", file=sys.stderr)


def cli_main(args) -> int:
    spec = get_spec(args.policy) if getattr(args, "policy", None) else get_spec()
    tspec = track_spec_for(spec)
    try:
        label = period_label(spec.policy, args.period)
    except ValueError as e:
        raise UserError(str(e)) from None
    if args.split:
        folder = Path(args.split)
        if folder.suffix.lower() in (".xlsx", ".xlsm"):
            raise UserError(f"--split 应为输出文件夹（每市一个跟踪表），而不是文件“{folder.name}”。")
        jobs = [(src, folder / output_name(src.cover["city"], label)) for item in args.inputs
                for src in from_province(item, spec)]
    else:
        out = Path(args.output)
        several = len(args.inputs) > 1
        if several and out.suffix.lower() in (".xlsx", ".xlsm"):
            raise UserError(f"给了{len(args.inputs)}个申报工作簿：-o 应为输出文件夹（每市一个跟踪表），而不是文件“{out.name}”。")
        jobs = []
        for item in args.inputs:
            src = from_submission(item, spec)
            _warn_if_uncorrected(item, spec)
            jobs.append((src, out / output_name(src.cover.get("city") or Path(item).stem, label) if several else out))
    for src, target in jobs:
        build_tracking(target, src, args.period, tspec, force=getattr(args, "force", False))
        print(f"已生成跟踪表：{target}（{src.cover.get('city')}，实施期{label}，{len(src.enterprises)}家企业）")
    return EXIT_OK
