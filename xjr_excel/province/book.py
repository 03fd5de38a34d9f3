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

from xjr_excel.spec import definition as S
from xjr_excel.province.model import CityFile, norm_name
from xjr_excel.province.stats import (SCOPE_WITHIN, CityStats, IndustryIndex, indicator_fields, is_star, ordered_keys,
                                      star_names)
from xjr_excel.province.xlsx_writer import FastBook, FastSheet, Style
# the city template's look, so provincial sheets match what cities print
from xjr_excel.template.layout import (BOX, FONT, HEADER_FILL as FILL_HEAD, CENTER_WRAP as A_CENTER,
                                       LEFT_WRAP as A_LEFT, wrapped_lines)
from xjr_excel.province import issues as I

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
ST_SUMMARY = Style(font=F_BODY, border=BOX, alignment=A_LEFT)
ST_DUP = Style(font=F_BODY, border=BOX, alignment=A_LEFT, fill=FILL_BAD)         # a row listed twice
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
    reported: list[CityFile] = ()     # every city merged or reported (incl. left out by --strict): 问题清单
    mismatches: list[dict] = ()       # 附1 against 附3 (stats.list_mismatches), in city order
    summary: str = ""                 # 文字摘要 (province.summary.paragraph)
    four_base_keys: list[str] = ()    # the columns of 统计's blocks 二 and 三 (the summary counts the same)
    size_keys: list[str] = ()
    strict: bool = False
    department: str = ""              # 省级中小企业主管部门, on every list

    @property
    def stamp(self) -> str:
        return f"省级中小企业主管部门：{self.department}（盖章）" if self.department else STAMP

    def dept_note(self) -> str:
        return f"省级中小企业主管部门：{self.department}。" if self.department else ""

    def duplicate_rows(self) -> dict[tuple[str, str, int], int]:
        """(file, sheet, row) → 重复 group number of every listing in a duplicate group."""
        return {(src["file"], src["sheet"], src["row"]): g
                for g, d in enumerate(self.duplicates, start=1) for src in d["sources"]}


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
    rows = I.rows_of(list(inp.reported))
    I.write_sheet(book, rows, f"{inp.province}汇总：各市申报材料问题清单", I.province_note(rows, len(inp.reported)))
    record_sheet(book, inp)
    book.wb.properties.creator = "xjr-excel"
    book.wb.properties.title = f"{inp.province}重点“小巨人”企业汇总"
    book.save(path, purpose="province")


# ----------------------------------------------------------------------------- 附1 / 附2

