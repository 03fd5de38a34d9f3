"""``xjr validate`` and ``xjr clear``.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 the file cannot be read.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from xjr_excel import findings as F
from xjr_excel.errors import EXIT_FINDINGS, EXIT_OK, OutputIsInput, UserError
from xjr_excel.spec.definition import get_spec


def _console():
    from rich.console import Console
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


def validate_main(args) -> int:
    from xjr_excel.validate.run import validate_json
    spec = get_spec(args.policy) if getattr(args, "policy", None) else get_spec()
    if args.annotate:        # refuse before the work, not after it
        from xjr_excel.atomic import check_output
        if Path(args.annotate).resolve() == Path(args.file).resolve():
            raise OutputIsInput("--annotate 的输出文件与输入文件相同。请换一个文件名，或改用 --in-place（会先备份）。")
        check_output(args.annotate, (args.file,), purpose="annotated", force=args.force)
    payload, found, refused = validate_json(args.file, names_path=args.names, spec=spec)
    if refused is not None:
        if args.json:        # machine readers get JSON on stdout even when the file is refused
            print(json.dumps(payload, ensure_ascii=False, indent=2))
        raise refused
    counts = F.summary(found)
    out_note = None
    if args.annotate or args.in_place:
        from xjr_excel.annotate.backends import openpyxl_book as annotate
        from xjr_excel.atomic import backup
        src = Path(args.file)
        if annotate.needs_copy(src):
            out = Path(args.annotate) if args.annotate else _copy_target(src)
            annotate.annotate_file(src, out, found, spec, force=args.force)
            out_note = (f"“{src.name}”是{src.suffix}格式，本工具无法在其中标记：已按填报模板生成 .xlsx 副本并标记，"
                        f"写入：{out}（原文件未改动；原文件中的格式和批注未带入副本）。请在副本中修改后以 .xlsx 上报。"
                        f" / {src.suffix} cannot be marked: annotated .xlsx copy written")
        elif args.in_place:
            annotate.check_markable(args.file)      # before the backup: a refusal leaves nothing behind
            bak = backup(args.file)
            annotate.annotate_file(args.file, args.file, found, spec)
            out_note = f"已在原文件中标记（备份：{bak}） / marked in place, backup: {bak}"
        else:
            annotate.annotate_file(args.file, args.annotate, found, spec, force=args.force)
            out_note = f"已写入标记文件：{args.annotate} / annotated copy written"
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        F.render(str(args.file), found, console=_console())
        if out_note:
            print(out_note)
    return EXIT_FINDINGS if counts["errors"] else EXIT_OK


def _copy_target(src: Path) -> Path:
    from xjr_excel.annotate.xlsx_copy import copy_name
    out = copy_name(src)
    from xjr_excel.atomic import check_output
    check_output(out, (src,), purpose="annotated")     # our own earlier copy is replaced; anything else is not
    return out


def clear_main(args) -> int:
    from xjr_excel.annotate.backends import openpyxl_book as annotate
    from xjr_excel.atomic import backup
    src = Path(args.file)
    if src.suffix.lower() not in annotate.OOXML_SUFFIXES:     # an .xls/.ods is never marked: its .xlsx copy is
        raise annotate.clear_needs_xlsx(src)
    if args.output and _same_file(args.output, args.file):     # refuse before reading, as --annotate does
        raise OutputIsInput("-o 的输出文件与输入文件相同：这样会改写原文件而不留备份。"
                            f"请换一个文件名（如：xjr clear {src.name} -o {src.stem}-上报{src.suffix}），"
                            "或不写 -o，直接清除原文件中的标记（会先备份）。")
    from xjr_excel.guard import check as guard
    guard.check_file(args.file)
    if args.output:
        annotate.clear_file(args.file, args.output, force=args.force)
        print(f"已清除校验标记，写入：{args.output} / marks cleared")
    else:
        annotate.check_markable(args.file)
        bak = backup(args.file)
        annotate.clear_file(args.file, args.file)
        print(f"已清除原文件中的校验标记（备份：{bak}） / marks cleared in place")
    return EXIT_OK


def _same_file(a, b) -> bool:
    """The same file by path, or by identity (a hard link, another spelling of the path)."""
    import os
    pa, pb = Path(a), Path(b)
    if pa.resolve() == pb.resolve():
        return True
    try:
        return pa.exists() and pb.exists() and os.path.samefile(pa, pb)
    except OSError:
        return False


def cli_main(args) -> int:
    if args.command == "clear":
        return clear_main(args)
    return validate_main(args)

