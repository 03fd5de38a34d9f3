"""Turn a saved workbook into the macro-enabled master: VBA project, ribbon, xlwings settings.

Two steps, called by the template builder:

* :func:`prepare_workbook` (openpyxl level, before saving) adds the hidden
  ``xlwings.conf`` sheet — the interpreter settings xlwings' VBA reads — and
  the Chinese texts the VBA shows when Python itself cannot be reached (VBA is
  ASCII-only; every message a user reads comes from Python or the ribbon XML).
* :func:`package_macros` (zip level, after saving) adds ``xl/vbaProject.bin``
  built from ``macros/`` plus xlwings' own standalone module, the ribbon part
  ``customUI/customUI14.xml`` and the relationships and content types that make
  the file a real ``.xlsm``.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from xjr_excel.own_sheets import RESULTS_SHEET   # the sheet 打开校验结果 activates
from xjr_excel.ooxml import package as P
from xjr_excel.ooxml.vba import macros_dir

CONF_SHEET = "xlwings.conf"

# Settings xlwings' VBA (GetConfigFromSheet) reads from column A/B, top down,
# until the first empty cell. Keys are case-insensitive.
XLWINGS_SETTINGS: tuple[tuple[str, object], ...] = (
    # "python" = the python.exe on PATH (python.org installer: tick "Add python.exe to PATH").
    # Otherwise put the full path here, e.g. %LOCALAPPDATA%\Programs\Python\Python312\python.exe
    ("Interpreter_Win", "python"),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("UDF Modules", ""),
    ("Debug UDFs", False),
    # Python starts on the first click and stays running for the next ones (xlwings' COM server):
    # a click then costs the check, not Python's start-up.  xlwings' KillPy macro ends it.
    ("Use UDF Server", True),
    ("Show Console", False),
    # Never import .py files that happen to lie next to a city workbook.
    ("ADD_WORKBOOK_TO_PYTHONPATH", "false"),
)

# Texts the VBA shows itself (column D key, column E text): only for the cases
# where Python cannot run, so Python cannot say it.
MESSAGE_COLUMN_KEY, MESSAGE_COLUMN_TEXT = 4, 5
VBA_MESSAGES: tuple[tuple[str, str], ...] = (
    ("XJR_TITLE", "小巨人工作簿工具"),
    ("XJR_NO_PYTHON",
     "找不到Python，无法运行校验。\n\n"
     "请先安装Python 3.10或更高版本（python.org，安装时勾选“Add python.exe to PATH”），"
     "然后在命令提示符中运行：pip install xjr-excel\n"
     "若Python已安装在其他位置：右键任一工作表标签→取消隐藏→“xlwings.conf”，"
     "在B1单元格（Interpreter_Win）填写python.exe的完整路径。\n\n"
     "No Python found: install Python 3.10+ (tick \"Add python.exe to PATH\"), then run: pip install xjr-excel"),
    ("XJR_NO_PACKAGE",
     "已找到Python，但未安装本工具（xjr_excel）。\n\n"
     "请在命令提示符中运行：pip install xjr-excel\n然后关闭Excel重新打开本工作簿。\n\n"
     "Python found, but the xjr-excel package is missing: pip install xjr-excel"),
    ("XJR_RESULTS_SHEET", RESULTS_SHEET),
    ("XJR_PICK_TITLE", "选择各市上报的工作簿（按住Ctrl可多选）"),
    ("XJR_PICK_FOLDER", "选择保存填报表的文件夹（每家企业、每个平台一个文件）"),
    ("XJR_PICK_FORMS", "选择企业、平台交回的填报表（按住Ctrl可多选）"),
    ("XJR_ASK_PROVINCE", "请输入省份名称（显示在全省汇总表的标题中），如：江苏省"),
    ("XJR_PROVINCE_DEFAULT", "××省"),
    ("XJR_ASK_DEPARTMENT", "请输入省级中小企业主管部门（写入各名单的盖章行），如：江苏省工业和信息化厅。\n"
                           "不填则盖章行只印“省级中小企业主管部门：（盖章）”。"),
    ("XJR_ASK_STRICT", "有错误的城市是否也纳入全省名单（附1至附5）？\n\n"
                       "是：全部纳入，各市的错误列在“问题清单”工作表中；\n"
                       "否：只纳入没有错误的城市，有错误的城市仍在“统计”中列出，请其更正后重新报送；\n"
                       "取消：不合并。"),
    ("XJR_NO_RESULTS", "还没有“校验结果”工作表。请先点击“校验”。\n\nNo results sheet yet: click 校验 first."),
    ("XJR_HELP",
     "小巨人工具栏用法：\n"
     "1. 在各附表中填写数据；\n"
     "2. 点击“校验”：有问题的单元格标红色（错误）或橙色（警告），鼠标悬停可看批注，"
     "全部问题列在“校验结果”工作表；\n"
     "3. 按批注中的说明修改后再次点击“校验”，直到没有错误；\n"
     "4. 点击“清除标记”去掉颜色和批注后保存、上报；\n"
     "5. 省级用户点击“合并汇总”，选择各市上报的工作簿，生成全省汇总表；\n"
     "6. 点击“生成填报表”，为附1每家企业生成附3附4、为附2每个平台生成附5，发给企业（平台）填写。\n\n"
     "没有Excel（WPS、LibreOffice）时，可在命令行使用 xjr validate / xjr consolidate / xjr forms。"),
)

REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
UI_PART = "customUI/customUI14.xml"
VBA_PART = P.VBA_PART


def prepare_workbook(wb, spec=None) -> None:
    """Add the hidden ``xlwings.conf`` sheet and give the workbook its VBA code name."""
    if CONF_SHEET in wb.sheetnames:
        del wb[CONF_SHEET]
    ws = wb.create_sheet(CONF_SHEET)
    for row, (key, value) in enumerate(XLWINGS_SETTINGS, start=1):
        ws.cell(row, 1, key)
        ws.cell(row, 2, value if value != "" else None)
    for row, (key, text) in enumerate(VBA_MESSAGES, start=1):
        ws.cell(row, MESSAGE_COLUMN_KEY, key)
        ws.cell(row, MESSAGE_COLUMN_TEXT, text)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 40
    ws.sheet_state = "hidden"
    # The VBA project's document modules: "ThisWorkbook" and one SheetN per worksheet, as Excel
    # writes them (without them Excel adds them on open and asks to save on close).
    wb.code_name = "ThisWorkbook"
    for i, sheet in enumerate(wb.worksheets, start=1):
        sheet.sheet_properties.codeName = f"Sheet{i}"


def _content_types(data: bytes) -> bytes:
    ct = P.ContentTypes(data)
    ct.override(P.WORKBOOK_PART, P.XLSM_MAIN_CT)
    ct.default("bin", P.VBA_CT)
    # Override for the exact part too: robust if another .bin default exists.
    ct.override(VBA_PART, P.VBA_CT)
    return ct.to_bytes()


def vba_project_bytes(sheet_code_names=()) -> bytes:
    """The ``vbaProject.bin`` for the master: our modules, a document module per worksheet code name,
    xlwings' standalone module."""
    from xjr_excel.ooxml import vba as vba
    return vba.build_project(vba.master_modules(sheet_code_names))


def sheet_code_names(z: zipfile.ZipFile) -> list[str]:
    """``sheetPr/@codeName`` of every worksheet of a saved package, in workbook order."""
    names = []
    for part in P.read_sheet_parts(z).values():
        pr = P.parse(z.read(part)).find(f"{{{P.NS_MAIN}}}sheetPr")
        if pr is not None and pr.get("codeName"):
            names.append(pr.get("codeName"))
    return names


def package_macros(path, spec=None) -> Path:
    """Make the saved workbook at ``path`` a macro-enabled master (atomically, in place)."""
    path = Path(path)
    ui = macros_dir().joinpath("customUI14.xml").read_bytes()
    with zipfile.ZipFile(path) as z:
        vba_bin = vba_project_bytes(sheet_code_names(z))
    P.rewrite(path, path, {
        P.CONTENT_TYPES: _content_types,
        P.ROOT_RELS: lambda data: P.add_relationship(data, REL_UI14, UI_PART),
        P.rels_path(P.WORKBOOK_PART): lambda data: P.add_relationship(data, REL_VBA, "vbaProject.bin"),
    }, add={VBA_PART: vba_bin, UI_PART: ui})
    return path