def _stars_by_city(inp: BookInput) -> dict[tuple[str, str], str]:
    """(city, 企业名称) → ★ kind, from each city's 附3 (stats.star_names: what 统计 counts)."""
    return {(cf.city, name): kind for cf in inp.cities for name, kind in star_names(cf).items()}


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
    dup = inp.duplicate_rows()
    fname, fbatch = t.field("name"), t.field("miit_batch")
    headers = ["序号", "市", fname.header, fbatch.header, "★"]
    n = len(headers)
    sh = book.sheet(inp.spec.sheet("a1").name)
    widths = [6, 10, 44, 22, 6]
    sh.widths(widths + [2, 22, 9, 7, 10])
    sh.ws.freeze_panes = "A5"
    _title_rows(sh, inp, "a1", n, inp.stamp, f"申报年度：{inp.year}年" if inp.year else "")
    sh.append(headers + [None] + list(SOURCE_HEADERS) + ["重复"], [ST_HEAD] * n + [None] + [ST_SRC_HEAD] * 4,
              height=48)
    marked = 0
    for i, (_, cf, sheet, row, rec, star) in enumerate(rows, start=1):
        vals = [i, cf.city, rec.get("name"), rec.get("miit_batch"), "★" if star else None]
        g = dup.get((cf.name, sheet, row))
        marked += g is not None
        sh.append(vals + [None, *_source_block(cf, sheet, row), f"第{g}组" if g else None],
                  [ST_CELL_C, ST_CELL_C, ST_DUP if g else ST_CELL, ST_CELL_C, ST_STAR, None, ST_NOTE, ST_NOTE, ST_NOTE,
                   ST_NOTE],
                  height=_fit_height(vals, widths))
    last = sh.row
    note = (f"注：★为填补国内或国际空白、关键领域补短板的企业（据各市附3），排在前列；共{len(rows)}行，"
            f"其中标★的{sum(1 for r in rows if r[5])}行。序号为全省统一编号。")
    if marked:
        note += f"底色标出的{marked}行为重复填报的企业（同一城市内或多个城市间），见“重复”工作表。"
    _boxed_row(sh, note, ST_NOTE_WRAP, 1, n, sum(widths), F_NOTE.sz, 12)
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
    _title_rows(sh, inp, "a2", n, inp.stamp, f"申报年度：{inp.year}年" if inp.year else "")
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
                     inp.dept_note() + "各市原表合并；“市”列与来源列（文件、工作表、行号）可用于追溯到城市工作簿。"
                     + ("底色标出的企业重复填报，见“重复”工作表。" if key == "a3" and inp.duplicates else ""),
                     widths, fit=fit)
    sh.append(headers + list(SOURCE_HEADERS), [ST_HEAD] * n + [ST_SRC_HEAD] * 3, height=54)
    # text wraps in its column (a 500-character 简介 prints whole), the rest is centred
    styles = ([ST_CELL_C] + [ST_CELL if f.type == S.TEXT else ST_CELL_C for f in fields]
              + ([ST_STAR] if star_col else []) + [ST_NOTE] * 3)
    dup = inp.duplicate_rows() if key == "a3" else {}
    name_at = 1 + next((i for i, f in enumerate(fields) if f.key == "name"), 0)
    dup_styles = styles[:name_at] + [ST_DUP] + styles[name_at + 1:]
    for cf in inp.cities:
        tab = cf.table(key)
        for row, rec in tab.records():
            vals = [cf.city] + [rec.get(f.key) for f in fields]
            if star_col:
                vals.append("★" if is_star(rec) else None)
            sh.append(vals + _source_block(cf, tab.sheet, row),
                      dup_styles if (cf.name, tab.sheet, row) in dup else styles, height=_fit_height(vals, widths))
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
                     inp.dept_note() + "各市原表合并；百分比指标填数值（85表示85%）。来源列可追溯到城市工作簿。",
                     widths, fit=False)
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

def _chunks(n: int, size: int) -> list[range]:
    """Column indexes 0..n-1 in runs of at most ``size`` (at least one run, even when n is 0)."""
    return [range(k, min(k + size, n)) for k in range(0, max(n, 1), size)]


