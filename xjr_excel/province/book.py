"""Lay out the provincial workbook (省汇总); :mod:`xjr_excel.province.xlsx_writer` writes it.

Sheets: 统计, 附1, 附2 (print-ready for the stamp), 附3, 附4, one sheet per 附5
table, 重复, 合并记录.  Only 合并记录 carries the run time; every other cell
depends on the inputs alone, so the same inputs give the same cells.
Text that Excel could take for a formula (= + - @ …) is written as a string
cell with the quote prefix, never as a formula.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from openpyxl.styles import Alignment, Font, PatternFill
from xjr_excel.ooxml.cells import column_letter
from openpyxl.worksheet.pagebreak import Break

from xjr_excel.spec import definition as S
from xjr_excel.province.model import CityFile, norm_name
from xjr_excel.province.stats import CityStats, IndustryIndex, indicator_fields, is_star, ordered_keys, star_kind
from xjr_excel.province.xlsx_writer import FastBook, FastSheet, Style
# the city template's look, so provincial sheets match what cities print
from xjr_excel.template.layout import (BOX, FONT, HEADER_FILL as FILL_HEAD, CENTER_WRAP as A_CENTER,
                                       LEFT_WRAP as A_LEFT, wrapped_lines)

F_LABEL = Font(name=FONT, size=11, bold=True)
F_TITLE = Font(name=FONT, size=16, bold=True)
F_KEY_TITLE = Font(name=FONT, size=14, bold=True)
F_SUB = Font(name=FONT, size=12, bold=True)
F_BODY = Font(name=FONT, size=10)
F_BOLD = Font(name=FONT, size=10, bold=True)
F_NOTE = Font(name=FONT, size=9, color="555555")
F_RED = Font(name=FONT, size=10, color="C00000", bold=True)
FILL_SRC = PatternFill("solid", fgColor="EDEDED")
FILL_TOTAL = PatternFill("solid", fgColor="FFF2CC")
FILL_BAD = PatternFill("solid", fgColor="FCE4D6")
A_RIGHT = Alignment(horizontal="right", vertical="center")

LANDSCAPE_PAGE_PT = 450      # printable height of landscape A4 with our margins and footer (approx.)
SOURCE_HEADERS = ("来源文件", "来源工作表", "来源行")
STAMP = "省级中小企业主管部门：（盖章）"

ST_LABEL = Style(font=F_LABEL)
ST_TITLE = Style(font=F_TITLE, alignment=A_CENTER)
ST_KEY_TITLE = Style(font=F_KEY_TITLE, alignment=A_CENTER)      # wraps inside the key columns
ST_NOTE_WRAP = Style(font=F_NOTE, alignment=A_LEFT)
ST_ALERT_WRAP = Style(font=F_RED, alignment=A_LEFT)
ST_SUB = Style(font=F_SUB, alignment=Alignment(horizontal="left", vertical="center"))
ST_NOTE = Style(font=F_NOTE, alignment=Alignment(horizontal="left", vertical="center", wrap_text=False))
ST_STAMP = Style(font=F_BODY, alignment=Alignment(horizontal="left", vertical="center"))
ST_STAMP_R = Style(font=F_BODY, alignment=A_RIGHT)
ST_HEAD = Style(font=F_BOLD, fill=FILL_HEAD, border=BOX, alignment=A_CENTER)
ST_SRC_HEAD = Style(font=F_BOLD, fill=FILL_SRC, border=BOX, alignment=A_CENTER)
ST_CELL = Style(font=F_BODY, border=BOX, alignment=A_LEFT)
ST_CELL_C = Style(font=F_BODY, border=BOX, alignment=A_CENTER)
ST_STAR = Style(font=F_RED, border=BOX, alignment=A_CENTER)
ST_TOTAL = Style(font=F_BOLD, fill=FILL_TOTAL, border=BOX, alignment=A_CENTER)
ST_BAD = Style(font=F_BOLD, fill=FILL_BAD, border=BOX, alignment=A_CENTER)
ST_NUM = Style(font=F_BODY, border=BOX, alignment=A_CENTER, number_format="0")
ST_DEC = Style(font=F_BODY, border=BOX, alignment=A_CENTER, number_format="0.00")
ST_DATE = Style(font=F_BODY, border=BOX, alignment=A_CENTER, number_format="yyyy-mm-dd")
ST_LINE = Style(font=F_BODY, border=BOX, alignment=Alignment(horizontal="left", vertical="center"))   # one line
ST_FILE = Style(font=F_NOTE, alignment=Alignment(horizontal="left", vertical="center"))
ST_TOTAL_DEC = Style(font=F_BOLD, fill=FILL_TOTAL, border=BOX, alignment=A_CENTER, number_format="0.00")


def _width(f: S.Field) -> float:
    if f.max_len and f.max_len >= LONG_TEXT:
        return LONG_TEXT_WIDTH          # wider than the city form: fewer wrapped lines, shorter rows
    return max(f.width, 8)


LONG_TEXT = 200              # characters: a field this long (企业简介) gets a wide column
LONG_TEXT_WIDTH = 90          # with 市 + 企业名称 (40) still inside one landscape page at WIDE_SCALE


KEY_COLS = "A:B"             # 市 + the record's name: printed on every page of the wide sheets
FIT_WIDTH_MAX = 180          # total column width that still prints legibly fitted to one landscape page
WIDE_SCALE = 75             # % for the lists printed across pages: more columns and rows a page, still legible
STATS_COLS_PER_PAGE = 8      # 统计: data columns per printed page after the repeated 城市 column


def _fit_height(values: list, widths: list[float], pt: float = 10) -> float | None:
    """Row height that shows every wrapped text of the row whole (None: one line does).
    Neither Excel nor LibreOffice grows a row to fit wrapped text when opening a file."""
    lines = max((wrapped_lines(v, w, pt) for v, w in zip(values, widths) if isinstance(v, str)), default=1)
    return min(lines * pt * 1.5 + 4, 409) if lines > 1 else None       # 409 pt: Excel's tallest row


def _boxed_row(sh: FastSheet, text: str, style: Style, first: int, last: int, width: float, pt: float,
               line_pt: float) -> None:
    """One row whose text wraps inside columns first..last (merged), tall enough for every line:
    text that overflows into empty cells is cut wherever a page ends."""
    ncols = last
    r = sh.append([None] * (first - 1) + [text] + [None] * (ncols - first),
                  [None] * (first - 1) + [style] * (ncols - first + 1),
                  height=wrapped_lines(text, width, pt) * line_pt + 6)
    sh.merge(r, first, r, last)


# --------------------------------------------------------------------------

@dataclass
class BookInput:
    """Everything the workbook shows; built by :mod:`xjr_excel.province.consolidate`."""
    spec: S.Spec
    province: str
    batch: int | None
    year: int | None
    cities: list[CityFile]            # cities whose rows go into the lists, in collation order
    stats: list[CityStats]            # one per reported city (incl. excluded and unreadable), in order
    total: CityStats
    duplicates: list[dict]
    files: list[dict]                 # 合并记录 rows
    notices: list[str]
    run_time: str
    collate: Callable[[str], Any]


def title_of(inp: BookInput, sheet_key: str) -> str:
    batch = inp.batch if inp.batch is not None else "×"
    return f"{inp.province}第{batch}批{inp.spec.sheet(sheet_key).title}"


def write_book(path, inp: BookInput) -> None:
    book = FastBook()
    _stats_sheet(book, inp)
    _list_a1(book, inp)
    _list_a2(book, inp)
    _merged_table(book, inp, "a3")
    _merged_a4(book, inp)
    for t in inp.spec.tables_on("a5"):
        _merged_table(book, inp, t.key)
    _duplicates_sheet(book, inp)
    record_sheet(book, inp)
    book.wb.properties.creator = "xjr-excel"
    book.wb.properties.title = f"{inp.province}重点“小巨人”企业汇总"
    book.save(path, purpose="province")


# ----------------------------------------------------------------------------- 附1 / 附2

def _stars_by_city(inp: BookInput) -> dict[tuple[str, str], str]:
    """(city, 企业名称) → ★ kind, from each city's 附3."""
    out = {}
    for cf in inp.cities:
        for _, rec in cf.table("a3").records():
            if is_star(rec):
                out[(cf.city, norm_name(rec.get("name")))] = star_kind(rec)
    return out


