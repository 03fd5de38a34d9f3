"""What python-calamine does not tell us, read cheaply from the package itself.

calamine gives cell values fast but drops formula-error results (#DIV/0! reads
as "") and says nothing of hidden rows or number formats.  These come from one
regular-expression pass over each sheet's XML (no DOM, no entity expansion),
and number formats only for the few cells where a percent format changes the
meaning (0.85 in a %-formatted cell is 85 %).  ``.xls`` files get the same
facts from xlrd.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

from defusedxml import ElementTree as ET
from openpyxl.utils.cell import range_boundaries

from xjr_excel.ooxml import package as P
from xjr_excel.ooxml.cells import column_number

_NS = {"m": P.NS_MAIN}
_ROW_HIDDEN = re.compile(rb'<(?:\w+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ATTR_R = re.compile(rb'\br="([A-Z]*)(\d+)"')
# (never a self-closing <c t="e"/>: its "value" would be the next cell's)
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?\bt="e"[^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>', re.S)
_V = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_CELL_TAG = re.compile(rb'<(?:\w+:)?c\s([^>]*?)/?>')
_ATTR_S = re.compile(rb'\bs="(\d+)"')
PERCENT_BUILTIN = {9, 10}
# Formatting without content: self-closing cells (<c r="B7" s="1"/>) and empty pairs
# (<c r="B7" s="1" t="n"></c>, openpyxl with lxml), then rows left empty.
_BLANK_CELL = re.compile(rb"<((?:\w+:)?)c(?:\s[^>]*)?(?:/>|(?<!/)>\s*</\1c\s*>)")
_EMPTY_ROW = re.compile(rb"<((?:\w+:)?)row(?:\s[^>]*)?(?:/>|>\s*</\1row>)")
_CHUNK = _GIANT_TAG = 1 << 20
_WHOLE = 8 << 20        # sheets up to this size are searched with their blanks


def content_xml(fh) -> bytes:
    """A sheet's XML, read from ``fh``; past ``_WHOLE`` bytes without its styled blanks.

    Sheets formatted down to row 1,048,576 carry ~100 MB of ``<row s="1"><c s="1"/></row>``;
    every fact read here (hidden rows with data, merges, error and percent cells) lives in
    cells with content, so in a large sheet the blanks are dropped while streaming and memory
    follows the content, not the extent.  A tag is never split: each chunk is cut at its last "<".
    A sheet of a real submission is far smaller and is searched as it is (stripping its blanks
    cost more than reading them).
    """
    chunk = fh.read(_WHOLE + 1)
    if len(chunk) <= _WHOLE:
        return chunk
    out, tail = [], b""
    while True:
        data = tail + chunk
        cut = len(data) if not chunk else data.rfind(b"<")
        if cut <= 0 and len(data) > _GIANT_TAG:
            cut = len(data)           # one giant "tag": nothing to keep whole
        cut = max(cut, 0)
        out.append(_EMPTY_ROW.sub(b"", _BLANK_CELL.sub(b"", data[:cut])))
        tail = data[cut:]
        if not chunk:
            return b"".join(out)
        chunk = fh.read(_CHUNK)


@dataclass
class SheetExtras:
    hidden_rows: set[int] = field(default_factory=set)              # 1-based
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)   # min_row, min_col, max_row, max_col
    errors: dict[tuple[int, int], str] = field(default_factory=dict)        # (row, col) → "#DIV/0!"


def _rc(col_letters: bytes, row: bytes) -> tuple[int, int]:
    return int(row), column_number(col_letters.decode())


class XlsxParts:
    """The sheet parts and styles of an .xlsx/.xlsm package (opened once)."""

    def __init__(self, path):
        self.zf = zipfile.ZipFile(path)
        self.paths = P.read_sheet_parts(self.zf)
        self._percent_styles: set[int] | None = None
        self._xml_cache: dict[str, bytes] = {}

    def close(self):
        self.zf.close()

    def has_macros(self) -> bool:
        return any(n.lower().endswith("vbaproject.bin") for n in self.zf.namelist())

    def sheet_xml(self, name: str) -> bytes | None:
        if name not in self._xml_cache:
            path = self.paths.get(name)
            try:
                if path:
                    with self.zf.open(path) as fh:
                        self._xml_cache[name] = content_xml(fh)
                else:
                    self._xml_cache[name] = None
            except KeyError:
                self._xml_cache[name] = None
        return self._xml_cache[name]

    def extras(self, name: str) -> SheetExtras:
        xml = self.sheet_xml(name)
        ex = SheetExtras()
        if not xml:
            return ex
        # each pattern only runs when its marker occurs at all (most sheets have none)
        for m in (_ROW_HIDDEN.finditer(xml) if b"hidden=" in xml else ()):
            r = _ATTR_R.search(m.group(0))
            if r:
                ex.hidden_rows.add(int(r.group(2)))
        for m in (_MERGE.finditer(xml) if b"mergeCell" in xml else ()):
            try:
                c1, r1, c2, r2 = range_boundaries(m.group(1).decode())
            except ValueError:
                continue          # a damaged merge reference: the cells keep their own values
            if None not in (c1, r1, c2, r2):
                ex.merged.append((r1, c1, r2, c2))
        for m in (_ERROR_CELL.finditer(xml) if b't="e"' in xml else ()):
            r = _ATTR_R.search(m.group(1))
            v = _V.search(m.group(2))
            if r:
                ex.errors[_rc(r.group(1), r.group(2))] = v.group(1).decode() if v else "#VALUE!"
        return ex

    def percent_styles(self) -> set[int]:
        """Indexes into cellXfs whose number format shows a percentage."""
        if self._percent_styles is None:
            out: set[int] = set()
            try:
                st = ET.fromstring(self.zf.read("xl/styles.xml"))
            except KeyError:
                self._percent_styles = out
                return out
            custom = {int(n.get("numFmtId")): n.get("formatCode") or ""
                      for n in st.findall("m:numFmts/m:numFmt", _NS)}
            for i, xf in enumerate(st.findall("m:cellXfs/m:xf", _NS)):
                fid = int(xf.get("numFmtId") or 0)
                if fid in PERCENT_BUILTIN or "%" in re.sub(r'"[^"]*"|\\.', "", custom.get(fid, "")):
                    out.add(i)
            self._percent_styles = out
        return self._percent_styles

    def percent_cells(self, name: str, wanted: set[tuple[int, int]]) -> set[tuple[int, int]]:
        """Of the ``wanted`` (row, col) cells, those formatted as a percentage."""
        styles = self.percent_styles()
        xml = self.sheet_xml(name)
        if not styles or not xml or not wanted:
            return set()
        rows = {r for r, _ in wanted}
        out = set()
        for m in _CELL_TAG.finditer(xml):
            attrs = m.group(1)
            s = _ATTR_S.search(attrs)
            if not s or int(s.group(1)) not in styles:
                continue
            r = _ATTR_R.search(attrs)
            if r and int(r.group(2)) in rows:
                rc = _rc(r.group(1), r.group(2))
                if rc in wanted:
                    out.add(rc)
        return out


class XlsParts:
    """The same facts for a legacy .xls file, via xlrd (formatting_info)."""

    def __init__(self, path):
        import xlrd

        from xjr_excel.errors import InputRejected
        from xjr_excel.libcalls import SINK, library_output
        self.xlrd = xlrd
        try:
            with library_output():      # xlrd prints its diagnostics; they must not reach --json
                self.book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True, logfile=SINK)
        except Exception as e:  # noqa: BLE001 - xlrd raises many kinds on a damaged file
            raise InputRejected(f"文件已损坏（旧版.xls无法读取：{type(e).__name__}），无法读取。"
                                f"请在Excel中打开并另存为.xlsx后重新提交。", file=str(path), kind="damaged") from None

    def close(self):
        self.book.release_resources()

    def has_macros(self) -> bool:
        return False     # VBA in .xls is never run; guard reports it if it matters

    def _sheet(self, name):
        try:
            return self.book.sheet_by_name(name)
        except self.xlrd.XLRDError:
            return None

    def extras(self, name: str) -> SheetExtras:
        sh = self._sheet(name)
        ex = SheetExtras()
        if sh is None:
            return ex
        ex.hidden_rows = {r + 1 for r, info in sh.rowinfo_map.items() if info.hidden}
        ex.merged = [(r1 + 1, c1 + 1, r2, c2) for r1, r2, c1, c2 in sh.merged_cells]
        for r in range(sh.nrows):
            for c, ctype in enumerate(sh.row_types(r)):
                if ctype == self.xlrd.XL_CELL_ERROR:
                    code = sh.cell_value(r, c)
                    ex.errors[(r + 1, c + 1)] = self.xlrd.error_text_from_code.get(code, "#VALUE!")
        return ex

    def percent_cells(self, name: str, wanted: set[tuple[int, int]]) -> set[tuple[int, int]]:
        sh = self._sheet(name)
        if sh is None:
            return set()
        out = set()
        for r, c in wanted:
            if r - 1 < sh.nrows and c - 1 < sh.ncols:
                xf = self.book.xf_list[sh.cell_xf_index(r - 1, c - 1)]
                fmt = self.book.format_map.get(xf.format_key)
                if fmt is not None and "%" in fmt.format_str:
                    out.add((r, c))
        return out
