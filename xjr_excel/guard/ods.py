"""The guard's check of an OpenDocument spreadsheet (.ods, LibreOffice's and WPS's open format).

LibreOffice saves .ods by default on the domestic-OS desktops many cities use, so we
read it (calamine) — after the same checks as a workbook: the zip's bomb limits
(member count, declared and real sizes, ratios), no DTD in any XML part, no
encryption, and a bounded sheet extent.  ODS compresses repetition into one element
(``table:number-rows-repeated="1048575"``), so the extent counts repeats, but only
of rows and cells that hold something: LibreOffice writes the empty rest of every
sheet as one huge repeated blank row.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from xml.parsers import expat

from xjr_excel.guard import check as G

MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def is_ods(zf: zipfile.ZipFile, names: set[str]) -> bool:
    if "mimetype" not in names or zf.getinfo("mimetype").file_size > 100:
        return False
    return zf.read("mimetype").strip().startswith(MIMETYPE)


ODS_SUFFIXES = (".ods", ".ots")


def check_ods(path: Path, size: int, zf: zipfile.ZipFile, lim: dict) -> G.FileInfo:
    if path.suffix.lower() not in ODS_SUFFIXES:     # readers pick the format by the extension
        raise G.reject(f"该文件不是Excel工作簿，而是OpenDocument电子表格（.ods，WPS/LibreOffice格式），"
                        f"扩展名却是“{path.suffix or '无'}”（被改了扩展名）。请把扩展名改回 .ods，"
                        f"或在WPS/LibreOffice中另存为Excel工作簿（.xlsx）后重新提交。", path, "not_workbook")
    infos = [i for i in zf.infolist() if not i.is_dir()]
    names = {i.filename for i in infos}
    if "content.xml" not in names:
        raise G.damaged(path, "缺少内容部件content.xml")
    manifest = G.small_xml(zf, "META-INF/manifest.xml", path)
    if manifest is not None and any(el.tag.rsplit("}", 1)[-1] == "encryption-data" for el in manifest.iter()):
        raise G.reject(f"{G.REMOVE_PASSWORD}（.ods设置了密码）。本工具不会尝试破解密码。", path, "encrypted")
    budget = lim["max_unzipped_bytes"]
    for i in infos:
        if i.filename != "content.xml":
            budget -= G.scan_member(zf, i, budget, path, lim, None, xml=G.is_xml(i.filename))
    sheets = _scan_content(zf, zf.getinfo("content.xml"), budget, path, lim)
    has_macros = any(n.startswith(("Basic/", "Scripts/")) for n in names)
    return G.FileInfo(path, "ods", size, has_macros=has_macros, sheets=tuple(sheets))


class _Extent:
    """Streams content.xml: sheet names, and how far each sheet's filled cells reach."""

    def __init__(self, path: Path, lim: dict):
        self.path, self.lim = path, lim
        self.sheets: list[str] = []
        self.row = self.col = 0            # rows / columns before the current one
        self.row_repeat = 1
        self.cells = 0
        p = expat.ParserCreate(namespace_separator=" ")
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._doctype
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        self.parser = p
        self._cell: tuple[int, bool] | None = None      # (columns repeated, holds something)

    def _doctype(self, *args):
        raise G.Doctype()

    @staticmethod
    def _repeat(attrs: dict, name: str) -> int:
        value = attrs.get(f"{_TABLE} {name}", "1")
        return int(value) if value.isdigit() else 1

    def _start(self, name, attrs):
        if name == f"{_TABLE} table":
            self.sheets.append(attrs.get(f"{_TABLE} name", ""))
            self.row = 0
        elif name == f"{_TABLE} table-row":
            self.col, self.row_repeat = 0, self._repeat(attrs, "number-rows-repeated")
        elif name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell"):
            filled = f"{_OFFICE} value-type" in attrs or f"{_TABLE} formula" in attrs
            self._cell = (self._repeat(attrs, "number-columns-repeated"), filled)
        elif name == f"{_TEXT} p" and self._cell is not None:
            self._cell = (self._cell[0], True)

    def _end(self, name):
        if name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell") and self._cell is not None:
            repeat, filled = self._cell
            self._cell = None
            if filled:
                self._filled(self.col + repeat, repeat)
            self.col += repeat
        elif name == f"{_TABLE} table-row":
            self.row += self.row_repeat

    def _filled(self, last_col: int, repeat: int) -> None:
        lim, sheet = self.lim, self.sheets[-1] if self.sheets else ""
        last_row = self.row + self.row_repeat
        if last_row > lim["max_rows_per_sheet"]:
            raise G.too_big(self.path, sheet, f"的数据至少延伸到第{last_row}行", lim)
        if last_col > lim["max_columns_per_sheet"]:
            raise G.too_big(self.path, sheet, f"的数据至少延伸到第{last_col}列", lim)
        self.cells += repeat * self.row_repeat
        if self.cells > lim["max_rows_per_sheet"] * lim["max_columns_per_sheet"]:
            raise G.too_big(self.path, sheet, f"有超过{self.cells}个填写的单元格", lim)


def _scan_content(zf, info, budget: int, path: Path, lim: dict) -> list[str]:
    extent = _Extent(path, lim)
    n = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(G.CHUNK):
                n += len(chunk)
                if n > budget:
                    raise G.bomb(path, f"实际解压后超过{G.mib(lim['max_unzipped_bytes'])}")
                extent.parser.Parse(chunk, False)
            extent.parser.Parse(b"", True)
    except G.Doctype:
        raise G.dtd_refusal(path, info.filename) from None
    except expat.ExpatError:
        raise G.damaged(path, "内部部件“content.xml”不是有效的XML") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as e:
        raise G.damaged(path, f"内部部件“content.xml”无法解压：{G.zip_error(e)}") from None
    return extent.sheets


G.OTHER_PACKAGES.append((is_ods, check_ods))      # guard.check asks us about every zip package