def _title_rows(sh: FastSheet, inp: BookInput, sheet_key: str, ncols: int, third: str | None, third_right: str = ""):
    sh.append([inp.spec.sheet(sheet_key).label], ST_LABEL)
    r = sh.append([title_of(inp, sheet_key)] + [None] * (ncols - 1), ST_TITLE, height=36)
    sh.merge(r, 1, r, ncols)
    if third is not None:
        split = max(ncols - 2, 1)
        vals = [third] + [None] * (split - 1) + [third_right] + [None] * (ncols - split - 1)
        r = sh.append(vals[:ncols], [ST_STAMP] * split + [ST_STAMP_R] * (ncols - split), height=24)
        sh.merge(r, 1, r, split)
        if ncols - split > 1:
            sh.merge(r, split + 1, r, ncols)


def _source_block(cf: CityFile, sheet: str, row: int) -> list:
    return [cf.name, sheet, row]


def _list_a1(book: FastBook, inp: BookInput) -> None:
    t = inp.spec.table("a1")
    stars = _stars_by_city(inp)
    rows = []
    for rank, cf in enumerate(inp.cities):
        tab = cf.table("a1")
        for row, rec in tab.records():
            star = stars.get((cf.city, norm_name(rec.get("name"))), "")
            rows.append(((0 if star else 1, rank, row), cf, tab.sheet, row, rec, star))
    rows.sort(key=lambda x: x[0])
    fname, fbatch = t.field("name"), t.field("miit_batch")
    headers = ["序号", "市", fname.header, fbatch.header, "★"]
    n = len(headers)
    sh = book.sheet(inp.spec.sheet("a1").name)
    widths = [6, 10, 44, 22, 6]
    sh.widths(widths + [2, 22, 9, 7])
    sh.ws.freeze_panes = "A5"
    _title_rows(sh, inp, "a1", n, STAMP, f"申报年度：{inp.year}年" if inp.year else "")
    sh.append(headers + [None] + list(SOURCE_HEADERS), [ST_HEAD] * n + [None] + [ST_SRC_HEAD] * 3, height=48)
    for i, (_, cf, sheet, row, rec, star) in enumerate(rows, start=1):
        vals = [i, cf.city, rec.get("name"), rec.get("miit_batch"), "★" if star else None]
        sh.append(vals + [None, *_source_block(cf, sheet, row)],
                  [ST_CELL_C, ST_CELL_C, ST_CELL, ST_CELL_C, ST_STAR, None, ST_NOTE, ST_NOTE, ST_NOTE],
                  height=_fit_height(vals, widths))
    last = sh.row
    sh.append([f"注：★为填补国内或国际空白、关键领域补短板的企业（据各市附3），排在前列；共{len(rows)}行，"
               f"其中标★的{sum(1 for r in rows if r[5])}行。序号为全省统一编号。"], ST_NOTE)
    sh.ws.auto_filter.ref = f"A4:E{max(last, 5)}"
    sh.print_setup(landscape=inp.spec.sheet("a1").landscape, title_rows="4:4", area_cols=n)