def _stats_sheet(book: FastBook, inp: BookInput) -> None:
    """统计, printed in reading order: title, notes, 文字摘要, then blocks 一 … 七 of one row per
    city and a 全省合计 row, 八 (附1 against 附3) and the charts.  The sheet is one band of
    1 + STATS_COLS_PER_PAGE columns: a block wider than that continues *below* itself as
    「（续）」 with the 城市 column again, so pages go down in order and never hold the
    城市 column alone (a band of columns printed across pages does both)."""
    spec = inp.spec
    sh = book.sheet("统计", fit_width=False)
    stats, tot = inp.stats, inp.total
    per_page = STATS_COLS_PER_PAGE
    band = 1 + per_page
    widths = [12] + [10.5] * (per_page - 1) + [14]        # the last column also holds the file names
    sh.widths(widths)
    page_width = sum(widths[1:])
    sh.ws.freeze_panes = "B1"
    batch = inp.batch if inp.batch is not None else "×"
    r = sh.append([None, f"{inp.province}第{batch}批重点“小巨人”企业汇总统计"] + [None] * (per_page - 1),
                  ST_TITLE, height=36)
    sh.merge(r, 2, r, band)
    meta = f"申报年度：{inp.year}年；" if inp.year else ""
    dept = f"省级中小企业主管部门：{inp.department}；" if inp.department else ""
    notes = [(f"{dept}{meta}纳入名单{sum(1 for s in stats if s.included)}个市，收到文件{len(inp.files)}个。"
              f"全省合计只计纳入名单的城市；各文件的处理情况见“合并记录”。", ST_NOTE_WRAP),
             (_strict_words(inp), ST_ALERT_WRAP if any(s.status != "合格" for s in stats) else ST_NOTE_WRAP)]
    notes.append((f"计数来源：重点“小巨人”企业数和★企业数据附1名单（★据各市附3标注），共{tot.enterprises}行、"
                  f"其中★{tot.star}行，与“附1”工作表一致；二至五按附3计数，共{tot.detailed}家。"
                  + (f"附1与附3不一致的企业{len(inp.mismatches)}家，列在本表“八”。" if inp.mismatches else
                     "附1与附3的企业一一对应。"),
                  ST_ALERT_WRAP if inp.mismatches else ST_NOTE_WRAP))
    if inp.duplicates:
        within = sum(1 for d in inp.duplicates if d["scope"] == SCOPE_WITHIN)
        notes.append((f"重复填报的同一企业：{len(inp.duplicates)}组（同一城市内{within}组、多个城市间"
                      f"{len(inp.duplicates) - within}组），见“重复”工作表。", ST_ALERT_WRAP))
    notes += [(f"警告：{note}", ST_ALERT_WRAP) for note in inp.notices]
    for text, style in notes:
        _boxed_row(sh, text, style, 2, band, page_width, style.font.sz, 14)
    sh.blank()
    sh.append([None, "文字摘要（可直接复制到报告中）"], ST_SUB, height=22)
    _boxed_row(sh, inp.summary, ST_SUMMARY, 2, band, page_width, F_BODY.sz, 15)
    where: dict[str, tuple[int, int, int]] = {}      # block → (header row, first city row, total row)

    def block(title: str, headers: list[str], row_of: Callable[[CityStats], list], *, decimals: bool = False,
              tail: Callable[[CityStats], Any] | None = None, tail_header: str = "", header_pt: float = 48):
        heads = headers + ([tail_header] if tail else [])
        rows = [(s, row_of(s) + ([tail(s)] if tail else [])) for s in stats + [tot]]
        body = ST_DEC if decimals else ST_NUM
        for k, cols in enumerate(_chunks(len(heads), per_page)):
            sh.keep_together(15 + 22 + header_pt + 15 * len(rows), LANDSCAPE_PAGE_PT)   # a part never splits
            sh.blank()
            sh.append([None, title if k == 0 else f"{title}（续）"], ST_SUB, height=22)
            head = sh.append(["城市"] + [heads[c] for c in cols], ST_HEAD, height=header_pt)
            first = sh.row + 1
            for s, vals in rows:
                is_tot = s is tot
                styles = [ST_TOTAL if is_tot else ST_BAD if s.status != "合格" else ST_CELL_C]
                for c in cols:
                    if tail and c == len(heads) - 1:
                        styles.append(ST_FILE)
                    else:
                        styles.append((ST_TOTAL_DEC if decimals else ST_TOTAL) if is_tot else body)
                sh.append([s.city] + [vals[c] for c in cols], styles)
            if k == 0:
                where[title] = (head, first, sh.row)

    n_in = sum(1 for x in stats if x.included)
    b1 = "一、各市报送概况"
    block(b1, ["状态", "纳入名单", "重点“小巨人”企业（附1）", "★企业（附1）", "公共服务示范平台（附2）", "错误", "警告"],
          lambda s: ([s.status, "是" if s.included else "否"] if s is not tot else ["", f"{n_in}个市"])
          + [s.enterprises, s.star, s.platforms, s.errors, s.warnings],
          tail=lambda s: s.file if s is not tot else f"共{len(inp.files)}个文件", tail_header="文件")

    b2 = "二、按《工业“四基”发展目录》重点领域（据附3）"
    block(b2, ["附3企业"] + inp.four_base_keys, lambda s: [s.detailed] + [s.four_base.get(k, 0) for k in inp.four_base_keys])
    b3 = "三、按企业规模（据附3）"
    block(b3, ["附3企业"] + inp.size_keys, lambda s: [s.detailed] + [s.size.get(k, 0) for k in inp.size_keys])

    idx = IndustryIndex(spec)
    sec_keys = ordered_keys([s.section for s in stats], list(idx.sections))
    block("四、按行业门类（GB/T 4754-2017，据附3）",
          [f"{k} {idx.sections[k]}" if k in idx.sections else k for k in sec_keys],
          lambda s: [s.section.get(k, 0) for k in sec_keys])
    div_order = [f"{d.section}{d.code}" for d in spec.policy.industries]
    div_keys = ordered_keys([s.division for s in stats], div_order)
    div_name = {f"{d.section}{d.code}": f"{d.section}{d.code} {d.name}" for d in spec.policy.industries}
    block("五、按行业大类（GB/T 4754-2017，据附3）", [div_name.get(k, k) for k in div_keys],
          lambda s: [s.division.get(k, 0) for k in div_keys], header_pt=68)

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
    if inp.mismatches:
        _mismatch_block(sh, inp, widths)
    _charts(sh, inp, where[b1], where[b2], where[b3])
    sh.blank()
    _boxed_row(sh, "说明：状态“合格”为无错误；“有错误”的城市在 --strict 时不纳入名单；“无法读取”的文件见“合并记录”。"
                   "★企业：填补国内或国际空白，或关键领域补短板。各市的逐条问题见“问题清单”。", ST_NOTE_WRAP, 2, band,
               page_width, F_NOTE.sz, 12)
    sh.print_setup(landscape=True, title_rows=None, area_cols=band)


