"""The 示例 of every ``xjr`` sub-command's ``--help``, and the version ``--version`` prints."""
from __future__ import annotations

# 示例 shown under each sub-command's --help (the top level lists the first line of each); a new
# sub-command adds its lines here (tests/test_cli_zh.py checks every command has them)
EXAMPLES = {
    "spec": ["xjr spec                      # 打印申报工作簿的全部表格、字段和规则",
             "xjr spec --json > 规格.json     # 以JSON保存完整规格",
             "xjr spec --form track         # 目标完成情况跟踪表的规格"],
    "template": ["xjr template -o 南京市.xlsm --city 南京市 --batch 3 --year 2026",
                 "xjr template -o 南京市.xlsm --city 南京市 --department 南京市工业和信息化局"],
    "validate": ["xjr validate 南京市.xlsm                               # 在屏幕上列出问题",
                 "xjr validate 南京市.xlsm --annotate 南京市-校验.xlsm     # 另存一份带标记的文件",
                 "xjr validate 南京市.xlsm --in-place                    # 直接标记原文件（先备份）",
                 "xjr validate 南京市.xlsm --names 公布名单.xlsx --json"],
    "clear": ["xjr clear 南京市-校验.xlsm -o 南京市-上报.xlsm   # 清除标记，写入新文件",
              "xjr clear 南京市-校验.xlsm                       # 改写原文件（先备份）"],
    "consolidate": ["xjr consolidate 收件箱/ -o 江苏省汇总.xlsx --province 江苏省",
                    "xjr consolidate 南京市.xlsx 苏州市.xlsm -o 汇总.xlsx --province 江苏省 --strict",
                    "xjr consolidate 收件箱/ -o 汇总.xlsx --province 江苏省 --department 江苏省工业和信息化厅 --issues-dir 问题清单/"],
    "forms": ["xjr forms 南京市.xlsx -o 填报表/                    # 每家企业、每个平台一个填报表",
              "xjr forms 南京市-目标完成情况跟踪表-满一年.xlsx -o 完成情况表/",
              "xjr forms 南京市.xlsx --print 南京市-填报表.pdf       # 按表样打印（需LibreOffice）",
              "xjr forms 南京市.xlsx --print PDF文件夹/              # 每个填报表一个PDF"],
    "collect": ["xjr collect 南京市.xlsx 交回/ -o 南京市-回收.xlsx          # 交回的填报表写入城市工作簿副本",
                "xjr collect 南京市.xlsx 交回/ -o 南京市-回收.xlsx --prefer forms   # 与工作簿不同时采用填报表的值",
                "xjr collect 南京市-跟踪表.xlsx 完成情况表/ -o 南京市-跟踪表-回收.xlsx"],
    "serve": ["xjr serve --open                                 # 本机使用：启动并打开浏览器",
              "xjr serve --add-user 张三 --role province          # 添加省级用户（可合并汇总）",
              "xjr serve --host 0.0.0.0 --port 8765              # 全省内网服务器（须先添加用户）"],
    "track": ["xjr track 南京市.xlsx -o 南京市-跟踪表.xlsm --period 1",
              "xjr track 江苏省汇总.xlsx --split 跟踪表/ --period 2"],
}


def examples(command: str) -> str:
    """The epilog of a sub-command's --help: 示例, one command a line."""
    return "示例：\n" + "\n".join(f"  {line}" for line in EXAMPLES.get(command, ()))


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("xjr-excel")
    except PackageNotFoundError:     # run from a source tree that was never installed
        return "未安装"