def _list_a2(book: FastBook, inp: BookInput) -> None:
    t = inp.spec.table("a2")
    fields = [f for f in t.fields if f.key != "seq"]
    headers = ["序号", "市"] + [f.header for f in fields]
    n = len(headers)
    sh = book.sheet(inp.spec.sheet("a2").name)
    widths = [6, 10] + [_width(f) for f in fields]
    sh.widths(widths + [2, 22, 9, 7])
    sh.ws.freeze_panes = "A5"
    _title_rows(sh, inp, "a2", n, STAMP, f"申报年度：{inp.year}年" if inp.year else "")
    sh.append(headers + [None] + list(SOURCE_HEADERS), [ST_HEAD] * n + [None] + [ST_SRC_HEAD] * 3, height=48)
    i = 0
    for cf in inp.cities:
        tab = cf.table("a2")
        for row, rec in tab.records():
            i += 1
            vals = [i, cf.city] + [rec.get(f.key) for f in fields]
            sh.append(vals + [None, *_source_block(cf, tab.sheet, row)],
                      [ST_CELL_C, ST_CELL_C] + [ST_CELL] * len(fields) + [None] + [ST_NOTE] * 3,
                      height=_fit_height(vals, widths))
    last = sh.row
    sh.append([f"注：共{i}个平台；序号为全省统一编号。"], ST_NOTE)
    sh.ws.auto_filter.ref = f"A4:{column_letter(n)}{max(last, 5)}"
    sh.print_setup(landscape=inp.spec.sheet("a2").landscape, title_rows="4:4", area_cols=n)