def _strict_words(inp: BookInput) -> str:
    """What --strict did (or would do), in plain words."""
    bad = [s.city for s in inp.stats if s.status == "有错误"]
    if inp.strict:
        if bad:
            return (f"本汇总只纳入没有错误的城市（--strict）：{'、'.join(bad)}有错误，其企业和平台未列入附1至附5，"
                    f"也不计入全省合计；请这些市更正后重新报送，再重新合并。")
        return "本汇总只纳入没有错误的城市（--strict）：各市均无错误，全部纳入。"
    if bad:
        return (f"本汇总纳入了全部能读取的城市，包括有错误的{'、'.join(bad)}（未使用 --strict）；"
                f"这些市的错误见“问题清单”，更正前其数据可能不准确。")
    return "本汇总纳入了全部能读取的城市；各市均无错误。"


def _mismatch_block(sh: FastSheet, inp: BookInput, widths: list[float]) -> None:
    """八: the enterprises whose 附1 and 附3 rows do not pair one to one, with what differs."""
    name_w, why_w = sum(widths[1:4]), sum(widths[6:9])
    rows = []
    for m in inp.mismatches:
        a1 = "、".join(str(r) for r in m["a1"]) or "—"
        a3 = "、".join(str(r) for r in m["a3"]) or "—"
        lines = max(wrapped_lines(m["name"], name_w, 10), wrapped_lines(m["problem"], why_w, 10))
        rows.append(([m["city"], m["name"], None, None, a1, a3, m["problem"], None, None], lines * 15 + 4))
    sh.keep_together(15 + 22 + 30 + sum(h for _, h in rows[:8]), LANDSCAPE_PAGE_PT)
    sh.blank()
    sh.append([None, "八、附1与附3不一致的企业（重点企业数据附1、分类统计据附3，两者相差的原因）"], ST_SUB, height=22)
    r = sh.append(["城市", "企业名称", None, None, "附1行号", "附3行号", "说明", None, None], ST_HEAD, height=30)
    sh.merge(r, 2, r, 4)
    sh.merge(r, 7, r, 9)
    for vals, height in rows:
        r = sh.append(vals, [ST_CELL_C, ST_CELL, ST_CELL, ST_CELL, ST_CELL_C, ST_CELL_C, ST_CELL, ST_CELL, ST_CELL],
                      height=height)
        sh.merge(r, 2, r, 4)
        sh.merge(r, 7, r, 9)


def _axis_text(size: int):
    """Axis label text of ``size`` (hundredths of a point)."""
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
    props = CharacterProperties(sz=size)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


CHART_ROWS = 12              # blank rows under a chart (15 pt each): 180 pt, 6.2 cm
TALL_CHART_ROWS = 15         # the 四基 chart: its six long category names need 7.8 cm to be shown all
PT_PER_CM = 72 / 2.54


