"""``xjr forms``: the fill-in forms (填报表) the city sends out, or the printed packet."""
from __future__ import annotations

from pathlib import Path

from xjr_excel.errors import EXIT_FINDINGS, EXIT_OK, UserError
from xjr_excel.spec.definition import get_spec

HELP = "生成填报表：每家企业一个附3附4、每个平台一个附5（或由跟踪表生成每家企业的目标完成情况表） / write the fill-in forms"
EPILOG = """示例：
  xjr forms 南京市.xlsx -o 填报表           每家附1企业一个“附3附4-企业名称.xlsx”，每个附2平台一个“附5-平台名称.xlsx”
  xjr forms 南京市-目标完成情况跟踪表-满一年.xlsx -o 完成情况表   每家企业一个“目标完成情况-企业名称.xlsx”
  xjr forms 南京市.xlsx --print 南京市-填报表.pdf   按表样打印全部附3、附4、附5（合并为一个PDF；需LibreOffice）
  xjr forms 南京市.xlsx --print PDF文件夹          每个填报表一个PDF

城市、批次、申报年度、企业（平台）名称及已有的统一社会信用代码（认定文号）已预填并锁定（工作表保护无密码）；
城市工作簿中该企业已填的附3–附5内容一并预填，便于退回修改。企业只需在黄色单元格填写，签字盖章后交回。
已存在的同名文件只在是本工具生成且未被改动时覆盖（否则加 --force）。
退出码：0 全部生成；1 有填报表未生成（其余已生成）；2 无法读取或无法执行。"""


def add_parser(sub, add_common, help_force: str) -> None:
    import argparse
    p = sub.add_parser("forms", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("book", help="城市申报工作簿（.xlsx/.xlsm/.xls/.ods），或目标完成情况跟踪表")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("-o", "--output", metavar="DIR", help="输出文件夹（不存在时自动创建）")
    g.add_argument("--print", dest="print_to", metavar="OUT.pdf|DIR",
                   help="按表样渲染为PDF：以 .pdf 结尾则合并为一个文件，否则为文件夹（每个填报表一个PDF）")
    p.add_argument("--force", action="store_true", help=help_force)
    add_common(p)


def cli_main(args) -> int:
    spec = get_spec(getattr(args, "policy", None))
    force = getattr(args, "force", False)
    if args.print_to:
        from xjr_excel.fillin.printing import print_packet
        pdfs = print_packet(args.book, args.print_to, spec=spec, force=force)
        print(f"已生成PDF：{Path(args.print_to)}（{len(pdfs)}个文件）")
        return EXIT_OK
    from xjr_excel.fillin.build import build_forms
    result = build_forms(args.book, args.output, spec=spec, force=force)
    for note in result.notes:
        print(f"警告：{note}")
    for form, path in result.written:
        print(f"已生成：{path}")
    for form, why in result.failed:
        print(f"错误：{form.name} 的填报表未生成：{why}")
    print(f"共生成{len(result.written)}个填报表，写入“{args.output}”" +
          (f"；{len(result.failed)}个未生成" if result.failed else "") + "。")
    if result.failed and not result.written:
        raise UserError("没有生成任何填报表：" + "；".join(why for _f, why in result.failed))
    return EXIT_FINDINGS if result.failed else EXIT_OK