# ----------------------------------------------------------------------------- 附3 / 附4 / 附5

def _a5_sheet_name(t: S.Table) -> str:
    short = re.sub(r"^[一二三四五六七八九十]+、", "", t.title)
    short = re.sub(r"（.*?）$", "", short)
    return f"附5-{short}"[:31]


def _merged_table(book: FastBook, inp: BookInput, key: str) -> None:
    """附3 / 附5 tables: 市 + the city's columns (spec order) + ★ (附3) + source columns."""
    t = inp.spec.table(key)
    fields = list(t.fields)
    star_col = key == "a3"
    headers = ["市"] + [f.header for f in fields] + (["★"] if star_col else [])
    n = len(headers)
    name = inp.spec.sheet(t.sheet).name if key == "a3" else _a5_sheet_name(t)
    widths = [10] + [_width(f) for f in fields] + ([6] if star_col else []) + [22, 9, 7]
    fit = sum(widths) <= FIT_WIDTH_MAX
    sh = book.sheet(name, fit_width=fit)
    sh.widths(widths)
    sh.ws.freeze_panes = "C5"
    title = title_of(inp, t.sheet) + ("" if key == "a3" else f"——{t.title}")
    _wide_title_rows(sh, inp.spec.sheet(t.sheet).label, title,
                     "各市原表合并；“市”列与来源列（文件、工作表、行号）可用于追溯到城市工作簿。",
                     widths, fit=fit)
    sh.append(headers + list(SOURCE_HEADERS), [ST_HEAD] * n + [ST_SRC_HEAD] * 3, height=54)
    # text wraps in its column (a 500-character 简介 prints whole), the rest is centred
    styles = ([ST_CELL_C] + [ST_CELL if f.type == S.TEXT else ST_CELL_C for f in fields]
              + ([ST_STAR] if star_col else []) + [ST_NOTE] * 3)
    for cf in inp.cities:
        tab = cf.table(key)
        for row, rec in tab.records():
            vals = [cf.city] + [rec.get(f.key) for f in fields]
            if star_col:
                vals.append("★" if is_star(rec) else None)
            sh.append(vals + _source_block(cf, tab.sheet, row), styles, height=_fit_height(vals, widths))
    sh.ws.auto_filter.ref = f"A4:{column_letter(n + 3)}{max(sh.row, 5)}"
    sh.print_setup(landscape=True, title_rows="1:4", area_cols=None, title_cols=None if fit else KEY_COLS)
    if not fit:
        sh.ws.page_setup.scale = WIDE_SCALE


def _wide_title_rows(sh: FastSheet, label: str, title: str, note: str, widths: list[float], *, fit: bool) -> None:
    """Rows 1–3 of a merged list.  Fitted to one page width, the title spans the table; printed
    across pages, title and note wrap inside the key columns (市, 名称) that repeat on every page,
    so each page shows them whole."""
    last = len(widths) if fit else 2
    width = sum(widths[:last])
    sh.append([label], ST_LABEL)
    if fit:
        _boxed_row(sh, title, ST_TITLE, 1, last, width, F_TITLE.sz, 21)
    else:
        _boxed_row(sh, title, ST_KEY_TITLE, 1, last, width, F_KEY_TITLE.sz, 19)
    _boxed_row(sh, note, ST_NOTE_WRAP, 1, last, width, F_NOTE.sz, 12)


