"""问题清单: every finding of every city, in the provincial workbook and one workbook per city.

The province sends each city its own list: the provincial sheet is sorted (city, then the
city's own order: sheet, row, column — as ``xjr validate`` lists them) and filtered, and
``xjr consolidate --issues-dir DIR`` writes the list of each city with errors as a workbook
of its own.  The rows are the findings the merge's validation produced (the same rules and
messages as ``xjr validate``), never recomputed here.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl.styles import Alignment, Font, PatternFill

from xjr_excel.template.marks import ERROR_FILL, WARNING_FILL
from xjr_excel.ooxml.cells import column_letter
from xjr_excel.province.model import CityFile
from xjr_excel.province.xlsx_writer import FastBook, FastSheet, Style
from xjr_excel.template.layout import BOX, FONT, HEADER_FILL, CENTER_WRAP, LEFT_WRAP, wrapped_lines

SHEET = "问题清单"
SUFFIX = "-问题清单.xlsx"
SEVERITY = {"error": "错误", "warning": "警告"}        # 警告: the one word for warnings (橙色 mark)
HEADERS = ["序号", "城市", "文件", "工作表", "单元格", "字段", "当前值", "说明", "级别", "规则"]
WIDTHS = [6, 10, 16, 8, 8, 18, 16, 60, 6, 20]
PRINTED = 9                     # 规则 (for filtering and support) is not printed
VALUE_CHARS = 80                # a longer 当前值 (a 500-character 简介) is shown by its start: the cell has the rest


def shown_value(value: str) -> str:
    """当前值 as the list shows it: whole, or its first VALUE_CHARS characters and its length."""
    return value if len(value) <= VALUE_CHARS else f"{value[:VALUE_CHARS]}…（共{len(value)}字，见原表该单元格）"

_F = Font(name=FONT, size=10)
ST_TITLE = Style(font=Font(name=FONT, size=14, bold=True), alignment=Alignment(horizontal="left", vertical="center"))
ST_NOTE = Style(font=Font(name=FONT, size=9, color="555555"), alignment=LEFT_WRAP)
ST_HEAD = Style(font=Font(name=FONT, size=10, bold=True), fill=HEADER_FILL, border=BOX, alignment=CENTER_WRAP)
ST_C = Style(font=_F, border=BOX, alignment=CENTER_WRAP)
ST_L = Style(font=_F, border=BOX, alignment=LEFT_WRAP)
ST_ERR = Style(font=Font(name=FONT, size=10, bold=True, color="9C0006"), border=BOX, alignment=CENTER_WRAP,
               fill=PatternFill("solid", fgColor=ERROR_FILL))
ST_WARN = Style(font=Font(name=FONT, size=10, bold=True, color="833C0B"), border=BOX, alignment=CENTER_WRAP,
                fill=PatternFill("solid", fgColor=WARNING_FILL))


def rows_of(cities: list[CityFile]) -> list[dict]:
    """One row per finding: the cities in the order given, each city's findings in its own order."""
    out = []
    for cf in cities:
        for f in cf.findings:
            out.append({"city": cf.city, "file": cf.name, "sheet": f["sheet"], "cell": f["cell"],
                        "field": f["field"], "value": f["value"], "message": f["message"],
                        "severity": f["severity"], "rule": f["rule"]})
    return out


def count(rows: list[dict], severity: str) -> int:
    return sum(1 for r in rows if r["severity"] == severity)


def write_sheet(book: FastBook, rows: list[dict], title: str, note: str) -> FastSheet:
    """The 问题清单 sheet: title, note, header with a filter, one row per finding."""
    sh = book.sheet(SHEET)
    sh.widths(WIDTHS)
    sh.ws.freeze_panes = "A4"
    width = sum(WIDTHS[:PRINTED])
    r = sh.append([title] + [None] * (PRINTED - 1), ST_TITLE, height=26)
    sh.merge(r, 1, r, PRINTED)
    r = sh.append([note] + [None] * (PRINTED - 1), ST_NOTE, height=wrapped_lines(note, width, 9) * 12 + 6)
    sh.merge(r, 1, r, PRINTED)
    sh.append(HEADERS, ST_HEAD, height=22)
    for i, x in enumerate(rows, start=1):
        vals = [i, x["city"], x["file"], x["sheet"], x["cell"], x["field"], shown_value(x["value"]), x["message"],
                SEVERITY.get(x["severity"], x["severity"]), x["rule"]]
        lines = max(wrapped_lines(v, w, 10) for v, w in zip(vals, WIDTHS) if isinstance(v, str))
        sh.append(vals, [ST_C, ST_C, ST_L, ST_C, ST_C, ST_L, ST_L, ST_L,
                         ST_ERR if x["severity"] == "error" else ST_WARN, ST_L],
                  height=min(lines * 15 + 4, 409) if lines > 1 else None)     # 409 pt: Excel's tallest row
    sh.ws.auto_filter.ref = f"A3:{column_letter(len(HEADERS))}{max(sh.row, 4)}"
    sh.print_setup(landscape=True, title_rows="3:3", area_cols=PRINTED)
    return sh


def province_note(rows: list[dict], cities: int) -> str:
    return (f"{cities}个市的校验结果，共{count(rows, 'error')}个错误、{count(rows, 'warning')}个警告，"
            f"按城市、再按工作表和单元格排列；用“城市”列的筛选可取出一个市的问题单独发给该市"
            f"（xjr consolidate --issues-dir 可为每个有错误的城市另存一个问题清单工作簿）。"
            f"错误须更正后重新报送；警告请核对。规则与 xjr validate 相同。")


def city_note(cf: CityFile, rows: list[dict]) -> str:
    return (f"“{cf.name}”校验发现{count(rows, 'error')}个错误、{count(rows, 'warning')}个警告。"
            f"请在原工作簿中逐条更正错误（警告请核对），运行“校验”确认无错误后重新报送。"
            f"也可在Excel中点击“小巨人”选项卡的“校验”，或运行 xjr validate {cf.name} --annotate，在原表中标出这些单元格。")


def city_path(folder: str | Path, city: str) -> Path:
    return Path(folder) / f"{city}{SUFFIX}"


def write_city(path, cf: CityFile, province: str) -> None:
    """One city's 问题清单 as a workbook of its own (``path`` is the temporary file of an atomic write)."""
    rows = rows_of([cf])
    book = FastBook()
    write_sheet(book, rows, f"{province}汇总：{cf.city}申报材料问题清单", city_note(cf, rows))
    book.wb.properties.creator = "xjr-excel"
    book.wb.properties.title = f"{cf.city}问题清单"
    book.save(path, purpose="issues")
