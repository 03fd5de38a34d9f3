"""What python-calamine does not tell us about an .ods, read once from its content.xml.

The same facts :mod:`xjr_excel.read.sheet_xml` gives for .xlsx and .xls: hidden
rows, merged areas, formula errors and percent cells (0.85 shown as 85 %).  One
streaming expat pass (no DTD: the guard refused those; no entity expansion);
repeated rows and cells (``number-rows-repeated``) are counted, and a hidden
run is only spelt out up to the sheet's last filled row.
"""
from __future__ import annotations

import zipfile
from xml.parsers import expat

from xjr_excel.read.sheet_xml import SheetExtras

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0 "
_TEXT_P = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 p"
_CELLS = (_TABLE + "table-cell", _TABLE + "covered-table-cell")


def _repeat(attrs: dict, name: str) -> int:
    value = attrs.get(_TABLE + name, "1")
    return int(value) if value.isdigit() else 1


class _Sheet:
    def __init__(self):
        self.extras = SheetExtras()
        self.percent: set[tuple[int, int]] = set()
        self.hidden_runs: list[tuple[int, int]] = []      # (first row, count)
        self.last_row = 0


class _Content:
    def __init__(self):
        self.sheets: dict[str, _Sheet] = {}
        self.sheet: _Sheet | None = None
        self.row = self.col = 0          # 1-based row of the current element; columns before the cell
        self.row_repeat = 1
        self.cell: dict | None = None
        self.text: list[str] = []

    def start(self, name, attrs):
        if name == _TABLE + "table":
            self.sheet = self.sheets.setdefault(attrs.get(_TABLE + "name", ""), _Sheet())
            self.row = 1
        elif name == _TABLE + "table-row" and self.sheet is not None:
            self.col, self.row_repeat = 0, _repeat(attrs, "number-rows-repeated")
            if attrs.get(_TABLE + "visibility") in ("collapse", "filter"):
                self.sheet.hidden_runs.append((self.row, self.row_repeat))
        elif name in _CELLS and self.sheet is not None:
            self.cell, self.text = attrs, []
        elif name == _TEXT_P and self.cell is not None:
            self.cell = {**self.cell, "_p": True}

    def chars(self, data):
        if self.cell is not None:
            self.text.append(data)

    def end(self, name):
        sheet = self.sheet
        if name in _CELLS and sheet is not None and self.cell is not None:
            a, self.cell = self.cell, None
            repeat = _repeat(a, "number-columns-repeated")
            filled = _OFFICE + "value-type" in a or _TABLE + "formula" in a or "_p" in a
            if filled:
                sheet.last_row = max(sheet.last_row, self.row + self.row_repeat - 1)
                cells = [(self.row + i, self.col + 1 + j) for i in range(self.row_repeat) for j in range(repeat)]
                if a.get(_OFFICE + "value-type") == "percentage":
                    sheet.percent.update(cells)
                if a.get(_CALCEXT + "value-type") == "error":
                    sheet.extras.errors.update({rc: "".join(self.text) or "#VALUE!" for rc in cells})
            rows, cols = _repeat(a, "number-rows-spanned"), _repeat(a, "number-columns-spanned")
            if rows > 1 or cols > 1:
                sheet.extras.merged.append((self.row, self.col + 1, self.row + rows - 1, self.col + cols))
            self.col += repeat
        elif name == _TABLE + "table-row":
            self.row += self.row_repeat


class OdsParts:
    """:class:`xjr_excel.read.sheet_xml.XlsxParts`' facts for an .ods (content.xml parsed once)."""

    def __init__(self, path):
        content = _Content()
        p = expat.ParserCreate(namespace_separator=" ")
        p.StartElementHandler, p.EndElementHandler = content.start, content.end
        p.CharacterDataHandler = content.chars
        with zipfile.ZipFile(path) as zf, zf.open("content.xml") as fh:
            p.ParseFile(fh)
        self._sheets = content.sheets
        for sheet in self._sheets.values():
            for first, count in sheet.hidden_runs:
                sheet.extras.hidden_rows.update(range(first, min(first + count, sheet.last_row + 1)))

    def close(self):
        pass

    def has_macros(self) -> bool:
        return False     # Basic macros in .ods are never run; the guard reports them

    def extras(self, name: str) -> SheetExtras:
        sheet = self._sheets.get(name)
        return sheet.extras if sheet else SheetExtras()

    def percent_cells(self, name: str, wanted: set[tuple[int, int]]) -> set[tuple[int, int]]:
        sheet = self._sheets.get(name)
        return sheet.percent & wanted if sheet else set()