def _merged_a4(book: FastBook, inp: BookInput) -> None:
    """附4: two header rows (indicator over its three periods) like the city form."""
    spec = inp.spec
    t = spec.table("a4")
    ind_fields = [f for f in t.fields if f.indicator]
    n = 2 + len(ind_fields)
    sh = book.sheet(spec.sheet("a4").name, fit_width=False)
    widths = [10, 30] + [11] * len(ind_fields) + [22, 9, 7]
    sh.widths(widths)
    sh.ws.freeze_panes = "C6"
    _wide_title_rows(sh, spec.sheet("a4").label, title_of(inp, "a4"),
                     "各市原表合并；百分比指标填数值（85表示85%）。来源列可追溯到城市工作簿。", widths, fit=False)
    top = ["市", t.field("name").header]
    periods = dict(spec.periods)
    for ind in spec.indicators:
        top += [ind.short, None, None]
    r1 = sh.append(top + list(SOURCE_HEADERS), [ST_HEAD] * n + [ST_SRC_HEAD] * 3, height=48)
    sub = [None, None] + [periods[f.period] for f in ind_fields]
    r2 = sh.append(sub + [None] * 3, [ST_HEAD] * n + [ST_SRC_HEAD] * 3, height=30)
    sh.merge(r1, 1, r2, 1)
    sh.merge(r1, 2, r2, 2)
    for i in range(len(spec.indicators)):
        sh.merge(r1, 3 + 3 * i, r1, 5 + 3 * i)
    for j in range(3):
        sh.merge(r1, n + 1 + j, r2, n + 1 + j)
    styles = [ST_CELL_C, ST_CELL] + [ST_CELL_C] * len(ind_fields) + [ST_NOTE] * 3
    for cf in inp.cities:
        tab = cf.table("a4")
        for row, rec in tab.records():
            vals = [cf.city, rec.get("name")] + [rec.get(f.key) for f in ind_fields]
            sh.append(vals + _source_block(cf, tab.sheet, row), styles, height=_fit_height(vals, widths))
    sh.ws.auto_filter.ref = f"A5:{column_letter(n + 3)}{max(sh.row, 6)}"
    sh.print_setup(landscape=True, title_rows="1:5", area_cols=None, title_cols=KEY_COLS)
    sh.ws.page_setup.scale = WIDE_SCALE


# ----------------------------------------------------------------------------- 统计

