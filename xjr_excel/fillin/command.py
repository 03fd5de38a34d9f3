"""``xjr forms``: the fill-in forms (填报表) the city sends out, or the printed packet."""
from __future__ import annotations

from pathlib import Path

from xjr_excel.errors import EXIT_FINDINGS, EXIT_OK, UserError
from xjr_excel.spec.definition import get_spec

HELP = "生成企业、平台填报表（附3附4、附5）或打印 / write the fill-in forms"
# Under --help's first line (the 示例 come from cli/examples.py), short lines for an 80-column terminal.
NOTES = """
每家附1企业一个“附3附4-企业名称.xlsx”，每个附2平台一个“附5-平台名称.xlsx”；
由跟踪表生成每家企业的“目标完成情况-企业名称.xlsx”。
城市、批次、申报年度、名称及已有的统一社会信用代码（认定文号）已预填
并锁定（工作表保护无密码）；该企业已填的附3–附5内容一并预填，便于退回
修改。企业只在黄色单元格填写，签字盖章后交回。
已存在的同名文件只在是本工具生成且未被改动时覆盖（否则加 --force）。
退出码：0 全部生成；1 有填报表未生成（其余已生成）；2 无法读取或无法执行。"""


def add_parser(sub, add_common, help_force: str) -> None:
    p = sub.add_parser("forms", help=HELP, description=HELP + "\n" + NOTES)      # 示例: cli/examples.py
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


def ribbon_forms(book, ui, folder, *, recognise) -> dict | None:
    """生成填报表 (ribbon): ``ui`` is the ribbon's status/alert object, ``recognise`` its form lookup."""
    from xjr_excel.annotate.backends import xlwings_book as X
    from xjr_excel.fillin import build as FB
    if not folder:
        ui.alert("请点击“生成填报表”按钮，在弹出的对话框中选择保存填报表的文件夹。")
        return None
    folder = Path(folder)
    spec = recognise(book, get_spec()).spec
    data, _names, _tables = X.read_book(book, spec, ui)      # what is on screen, saved or not
    ui.status("正在生成填报表…")
    sub, forms_, notes = FB.forms_of_data(data)
    result = FB.write_forms(sub, forms_, notes, folder, source=book.name)
    lines = [f"已生成{len(result.written)}个填报表，保存在：{folder}"]
    lines += [f"警告：{n}" for n in result.notes]
    lines += [f"错误：{f.name}：{why}" for f, why in result.failed]
    lines.append("城市、批次、年度和名称已锁定；请将文件发给各企业（平台）填写，签字盖章后交回。")
    ui.alert("\n".join(lines), critical=bool(result.failed))
    return {"written": [str(p) for _f, p in result.written], "failed": [f.name for f, _w in result.failed],
            "notes": result.notes}
