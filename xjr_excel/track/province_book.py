"""Lay out the provincial 目标完成情况 workbook (the province's xlsx writer and styles)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from xjr_excel.province.book import (ST_BAD, ST_CELL, ST_CELL_C, ST_HEAD, ST_NOTE, ST_NUM, ST_SUB, ST_TITLE,
                                     ST_TOTAL, record_sheet)
from xjr_excel.province.xlsx_writer import FastBook, Style
from xjr_excel.spec.definition import Spec

ST_RATE = Style(font=ST_NUM.font, border=ST_NUM.border, alignment=ST_NUM.alignment, number_format="0.0%")
ST_TOTAL_RATE = Style(font=ST_TOTAL.font, fill=ST_TOTAL.fill, border=ST_TOTAL.border, alignment=ST_TOTAL.alignment,
                      number_format="0.0%")
COUNT_HEADERS = ["目标（项）", "完成", "未完成", "未填报", "完成率"]


def _counts(c) -> list:
    return [c.targets, c.met, c.missed, c.unfilled, c.rate]


def write_book(path, spec: Spec, province: str, period: str, cities, total, record_rows, run_time: dt.datetime) -> None:
    book = FastBook()
    _summary(book, spec, province, period, cities, total)
    _misses(book, total)
    _risks(book, total)
    record_sheet(book, SimpleNamespace(files=record_rows, run_time=run_time.strftime("%Y-%m-%d %H:%M:%S"),
                                        province=province))
    book.save(path, purpose="province")


def _summary(book: FastBook, spec: Spec, province: str, period: str, cities, total) -> None:
    sh = book.sheet("完成情况")
    n = 1 + 3 + len(COUNT_HEADERS) + 2
    sh.widths([14, 9, 9, 9] + [10] * len(COUNT_HEADERS) + [10, 10])
    r = sh.append([f"{province}重点“小巨人”企业目标完成情况汇总表（实施期{period}）"] + [None] * (n - 1),
                  ST_TITLE, height=36)
    sh.merge(r, 1, r, n)
    sh.append(["完成：实际值达到目标值（数值≥目标；是/否及上市计划按档次）。完成率 = 完成 ÷（完成 + 未完成）；未填报的不计入。"],
              ST_NOTE)
    sh.blank()
    sh.append(["一、各市完成情况"], ST_SUB, height=22)
    sh.append(["城市", "状态", "错误", "企业（家）"] + COUNT_HEADERS + ["全部完成（家）", "风险企业（家）"], ST_HEAD, height=36)
    styles = [ST_CELL_C, ST_CELL_C, ST_NUM, ST_NUM] + [ST_NUM] * 4 + [ST_RATE, ST_NUM, ST_NUM]
    for c in cities:
        row = [c.city, c.status, c.errors, c.enterprises] + _counts(c.total) + [c.all_met, len({x["name"] for x in c.risks})]
        sh.append(row, [ST_BAD if c.status != "合格" else ST_CELL_C] + styles[1:])
    sh.append([total.city, "", total.errors, total.enterprises] + _counts(total.total)
              + [total.all_met, len({(x["city"], x["name"]) for x in total.risks})],
              [ST_TOTAL] * 8 + [ST_TOTAL_RATE, ST_TOTAL, ST_TOTAL])
    sh.blank()
    sh.append(["二、分指标完成情况（各市及全省）"], ST_SUB, height=22)
    sh.append(["指标", "城市"] + COUNT_HEADERS, ST_HEAD, height=30)
    for ind in spec.indicators:
        first = sh.row + 1
        for c in cities:
            sh.append([ind.short, c.city] + _counts(c.by_indicator[ind.key]),
                      [ST_CELL, ST_CELL_C] + [ST_NUM] * 4 + [ST_RATE])
        sh.append([ind.short, total.city] + _counts(total.by_indicator[ind.key]), [ST_TOTAL] * 6 + [ST_TOTAL_RATE])
        sh.merge(first, 1, sh.row, 1)
    sh.ws.freeze_panes = "B6"
    sh.print_setup(landscape=False, title_rows=None, area_cols=n)


def _source(x: dict) -> list:
    return [x["file"], x["sheet"], x["row"]]


def _misses(book: FastBook, total) -> None:
    sh = book.sheet("未完成清单")
    heads = ["序号", "城市", "企业名称", "统一社会信用代码", "指标", "初始值", "目标值", "实际值", "未完成原因",
             "来源文件", "来源工作表", "来源行"]
    sh.widths([6, 10, 30, 21, 22, 9, 9, 9, 40, 24, 12, 7])
    r = sh.append(["未完成目标清单"] + [None] * (len(heads) - 1), ST_TITLE, height=30)
    sh.merge(r, 1, r, len(heads))
    sh.append([f"共{len(total.misses)}项。未填写未完成原因的，须请城市补充。"], ST_NOTE)
    sh.append(heads, ST_HEAD, height=30)
    for i, x in enumerate(total.misses, start=1):
        sh.append([i, x["city"], x["name"], x["credit_code"], x["indicator"], x["initial"], x["target"], x["actual"],
                   x["reason"] or "（未填写）"] + _source(x),
                  [ST_CELL_C, ST_CELL_C, ST_CELL, ST_CELL_C, ST_CELL] + [ST_CELL_C] * 3
                  + [ST_CELL if x["reason"] else ST_BAD, ST_CELL, ST_CELL_C, ST_CELL_C])
    sh.ws.auto_filter.ref = f"A3:L{max(sh.row, 4)}"
    sh.ws.freeze_panes = "D4"
    sh.print_setup(landscape=True, title_rows="3:3", area_cols=len(heads))
    sh.ws.print_title_cols = "C:C"


def _risks(book: FastBook, total) -> None:
    sh = book.sheet("风险名单")
    heads = ["序号", "城市", "企业名称", "统一社会信用代码", "不再符合的申报条件", "实际情况", "未完成原因",
             "来源文件", "来源工作表", "来源行"]
    sh.widths([6, 10, 30, 21, 40, 26, 36, 24, 12, 7])
    r = sh.append(["不再符合申报条件的企业（风险名单）"] + [None] * (len(heads) - 1), ST_TITLE, height=30)
    sh.merge(r, 1, r, len(heads))
    sh.append([f"共{len({(x['city'], x['name']) for x in total.risks})}家企业、{len(total.risks)}项条件。"
               "支持资格可能被撤销，请核实。"], ST_NOTE)
    sh.append(heads, ST_HEAD, height=30)
    for i, x in enumerate(total.risks, start=1):
        sh.append([i, x["city"], x["name"], x["credit_code"], x["condition"], x["detail"], x["reason"]] + _source(x),
                  [ST_CELL_C, ST_CELL_C, ST_CELL, ST_CELL_C, ST_CELL, ST_CELL, ST_CELL, ST_CELL, ST_CELL_C, ST_CELL_C])
    sh.ws.auto_filter.ref = f"A3:J{max(sh.row, 4)}"
    sh.ws.freeze_panes = "D4"
    sh.print_setup(landscape=True, title_rows="3:3", area_cols=len(heads))