def _stats_sheet(book: FastBook, inp: BookInput) -> None:
    """Blocks of one row per city and a 全省合计 row.  Wide blocks run on across pages of
    STATS_COLS_PER_PAGE columns (manual breaks, no fit-to-width); 城市 repeats on every page and each
    page's part of a block repeats the block title, so every printed page names its rows."""
    spec = inp.spec
    sh = book.sheet("统计", fit_width=False)
    stats, tot = inp.stats, inp.total
    per_page = STATS_COLS_PER_PAGE
    sh.widths([12] + [10.5] * 60)
    page_width = per_page * 10.5
    sh.ws.freeze_panes = "B1"
    batch = inp.batch if inp.batch is not None else "×"
    # column A repeats on every page: the titles and notes start in B, on the first page only
    r = sh.append([None, f"{inp.province}第{batch}批重点“小巨人”企业汇总统计"] + [None] * (per_page - 1),
                  ST_TITLE, height=36)
    sh.merge(r, 2, r, 1 + per_page)
    meta = f"申报年度：{inp.year}年；" if inp.year else ""
    notes = [(f"{meta}纳入名单{sum(1 for s in stats if s.included)}个市，收到文件{len(inp.files)}个。"
              f"全省合计只计纳入名单的城市；各文件的处理情况见“合并记录”。", ST_NOTE_WRAP)]
    if inp.duplicates:
        notes.append((f"多个城市报送的同一企业：{len(inp.duplicates)}组，见“重复”工作表。", ST_ALERT_WRAP))
    notes += [(f"提示：{note}", ST_ALERT_WRAP) for note in inp.notices]
    for text, style in notes:
        _boxed_row(sh, text, style, 2, 1 + per_page, page_width, style.font.sz, 14)
    widest = 1

    def block(title: str, headers: list[str], row_of: Callable[[CityStats], list], *, decimals: bool = False,
              tail: Callable[[CityStats], Any] | None = None, tail_header: str = "", header_pt: float = 48):
        nonlocal widest
        sh.keep_together(15 + 22 + header_pt + 15 * (len(stats) + 1), LANDSCAPE_PAGE_PT)   # a block never splits
        sh.blank()
        extra = [tail_header] if tail else []
        ncols = 1 + len(headers) + len(extra)
        widest = max(widest, ncols)
        titles = [None] * ncols
        for k, c in enumerate(range(1, ncols, per_page)):      # each page's part of the block says what it is
            titles[c] = title if k == 0 else f"{title}（续）"
        sh.append(titles, ST_SUB, height=22)
        sh.append(["城市"] + headers + extra, [ST_HEAD] * (1 + len(headers)) + [ST_HEAD] * len(extra),
                  height=header_pt)
        body = ST_DEC if decimals else ST_NUM
        for s in stats:
            bad = s.status != "合格"
            sh.append([s.city] + row_of(s) + ([tail(s)] if tail else []),
                      [ST_BAD if bad else ST_CELL_C] + [body] * len(headers) + [ST_FILE] * len(extra))
        sh.append([tot.city] + row_of(tot) + ([tail(tot)] if tail else []),
                  [ST_TOTAL] + [ST_TOTAL_DEC if decimals else ST_TOTAL] * len(headers) + [ST_FILE] * len(extra))

    n_in = sum(1 for x in stats if x.included)
    block("一、各市报送概况",
          ["状态", "纳入名单", "重点“小巨人”企业", "★企业", "公共服务示范平台", "错误", "警告"],
          lambda s: ([s.status, "是" if s.included else "否"] if s is not tot else ["", f"{n_in}个市"])
          + [s.enterprises, s.star, s.platforms, s.errors, s.warnings],
          tail=lambda s: s.file if s is not tot else f"共{len(inp.files)}个文件", tail_header="文件")

    # the policy's categories always (a stable layout), then anything else the cities wrote
    fb_keys = ordered_keys([s.four_base for s in stats], spec.policy.choices["four_base_category"], always=True)
    block("二、按《工业“四基”发展目录》重点领域（据附3）", fb_keys, lambda s: [s.four_base.get(k, 0) for k in fb_keys])
    size_keys = ordered_keys([s.size for s in stats], spec.policy.choices["enterprise_size"], always=True)
    block("三、按企业规模（据附3）", size_keys, lambda s: [s.size.get(k, 0) for k in size_keys])

    idx = IndustryIndex(spec)
    sec_keys = ordered_keys([s.section for s in stats], list(idx.sections))
    block("四、按行业门类（GB/T 4754-2017，据附3）",
          [f"{k} {idx.sections[k]}" if k in idx.sections else k for k in sec_keys],
          lambda s: [s.section.get(k, 0) for k in sec_keys])
    div_order = [f"{d.section}{d.code}" for d in spec.policy.industries]
    div_keys = ordered_keys([s.division for s in stats], div_order)
    div_name = {f"{d.section}{d.code}": f"{d.section}{d.code} {d.name}" for d in spec.policy.industries}
    block("五、按行业大类（GB/T 4754-2017，据附3）", [div_name.get(k, k) for k in div_keys],
          lambda s: [s.division.get(k, 0) for k in div_keys])

    periods = dict(spec.periods)
    ints = indicator_fields(spec, S.INT)
    pcts = indicator_fields(spec, S.PERCENT)
    shorts = {i.key: i.short for i in spec.indicators}
    block("六、附4计数指标合计（实施期初始值 / 满一年目标 / 满两年目标）",
          [f"{shorts[f.indicator]}\n{periods[f.period]}" for f in ints],
          lambda s: [s.int_sums.get(f.key, 0) for f in ints], header_pt=68)
    block("七、附4百分比指标平均值（各企业的平均；全省合计为全省企业的平均）",
          [f"{shorts[f.indicator]}\n{periods[f.period]}" for f in pcts],
          lambda s: [s.pct_mean(f.key) for f in pcts], decimals=True, header_pt=68)
    sh.blank()
    _boxed_row(sh, "说明：状态“合格”为无错误；“有错误”的城市在 --strict 时不纳入名单；“无法读取”的文件见“合并记录”。"
                   "★企业：填补国内或国际空白，或关键领域补短板。", ST_NOTE_WRAP, 2, 1 + per_page, page_width,
               F_NOTE.sz, 12)
    for c in range(1 + per_page, widest, per_page):
        sh.ws.col_breaks.append(Break(id=c))
    sh.print_setup(landscape=True, title_rows=None, area_cols=None, title_cols="A:A")