def _charts(sh: FastSheet, inp: BookInput, b1, b2, b3) -> None:
    """九: native Excel charts over the tables above (never a copy of their numbers): enterprises
    and ★ per city (一), the province by 四基 (二) and by 规模 (三)."""
    from openpyxl.chart import BarChart, Reference

    def chart(kind: str, title: str, y_title: str, rows: int = CHART_ROWS) -> BarChart:
        c = BarChart()
        c.type = kind
        c.title = title
        c.style = 10
        c.y_axis.title = y_title
        c.y_axis.majorGridlines = None
        c.y_axis.delete = False
        c.x_axis.delete = False
        c.x_axis.tickLblSkip = 1            # every category named (LibreOffice skips labels it finds crowded)
        c.x_axis.txPr = _axis_text(800)     # 8 pt labels: the six 四基 categories fit without skipping
        c.width, c.height = 17.0, round((rows * 15 - 4) / PT_PER_CM, 1)
        return c

    def place(c: BarChart, rows: int) -> None:
        sh.keep_together(15 + rows * 15, LANDSCAPE_PAGE_PT)
        sh.blank()
        sh.ws.add_chart(c, f"B{sh.row + 1}")
        sh.blank(rows)

    sh.keep_together(15 + 22 + CHART_ROWS * 15, LANDSCAPE_PAGE_PT)
    sh.blank()
    sh.append([None, "九、图表（据本表一至三）"], ST_SUB, height=22)
    head, first, total = b1
    last = total - 1                                # the cities, without 全省合计
    c = chart("col", "各市重点企业数与★企业数（附1）", "家")
    c.add_data(Reference(sh.ws, min_col=4, max_col=5, min_row=head, max_row=last), titles_from_data=True)
    c.set_categories(Reference(sh.ws, min_col=1, min_row=first, max_row=last))
    sh.ws.add_chart(c, f"B{sh.row + 1}")
    sh.blank(CHART_ROWS)
    for (head, _, total), keys, title in ((b2, inp.four_base_keys, "全省按“四基”重点领域（附3）"),
                                          (b3, inp.size_keys, "全省按企业规模（附3）")):
        shown = min(len(keys), STATS_COLS_PER_PAGE - 1)         # the block's first part: 附3企业 + categories
        rows = TALL_CHART_ROWS if keys is inp.four_base_keys else CHART_ROWS
        c = chart("bar" if keys is inp.four_base_keys else "col", title, "家", rows)
        c.add_data(Reference(sh.ws, min_col=3, max_col=2 + shown, min_row=total), from_rows=True, titles_from_data=False)
        c.set_categories(Reference(sh.ws, min_col=3, max_col=2 + shown, min_row=head))
        c.legend = None
        place(c, rows)


# ----------------------------------------------------------------------------- 重复 / 合并记录

def _duplicates_sheet(book: FastBook, inp: BookInput) -> None:
    sh = book.sheet("重复")
    widths = [6, 11, 16, 36, 22, 10, 20, 24, 10, 7]
    sh.widths(widths)
    sh.ws.freeze_panes = "A4"
    r = sh.append(["重复填报的企业（同一城市内或多个城市间，统一社会信用代码或企业名称相同）"] + [None] * 9, ST_TITLE,
                  height=30)
    sh.merge(r, 1, r, 10)
    within = sum(1 for d in inp.duplicates if d["scope"] == SCOPE_WITHIN)
    _boxed_row(sh, f"共{len(inp.duplicates)}组（同一城市内{within}组、多个城市间{len(inp.duplicates) - within}组）。"
                   f"企业名称比较时忽略空格和全角/半角括号差异；每组列出每一处（附1、附3的行）。"
                   f"同一城市内的重复请该市删去多余的行；多个城市间的请与相关城市核实后保留一处。",
               ST_NOTE_WRAP, 1, 10, sum(widths), F_NOTE.sz, 12)
    sh.append(["组号", "范围", "相同的", "企业名称", "统一社会信用代码", "城市", "同组其他城市", "来源文件", "来源工作表",
               "来源行"], ST_HEAD, height=30)
    for g, d in enumerate(inp.duplicates, start=1):
        for src in d["sources"]:
            others = "、".join(c for c in d["cities"] if c != src["city"]) or "—"
            sh.append([g, d["scope"], d["match"], src["name"], src["credit_code"], src["city"], others,
                       src["file"], src["sheet"], src["row"]],
                      [ST_CELL_C, ST_CELL_C, ST_CELL_C, ST_CELL, ST_CELL_C, ST_CELL_C, ST_CELL, ST_CELL, ST_CELL_C,
                       ST_CELL_C])
    sh.ws.auto_filter.ref = f"A3:J{max(sh.row, 4)}"
    sh.print_setup(landscape=True, title_rows="3:3", area_cols=10)


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
