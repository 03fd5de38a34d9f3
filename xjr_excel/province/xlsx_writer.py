"""A fast .xlsx writer for large lists: openpyxl for the package, our own rows.

openpyxl (write-only mode) writes everything except the cell rows: styles,
column widths, frozen panes, merged cells, filters, page setup and print
titles.  The rows are built here as SpreadsheetML text — several times faster
than openpyxl's element-by-element serialiser for the ~10⁶ cells a province
produces — kept in a temporary file per sheet as they are made, and streamed into
each sheet's ``<sheetData>`` when the package is saved (memory does not grow with
the number of cities).

Cell rules: strings are inline strings (type ``inlineStr``: never a formula;
text that could be taken for one also gets the quote prefix, as
:func:`xjr_excel.ooxml.safe_text.set_text` does); numbers as numbers; dates as date
serials with a date format; characters XML cannot hold are dropped.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill
from xjr_excel.ooxml.cells import column_letter

from xjr_excel.ooxml.safe_text import ILLEGAL_XML_CHARS, is_formula_like
from xjr_excel.ooxml import package as P
from xjr_excel.template.layout import print_frame

EPOCH = dt.datetime(1899, 12, 30)
COLS = [""] + [column_letter(i) for i in range(1, 703)]    # A … ZZ
DEFAULT_ROW_PT = 15.0
_SHEETDATA = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")


@dataclass(frozen=True)
class Style:
    font: Font | None = None
    fill: PatternFill | None = None
    border: Border | None = None
    alignment: Alignment | None = None
    number_format: str | None = None
    quote: bool = False           # quote prefix: the cell stays text when edited


def _escape(text: str) -> str:
    if ILLEGAL_XML_CHARS.search(text):
        text = ILLEGAL_XML_CHARS.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@functools.lru_cache(maxsize=1 << 16)       # lists repeat their texts (cities, choices, 是/否)
def _inline_text(v: str) -> tuple[bool, str]:
    """(whether the text could be taken for a formula, its ``<is>`` element)."""
    text = _escape(v)
    keep = text[:1].isspace() or text[-1:].isspace() or "\n" in text
    space = ' xml:space="preserve"' if keep else ""
    return is_formula_like(v), f"<is><t{space}>{text}</t></is>"


def excel_serial(value: dt.date) -> float:
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - EPOCH
        return delta.days + delta.seconds / 86400
    return float((value - EPOCH.date()).days)


class FastSheet:
    """Rows of one sheet as XML text; layout attributes go to the openpyxl sheet ``ws``."""

    def __init__(self, book: "FastBook", title: str, *, fit_width: bool = True):
        self.book = book
        self.ws = book.wb.create_sheet(title)
        # sheetPr is written before anything else: the fit-to-page flag must be set now
        self.ws.sheet_properties.pageSetUpPr.fitToPage = fit_width
        self.row = 0
        # rows go to a temporary file as they are made (UTF-8): memory stays flat however many
        # cities are merged, and save() streams them into the package
        self.rows = tempfile.TemporaryFile()
        self._pending: list[str] = []
        self.page_used = 0.0          # points used on the current printed page (approximate)

    def widths(self, widths: list[float]) -> None:
        for i, w in enumerate(widths, start=1):
            self.ws.column_dimensions[COLS[i]].width = w

    def append(self, values: list, styles: list | Style | None = None, height: float | None = None) -> int:
        """Write one row; ``styles`` is one style for the row or one per value (None: unstyled)."""
        self.row += 1
        rs = str(self.row)
        attr = self.book.style_attr
        per_cell = isinstance(styles, list)
        out = []
        for j, v in enumerate(values):
            st = styles[j] if per_cell else styles
            if v is None or v == "":
                if st is not None:
                    out.append(f'<c r="{COLS[j + 1]}{rs}"{attr(st)}/>')
                continue
            ref = COLS[j + 1] + rs
            if isinstance(v, str):
                quoted, body = _inline_text(v)
                out.append(f'<c r="{ref}"{attr(st, quoted)} t="inlineStr">{body}</c>')
            elif isinstance(v, bool):
                out.append(f'<c r="{ref}"{attr(st)} t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (int, float)):
                if isinstance(v, float) and not math.isfinite(v):
                    continue
                out.append(f'<c r="{ref}"{attr(st)}><v>{v!r}</v></c>')
            elif isinstance(v, (dt.date, dt.datetime)):
                timed = isinstance(v, dt.datetime) and (v.hour or v.minute or v.second)
                fmt = "yyyy-mm-dd hh:mm:ss" if timed else "yyyy-mm-dd"
                out.append(f'<c r="{ref}"{attr(st, fmt=fmt)}><v>{excel_serial(v)!r}</v></c>')
            else:
                out.append(f'<c r="{ref}"{attr(st)} t="inlineStr"><is><t>{_escape(str(v))}</t></is></c>')
        attrs = f' ht="{height}" customHeight="1"' if height else ""
        self.page_used += height or DEFAULT_ROW_PT
        self._pending.append(f'<row r="{rs}"{attrs}>{"".join(out)}</row>')
        if len(self._pending) >= 256:
            self.flush()
        return self.row

    def flush(self) -> None:
        self.rows.write("".join(self._pending).encode("utf-8"))
        self._pending.clear()

    def blank(self, n: int = 1) -> None:
        self.row += n
        self.page_used += n * DEFAULT_ROW_PT

    def keep_together(self, height: float, page: float) -> None:
        """Start a new printed page unless the next ``height`` points fit on this one."""
        if self.page_used and self.page_used + height > page and height <= page:
            from openpyxl.worksheet.pagebreak import Break
            self.ws.row_breaks.append(Break(id=self.row))
            self.page_used = 0.0

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        if (first_row, first_col) != (last_row, last_col):
            self.ws.merged_cells.add(f"{COLS[first_col]}{first_row}:{COLS[last_col]}{last_row}")

    def print_setup(self, *, landscape: bool, title_rows: str | None, area_cols: int | None,
                    title_cols: str | None = None) -> None:
        """Our page frame (A4, margins, sheet name and page numbers in the footer), fit to the
        page width when asked at creation, header rows (and key columns) repeated on every page."""
        ws = self.ws
        print_frame(ws, landscape=landscape)
        if ws.sheet_properties.pageSetUpPr.fitToPage:
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
        if title_rows:
            ws.print_title_rows = title_rows
        if title_cols:
            ws.print_title_cols = title_cols
        if area_cols:
            ws.print_area = f"A1:{COLS[area_cols]}{max(self.row, 1)}"

    def write_part(self, sheet_xml: bytes, out) -> None:
        """The sheet part openpyxl wrote (empty ``<sheetData>``) with our rows in it, into ``out``."""
        m = _SHEETDATA.search(sheet_xml)
        if m is None:
            raise RuntimeError("no sheetData in a sheet part openpyxl wrote")
        self.flush()
        out.write(sheet_xml[:m.start()] + b"<sheetData>")
        self.rows.seek(0)
        shutil.copyfileobj(self.rows, out, 1 << 20)
        out.write(b"</sheetData>" + sheet_xml[m.end():])
        self.rows.close()


class FastBook:
    def __init__(self):
        self.wb = Workbook(write_only=True)
        self.sheets: list[FastSheet] = []
        self._ids: dict[tuple, int] = {}
        self._attrs: dict[tuple, str] = {}
        self._keep: list = []

    def sheet(self, title: str, *, fit_width: bool = True) -> FastSheet:
        sh = FastSheet(self, title, fit_width=fit_width)
        self.sheets.append(sh)
        return sh

    def style_id(self, st: Style | None, quote: bool = False, fmt: str | None = None) -> int:
        """Index of the style in the workbook's cellXfs (registered through openpyxl on first use)."""
        if st is None and not quote and fmt is None:
            return 0
        key = (id(st), quote, fmt)
        sid = self._ids.get(key)
        if sid is None:
            self._keep.append(st)          # ids are only unique while the object lives
            c = WriteOnlyCell(self.sheets[0].ws)
            st = st or Style()
            if st.font is not None:
                c.font = st.font
            if st.fill is not None:
                c.fill = st.fill
            if st.border is not None:
                c.border = st.border
            if st.alignment is not None:
                c.alignment = st.alignment
            if fmt or st.number_format is not None:
                c.number_format = fmt or st.number_format
            if quote or st.quote:
                c.quotePrefix = True
            sid = self._ids[key] = c.style_id
        return sid

    def style_attr(self, st: Style | None, quote: bool = False, fmt: str | None = None) -> str:
        """The ``s="…"`` attribute of a cell of this style ("" for the default style)."""
        key = (id(st), quote, fmt)
        text = self._attrs.get(key)
        if text is None:
            sid = self.style_id(st, quote, fmt)
            text = self._attrs[key] = f' s="{sid}"' if sid else ""
        return text

    def save(self, path, purpose: str | None = None) -> None:
        from xjr_excel.atomic import save_workbook
        buf = io.BytesIO()
        save_workbook(self.wb, buf, purpose)
        with zipfile.ZipFile(buf) as z:
            parts = P.read_sheet_parts(z)
        edits = {parts[sh.ws.title]: P.StreamEdit(sh.write_part) for sh in self.sheets}
        P.rewrite(buf, path, edits, compresslevel=5)