# ----------------------------------------------------------------------------- 重复 / 合并记录

def _duplicates_sheet(book: FastBook, inp: BookInput) -> None:
    sh = book.sheet("重复")
    sh.widths([6, 16, 36, 22, 10, 24, 28, 10, 7])
    sh.ws.freeze_panes = "A4"
    r = sh.append(["多个城市报送的同一企业（统一社会信用代码或企业名称相同）"] + [None] * 8, ST_TITLE, height=30)
    sh.merge(r, 1, r, 9)
    sh.append([f"共{len(inp.duplicates)}组。企业名称比较时忽略空格和全角/半角括号差异。请与相关城市核实后保留一处。"],
              ST_NOTE)
    sh.append(["组号", "相同的", "企业名称", "统一社会信用代码", "城市", "同组其他城市", "来源文件", "来源工作表", "来源行"],
              ST_HEAD, height=30)
    for g, d in enumerate(inp.duplicates, start=1):
        for src in d["sources"]:
            others = "、".join(c for c in d["cities"] if c != src["city"])
            sh.append([g, d["match"], src["name"], src["credit_code"], src["city"], others,
                       src["file"], src["sheet"], src["row"]],
                      [ST_CELL_C, ST_CELL_C, ST_CELL, ST_CELL_C, ST_CELL_C, ST_CELL, ST_CELL, ST_CELL_C, ST_CELL_C])
    sh.ws.auto_filter.ref = f"A3:I{max(sh.row, 4)}"
    sh.print_setup(landscape=True, title_rows="3:3", area_cols=9)


RECORD_HEADERS = ["序号", "文件", "SHA-256", "城市", "城市取自", "填报日期", "批次", "申报年度",
                  "读取行数", "状态", "错误", "警告", "处理", "说明"]
RUN_TIME_CELL = "B2"     # the only cell that changes between two runs on the same inputs


def record_sheet(book: FastBook, inp: BookInput) -> None:
    sh = book.sheet("合并记录", fit_width=False)
    widths = [9, 30, 66, 10, 8, 12, 6, 9, 9, 9, 6, 6, 22, 60]
    sh.widths(widths)
    sh.ws.freeze_panes = "A5"
    sh.append(["合并记录"], ST_SUB)
    sh.append(["合并时间", inp.run_time], [ST_CELL_C, ST_CELL])
    # inside 序号 + 文件, the columns that repeat on every page (text running on would be cut)
    _boxed_row(sh, f"省份：{inp.province}；每个输入文件一行（含未能读取、已被替代的文件）。SHA-256可用于核对收到的文件是否为同一版本。",
               ST_NOTE_WRAP, 1, 2, sum(widths[:2]), F_NOTE.sz, 12)
    sh.append(RECORD_HEADERS, ST_HEAD, height=30)
    for i, f in enumerate(inp.files, start=1):
        vals = [i, f["file"], f["sha256"], f["city"], f["city_from"], f["filled_on"], f["batch"], f["year"],
                f["rows"], f["status"], f["errors"], f["warnings"], f["action"], f["reason"]]
        st = [ST_CELL_C, ST_CELL, ST_LINE, ST_CELL_C, ST_CELL_C, ST_DATE, ST_NUM, ST_NUM, ST_NUM, ST_BAD if f["status"] != "合格" else ST_CELL_C,
              ST_NUM, ST_NUM, ST_CELL, ST_CELL]
        sh.append(vals, st, height=_fit_height(vals[:2] + [None] + vals[3:], widths))     # the SHA stays one line
    sh.ws.auto_filter.ref = f"A4:N{max(sh.row, 5)}"
    sh.print_setup(landscape=True, title_rows="4:4", area_cols=14, title_cols=KEY_COLS)
