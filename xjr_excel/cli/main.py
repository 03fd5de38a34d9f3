"""The ``xjr`` command line: everything the ribbon does, for people without Excel.

Each sub-command is parsed here and handed to the ``cli_main(args) -> int``
of the module that owns it, so this file stays a table of contents.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from xjr_excel import errors
from xjr_excel.cli.argparse_zh import ZhArgumentParser
from xjr_excel.cli.examples import EXAMPLES, examples, version

COMMANDS = {
    # name: (module, help)
    "spec": ("xjr_excel.cli.spec_cmd", "打印表格规格（字段、规则、政策参数） / print the spec"),
    "template": ("xjr_excel.cli.template_cmd", "生成填报模板工作簿 / build the master workbook"),
    "validate": ("xjr_excel.cli.validate_cmd", "校验城市工作簿 / validate a city workbook"),
    "clear": ("xjr_excel.cli.validate_cmd", "清除校验标记 / clear validation marks"),
    "consolidate": ("xjr_excel.cli.consolidate_cmd", "合并各市工作簿为全省汇总 / merge city workbooks"),
    "track": ("xjr_excel.track.command", "由申报工作簿生成目标完成情况跟踪表 / build the target-tracking workbook"),
    "forms": ("xjr_excel.fillin.command", "生成企业、平台填报表（附3附4、附5）或打印 / write the fill-in forms"),
    "serve": ("xjr_excel.serve.cli", "网页服务：在浏览器中校验、合并、生成模板 / the web page and API"),
    "collect": ("xjr_excel.fillin.collect_command", "回收企业、平台交回的填报表，写入城市工作簿 / collect returned forms"),
}


HELP_FORCE = "输出文件已存在且不是本工具生成的同类文件时，仍然覆盖 / overwrite an existing output that is not ours"


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="出错时显示完整的Python错误信息 / show tracebacks")
    p.add_argument("--policy", help="政策参数文件（默认使用内置policy.toml） / policy.toml to use")


def build_parser() -> argparse.ArgumentParser:
    parser = ZhArgumentParser(
        prog="xjr", description="重点专精特新“小巨人”申报工作簿工具 / Little Giant submission workbook toolkit",
        epilog="示例：\n" + "\n".join(f"  {lines[0]}" for lines in EXAMPLES.values())
               + "\n\n每个子命令的用法和更多示例：xjr 子命令 --help（如 xjr validate --help）")
    parser.add_argument("--version", action="version", version=f"%(prog)s（xjr-excel）{version()}",
                        help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", required=True, title="子命令", metavar="子命令",
                                parser_class=ZhArgumentParser)

    p = sub.add_parser("spec", help=COMMANDS["spec"][1])
    p.add_argument("--json", action="store_true", help="以JSON输出 / print JSON")
    from xjr_excel import forms      # the registry: every registered form is a choice
    p.add_argument("--form", choices=forms.names(), default=forms.DEFAULT,
                   help="表单：" + "，".join(f"{f.name} {f.title}" + ("（默认）" if f.name == forms.DEFAULT else "")
                                          for f in map(forms.lookup, forms.names())))
    _add_common(p)

    p = sub.add_parser("template", help=COMMANDS["template"][1])
    p.add_argument("-o", "--output", required=True, help="输出文件（.xlsx 或 .xlsm）")
    p.add_argument("--city", help="城市，如：南京市")
    p.add_argument("--batch", type=int, help="本市第几批，如：3")
    p.add_argument("--year", type=int, help="申报年度，如：2026")
    p.add_argument("--department", help="市级中小企业主管部门")
    p.add_argument("--force", action="store_true", help=HELP_FORCE)
    _add_common(p)

    p = sub.add_parser("validate", help=COMMANDS["validate"][1])
    p.add_argument("file", metavar="文件", help="要校验的工作簿（.xlsx/.xlsm/.xls/.ods）")
    p.add_argument("--names", help="工业和信息化部公布名单（.xlsx 或 .csv）")
    p.add_argument("--json", action="store_true", help="以JSON输出结果")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--annotate", metavar="输出", help="将标记写入新文件（输出）")
    g.add_argument("--in-place", action="store_true", help="直接标记原文件（先备份）")
    p.add_argument("--force", action="store_true", help=HELP_FORCE)
    _add_common(p)

    p = sub.add_parser("clear", help=COMMANDS["clear"][1])
    p.add_argument("file", metavar="文件", help="要清除标记的工作簿")
    p.add_argument("-o", "--output", help="写入新文件（默认改写原文件并备份）")
    p.add_argument("--force", action="store_true", help=HELP_FORCE)
    _add_common(p)

    p = sub.add_parser("consolidate", help=COMMANDS["consolidate"][1])
    p.add_argument("inputs", nargs="+", metavar="输入", help="城市工作簿文件或文件夹")
    p.add_argument("-o", "--output", required=True, help="全省汇总工作簿（.xlsx）")
    p.add_argument("--province", default="××省", help="省份，如：江苏省")
    p.add_argument("--names", help="工业和信息化部公布名单（.xlsx 或 .csv）")
    p.add_argument("--json", action="store_true", help="以JSON输出汇总")
    p.add_argument("--strict", action="store_true", help="有错误的城市不进入名单（仍在统计中报告）")
    p.add_argument("--department", default="", help="省级中小企业主管部门，写入各名单的盖章行，如：江苏省工业和信息化厅")
    p.add_argument("--issues-dir", metavar="DIR", help="为每个有错误的城市写一个问题清单工作簿（城市-问题清单.xlsx）到文件夹 DIR")
    p.add_argument("--jobs", type=int, default=0, help="并行进程数（默认按CPU数）")
    p.add_argument("--force", action="store_true", help=HELP_FORCE)
    _add_common(p)

    p = sub.add_parser("collect", help=COMMANDS["collect"][1])
    p.add_argument("book", help="城市申报工作簿（或目标完成情况跟踪表），不会被修改")
    p.add_argument("inputs", nargs="+", help="交回的填报表文件或文件夹")
    p.add_argument("-o", "--output", required=True, help="写入回收结果的工作簿副本（与城市工作簿同为 .xlsx 或 .xlsm）")
    p.add_argument("--prefer", choices=("city", "forms"), default="city",
                   help="工作簿与填报表的值不同时：city 保留工作簿原值（默认），forms 采用填报表的值")
    p.add_argument("--json", action="store_true", help="以JSON输出回收情况")
    p.add_argument("--jobs", type=int, default=0, help="并行进程数（默认按CPU数）")
    p.add_argument("--force", action="store_true", help=HELP_FORCE)
    _add_common(p)

    p = sub.add_parser("track", help=COMMANDS["track"][1])
    p.add_argument("inputs", nargs="+", metavar="输入", help="批准的城市申报工作簿（或 --split 时的全省汇总工作簿）")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("-o", "--output", help="跟踪表（.xlsx 或 .xlsm）；多个申报工作簿时为输出文件夹")
    g.add_argument("--split", metavar="文件夹", help="由全省汇总工作簿为每个市生成一个跟踪表，写入该文件夹")
    p.add_argument("--period", type=int, required=True, choices=(1, 2), help="实施期：1 满一年，2 满两年")
    p.add_argument("--force", action="store_true", help=HELP_FORCE)
    _add_common(p)

    p = sub.add_parser("serve", help=COMMANDS["serve"][1])
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认仅本机 127.0.0.1；其他地址需先设置账户）")
    p.add_argument("--port", type=int, default=8765, help="端口（默认 8765）")
    p.add_argument("--open", action="store_true", help="启动后打开浏览器")
    p.add_argument("--add-user", metavar="NAME", help="添加（或重设）用户并生成其 API 令牌，然后退出")
    p.add_argument("--role", choices=("province", "city"), default="city",
                   help="--add-user 的角色：province 省级（可合并），city 市级（仅校验，默认）")
    p.add_argument("--password-stdin", action="store_true", help="--add-user 的密码从标准输入读取一行")
    p.add_argument("--accounts", help="账户文件（默认在用户配置文件夹）")
    p.add_argument("--work-dir", help="上传和结果的私有临时文件夹")
    p.add_argument("--behind-proxy", action="store_true", help="在反向代理（nginx，TLS）之后运行：需先设置账户")
    _add_common(p)

    for name in ("forms",):     # a form's command declares its own arguments, next to its code
        importlib.import_module(COMMANDS[name][0]).add_parser(sub, _add_common, HELP_FORCE)

    for name, p in sub.choices.items():      # every sub-command's --help: its line as description, then 示例
        p.description = p.description or COMMANDS[name][1]
        p.epilog = p.epilog or examples(name)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # the import is guarded too: a broken install must not greet users with a traceback
    return errors.run_guarded(lambda: importlib.import_module(COMMANDS[args.command][0]).cli_main(args),
                              debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
