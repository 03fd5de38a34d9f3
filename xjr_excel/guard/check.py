"""One guarded door for every file we open: find out what it really is before parsing.

City files arrive by email from many hands.  ``check_file`` looks at the bytes (not
the extension) and refuses, with one Chinese sentence that says what the file is and
what to do, anything we should not parse: empty, truncated or damaged files, CSV /
HTML / PDF renamed to .xlsx, Word files, WPS's own .et, encrypted workbooks (detected with
msoffcrypto-tool, never cracked), zip bombs, XML with a DTD (entity expansion) and
sheets far larger than any submission.  OpenDocument spreadsheets (.ods) get the
same checks in :mod:`xjr_excel.guard.ods` and are read.  Every check is bounded: the file is at most
``max_file_bytes``, members are inflated in small chunks with a byte budget, and only
the XML prolog is parsed here.  Nothing is executed and the file is opened read-only.

The writers' side (city text never becomes a formula) is :mod:`xjr_excel.ooxml.safe_text`.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from xml.parsers import expat

from xjr_excel.errors import InputRejected
from xjr_excel.ooxml import package as P
from xjr_excel.ooxml.cells import column_letter, column_number

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OLE_MAGIC = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"
CHUNK = 64 * 1024
PROLOG_BYTES = 4 * 1024 * 1024     # a DTD can only come before the root element; stop looking after this

# Defaults used only when policy.toml lacks a key (older policy files).
_DEFAULT_LIMITS = {
    "max_zip_members": 10000,          # a workbook has tens of parts; many thousands is not a submission
    "ratio_check_from_bytes": 1048576, # small XML parts compress very well; judge the ratio of big ones
    "max_value_cells_per_sheet": 2000000,   # cells with content; a submission has tens of thousands
    "max_cells_to_mark": 500000,            # cells (styled blanks too) openpyxl holds to write a marked copy
}

SAVE_AS_XLSX = "请在Excel中另存为.xlsx后重新提交"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xltx", ".xltm", ".ods")
WPS_SUFFIXES = (".et", ".ett")     # WPS表格's own format: not documented, not read
REMOVE_PASSWORD = "文件已加密，请去除密码后重新提交"

# Zip packages that are not OOXML: (is it one?, check it) pairs that modules building on this one add
# (guard/ods.py; guard/__init__.py imports it), so this module never imports them back.
OTHER_PACKAGES: list[tuple] = []

OOXML_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": "xlsm",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml": "xlsm",
}


@dataclass
class FileInfo:
    """What a file really is, as found by ``check_file``."""
    path: Path
    kind: str                    # "xlsx" | "xlsm" | "xls" | "ods"
    size: int
    has_macros: bool = False     # VBA project or Excel 4 macro sheets present (never run)
    sha256: str = ""
    has_external_links: bool = False   # links to other workbooks (never followed)
    sheets: tuple[str, ...] = ()       # sheet names in workbook order (xlsx/xlsm only)
    notes: list[str] = field(default_factory=list)  # harmless oddities worth a warning


def input_limits() -> dict:
    from xjr_excel.spec.definition import get_spec
    return {**_DEFAULT_LIMITS, **get_spec().policy.input_limits}


def mib(n: int) -> str:
    return f"{n / 1048576:.1f} MB".replace(".0 ", " ") if n >= 1048576 else f"{n / 1024:.0f} KB"


def reject(message: str, path: Path, kind: str) -> InputRejected:
    return InputRejected(message, file=str(path), kind=kind)


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

def check_file(path: str | os.PathLike, limits: dict | None = None) -> FileInfo:
    """Find out what ``path`` really is; raise ``InputRejected`` for anything we must not parse."""
    path = Path(path)
    lim = limits or input_limits()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise reject("找不到该文件。请检查文件名和路径是否正确。", path, "missing") from None
    except OSError as e:
        raise reject(f"无法访问该文件（{e.strerror}）。请检查文件权限后重试。", path, "unreadable") from None
    if stat.S_ISDIR(st.st_mode):
        raise reject("这是一个文件夹，不是工作簿。请指定要校验的.xlsx文件（合并时可以给出文件夹）。", path, "directory")
    if not stat.S_ISREG(st.st_mode):   # a FIFO or device would block or never end
        raise reject("这不是普通文件（可能是管道或设备）。请指定保存在磁盘上的.xlsx文件。", path, "not_regular")
    size = st.st_size
    if size == 0:
        raise reject("文件是空的（0字节），可能是附件下载不完整或保存失败。请重新保存后提交。", path, "empty")
    if size > lim["max_file_bytes"]:
        raise reject(f"文件有{mib(size)}，超过上限{mib(lim['max_file_bytes'])}。正常的填报工作簿远小于此，"
                      f"可能含有大量图片或不是填报文件。请删除多余内容、另存为.xlsx后重新提交。", path, "too_large")
    if path.suffix.lower() in WPS_SUFFIXES:
        raise reject(f"这是WPS表格的自有格式（{path.suffix}），本工具不读取该格式。请在WPS中点“文件→另存为”，"
                      f"文件类型选“Excel 工作簿（*.xlsx）”，保存后提交该 .xlsx 文件。", path, "not_workbook")
    try:
        with open(path, "rb") as fh:
            head = fh.read(CHUNK)
    except OSError as e:
        raise reject(f"无法读取该文件（{e.strerror}）。请检查文件权限后重试。", path, "unreadable") from None

    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        try:
            info = _check_zip(path, size, lim) if head.startswith(ZIP_MAGIC) else _check_ole(path, size, lim)
        except InputRejected:
            raise
        except (struct.error, ValueError, IndexError, KeyError, EOFError, OSError, zipfile.BadZipFile,
                zlib.error):
            # A record or header cut short: a file that trips up the inspection is damaged or
            # crafted; either way it is not parsed.
            raise damaged(path, "内部结构不完整或无法解析") from None
    else:
        if path.name.startswith("~$") and size < 4096:
            raise reject("这是Excel打开工作簿时生成的临时锁定文件（以“~$”开头），不是工作簿。"
                          "请忽略或删除它，提交原工作簿。", path, "lock_file")
        what, advice = describe_bytes(head, size)
        ext = path.suffix or "（无扩展名）"
        raise reject(f"该文件不是Excel工作簿，而是{what}（扩展名是“{ext}”，可能只是改了名字）。{advice}", path, "not_workbook")
    info.sha256 = sha256_of(path)
    return info


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# Neither zip nor OLE: say what it is
# --------------------------------------------------------------------------

_BINARY_SIGNATURES = (
    (b"%PDF", "PDF文件", "请提交原始的Excel工作簿（.xlsx），不要提交PDF或扫描件。"),
    (b"\x89PNG", "图片（PNG）", "请提交原始的Excel工作簿（.xlsx），不要提交截图或照片。"),
    (b"\xff\xd8\xff", "图片（JPEG）", "请提交原始的Excel工作簿（.xlsx），不要提交截图或照片。"),
    (b"GIF8", "图片（GIF）", "请提交原始的Excel工作簿（.xlsx），不要提交截图或照片。"),
    (b"BM", "图片（BMP）", "请提交原始的Excel工作簿（.xlsx），不要提交截图或照片。"),
    (b"Rar!\x1a\x07", "RAR压缩包", "请先解压，提交其中的.xlsx工作簿。"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip压缩包", "请先解压，提交其中的.xlsx工作簿。"),
    (b"\x1f\x8b", "gzip压缩文件", "请先解压，提交其中的.xlsx工作簿。"),
    (b"{\\rtf", "RTF文档（写字板/Word）", "请提交原始的Excel工作簿（.xlsx）。"),
    (b"MZ", "Windows程序（可执行文件）", "请勿打开，请向报送单位核实并索取原始的.xlsx工作簿。"),
    (b"\x7fELF", "可执行程序", "请勿打开，请向报送单位核实并索取原始的.xlsx工作簿。"),
)


def _decode_text(head: bytes) -> str | None:
    """The head as text if it looks like text in a usual encoding, else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head[: len(head) // 2 * 2].decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(enc)
        except UnicodeDecodeError as e:
            if e.start < len(head) - 4:     # only a character cut at the end of the sample is fine
                continue
            text = head[: e.start].decode(enc)
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
        if controls <= len(text) // 100:
            return text
    return None


def describe_bytes(head: bytes, size: int = 0) -> tuple[str, str]:
    """(what the file is, what to do) for a file that is neither zip nor OLE."""
    for magic, what, advice in _BINARY_SIGNATURES:
        if head.startswith(magic):
            return what, advice
    text = _decode_text(head)
    if text is None:
        return "无法识别格式的文件", "可能已损坏或不是工作簿。请在Excel中打开原表格，另存为.xlsx后重新提交。"
    low = text.lstrip("\ufeff \r\n\t").lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in low:
        return "Excel 2003 XML表格", SAVE_AS_XLSX + "（文件类型选“Excel工作簿(*.xlsx)”）。"
    if low.startswith(("<!doctype html", "<html", "<head", "<meta", "<table")) or "<table" in low[:4096] \
            or "<html" in low[:4096]:
        return "网页文件（HTML，常见于从业务系统导出的“.xls”）", SAVE_AS_XLSX + "（文件类型选“Excel工作簿(*.xlsx)”）。"
    if low.startswith("<?xml") or low.startswith("<"):
        return "XML文本文件", SAVE_AS_XLSX + "。"
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    for sep, name in ((",", "逗号分隔的文本文件（CSV）"), ("\t", "制表符分隔的文本文件"), ("，", "逗号分隔的文本文件（CSV）")):
        if lines and sum(1 for ln in lines if sep in ln) >= max(1, len(lines) * 2 // 3):
            return name, SAVE_AS_XLSX + "（最好把数据复制到最新模板的对应工作表中）。"
    return "纯文本文件", "请提交Excel工作簿：" + SAVE_AS_XLSX + "。"


# --------------------------------------------------------------------------
# OLE compound files: legacy .xls, encrypted OOXML, Word 97 …
# --------------------------------------------------------------------------

def _check_ole(path: Path, size: int, lim: dict) -> FileInfo:
    import olefile
    try:
        ole = olefile.OleFileIO(str(path))
    except Exception:  # noqa: BLE001 - olefile raises many kinds on damaged files
        raise reject("文件已损坏（旧版Office复合文档结构不完整），无法读取。可能是附件下载不完整。"
                      "请在Excel中打开并另存为.xlsx后重新提交。", path, "damaged") from None
    try:
        streams = {"/".join(p) for p in ole.listdir(streams=True, storages=True)}
        names = {s.split("/")[0] for s in streams}
    finally:
        ole.close()
    if "EncryptionInfo" in names and "EncryptedPackage" in names:
        if _msoffcrypto_encrypted(path) is not False:
            raise reject(f"{REMOVE_PASSWORD}（Excel：文件→信息→保护工作簿→用密码进行加密，清空密码后保存）。"
                          "本工具不会尝试破解密码。", path, "encrypted")
    if "Workbook" in names or "Book" in names:
        if "Workbook" in names and _msoffcrypto_encrypted(path):
            raise reject(f"{REMOVE_PASSWORD}（这是设置了打开密码的旧版.xls文件：在Excel中去除密码后，"
                          "另存为.xlsx提交）。本工具不会尝试破解密码。", path, "encrypted")
        _check_biff_extent(path, lim, "Workbook" if "Workbook" in names else "Book")
        info = FileInfo(path, "xls", size, has_macros="_VBA_PROJECT_CUR" in names)
        if "Book" in names and "Workbook" not in names:
            info.notes.append("Excel 5.0/95 格式")
        return info
    if "WordDocument" in names:
        what = "Word文档（.doc）"
    elif "PowerPoint Document" in names:
        what = "PowerPoint演示文稿（.ppt）"
    else:
        what = "旧版Office复合文档，但不是Excel工作簿"
    raise reject(f"该文件不是Excel工作簿，而是{what}。请提交填报模板的Excel工作簿（.xlsx）。", path, "not_workbook")


# BIFF8 cell records: (row, col) in their first four bytes; MULRK/MULBLANK end with the last column.
_BIFF_CELLS = {0x0006, 0x0203, 0x0204, 0x00FD, 0x027E, 0x0201, 0x0205, 0x00D6}
_BIFF_MULTI = {0x00BD, 0x00BE}
_BIFF_EOF, _BIFF_BOUNDSHEET = 0x000A, 0x0085


# xlrd (formatting_info) materialises styled blanks, so in a legacy .xls they count.
_XLS_BLANKS = "（旧版.xls中带格式的空白单元格也计算在内，另存为.xlsx则不计）"


def _check_biff_extent(path: Path, lim: dict, stream: str = "Workbook") -> None:
    """Refuse a legacy .xls whose cells reach past the sheet limits (readers allocate the rectangle)."""
    import olefile
    try:
        with olefile.OleFileIO(str(path)) as ole:
            data = ole.openstream(stream).read()
    except Exception:  # noqa: BLE001
        raise reject("文件已损坏（旧版.xls的工作簿数据无法读取）。请在Excel中打开并另存为.xlsx后重新提交。",
                      path, "damaged") from None
    # Readers seek to each sheet's BOF through its BOUNDSHEET record, so we do the same
    # rather than trust one sequential pass (a crafted length could hop over a sheet).
    sheets: dict[int, str] = {}
    for rtype, body, ln in _biff_records(data, 0):
        if rtype == _BIFF_BOUNDSHEET and ln >= 8:
            offset, cch, high = struct.unpack_from("<I", data, body)[0], data[body + 6], data[body + 7] & 1
            raw = data[body + 8: body + 8 + cch * (2 if high else 1)]
            sheets[offset] = raw.decode("utf-16-le" if high else "latin-1", "replace")
    for n, (offset, sheet) in enumerate(sorted(sheets.items()), start=1):
        sheet = sheet or f"第{n}个工作表"
        max_row = max_col = 0
        for rtype, body, ln in _biff_records(data, offset):
            if ln >= 4 and (rtype in _BIFF_CELLS or rtype in _BIFF_MULTI):
                row, col = struct.unpack_from("<HH", data, body)
                if rtype in _BIFF_MULTI and ln >= 6:
                    col = struct.unpack_from("<H", data, body + ln - 2)[0]
                max_row, max_col = max(max_row, row + 1), max(max_col, col + 1)
                if max_row > lim["max_rows_per_sheet"]:
                    raise too_big(path, sheet, f"的单元格至少延伸到第{max_row}行{_XLS_BLANKS}", lim)
                if max_col > lim["max_columns_per_sheet"]:
                    raise too_big(path, sheet, f"的单元格至少延伸到第{max_col}列{_XLS_BLANKS}", lim)


def _biff_records(data: bytes, pos: int):
    """(type, body offset, length) of the records of one substream, from its BOF to its EOF."""
    end = len(data)
    while pos + 4 <= end:
        rtype, ln = struct.unpack_from("<HH", data, pos)
        if pos + 4 + ln > end:
            raise struct.error("record runs past the end of the stream")
        yield rtype, pos + 4, ln
        if rtype == _BIFF_EOF:
            return
        pos += 4 + ln


def _msoffcrypto_encrypted(path: Path) -> bool | None:
    """msoffcrypto-tool's verdict (True/False), None if it cannot tell. Never tries a password."""
    import msoffcrypto
    try:
        with open(path, "rb") as fh:
            return bool(msoffcrypto.OfficeFile(fh).is_encrypted())
    except Exception:  # noqa: BLE001 - a damaged stream: no verdict
        return None


# --------------------------------------------------------------------------
# Zip (OOXML) packages
# --------------------------------------------------------------------------

def damaged(path: Path, detail: str) -> InputRejected:
    return reject(f"文件已损坏（{detail}），无法读取。可能是邮件附件下载不完整或保存时中断。"
                   f"请在Excel中打开并重新保存（另存为.xlsx）后提交；如无法打开，请向报送单位索取原文件。", path, "damaged")


def bomb(path: Path, detail: str) -> InputRejected:
    return reject(f"文件解压后大小异常（{detail}），疑似“压缩炸弹”或被篡改的文件，已拒绝读取。"
                   f"{SAVE_AS_XLSX}；如不是本单位制作的文件，请勿打开。", path, "zip_bomb")


def _check_zip(path: Path, size: int, lim: dict) -> FileInfo:
    with open(path, "rb") as fp:
        try:
            endrec = zipfile._EndRecData(fp)   # read before ZipFile builds one object per entry
        except OSError:
            endrec = None
        if not endrec:
            raise damaged(path, "压缩结构不完整，文件可能被截断")
        if endrec[zipfile._ECD_ENTRIES_TOTAL] > lim["max_zip_members"]:
            raise bomb(path, f"包含{endrec[zipfile._ECD_ENTRIES_TOTAL]}个部件，正常工作簿只有几十个")
        try:
            zf = zipfile.ZipFile(fp)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            raise damaged(path, "压缩结构不完整，文件可能被截断") from None
        with zf:
            return _check_package(path, size, zf, lim)


def _check_package(path: Path, size: int, zf: zipfile.ZipFile, lim: dict) -> FileInfo:
    infos = [i for i in zf.infolist() if not i.is_dir()]
    names = {i.filename for i in infos}
    # 1. declared sizes (free to check; a crafted file may lie, so step 3 counts real bytes)
    total = sum(i.file_size for i in infos)
    if total > lim["max_unzipped_bytes"]:
        raise bomb(path, f"声明解压后共{mib(total)}，上限{mib(lim['max_unzipped_bytes'])}")
    for i in infos:
        if i.file_size >= lim["ratio_check_from_bytes"] and \
                i.file_size > lim["max_member_ratio"] * max(i.compress_size, 1):
            raise bomb(path, f"部件“{i.filename}”压缩比为{i.file_size // max(i.compress_size, 1)}:1，"
                              f"上限{lim['max_member_ratio']}:1")
        if i.flag_bits & 0x1:
            raise reject(f"{REMOVE_PASSWORD}（压缩包设置了密码）。本工具不会尝试破解密码。", path, "encrypted")

    # 2. is it a spreadsheet package at all?
    for is_it, check_it in OTHER_PACKAGES:       # .ods (guard/ods.py builds on this module and registers)
        if is_it(zf, names):
            return check_it(path, size, zf, lim)
    main = _main_part(zf, names, path)
    if main.endswith(".bin"):
        raise reject(f"该文件是Excel二进制工作簿（.xlsb），本工具不读取该格式。{SAVE_AS_XLSX}。", path, "not_workbook")
    content_types = small_xml(zf, P.CONTENT_TYPES, path)
    kind = "xlsx"
    if content_types is not None:
        for el in content_types:
            if el.get("PartName", "").lstrip("/") == main:
                kind = OOXML_MAIN_TYPES.get(el.get("ContentType", ""), "xlsx")
    has_macros = any(n.lower().endswith("vbaproject.bin") or n.startswith("xl/macrosheets/") for n in names)
    if has_macros:
        kind = "xlsm"
    sheets, sheet_parts = _sheet_parts(zf, main, names, path)

    # 3. real sizes and XML safety, streaming with a byte budget
    budget = lim["max_unzipped_bytes"]
    for i in infos:
        sheet = sheet_parts.get(i.filename)
        budget -= scan_member(zf, i, budget, path, lim, sheet, xml=is_xml(i.filename))
    return FileInfo(path, kind, size, has_macros=has_macros, sheets=tuple(sheets),
                    has_external_links=any(n.startswith("xl/externalLinks/") for n in names))


def is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def _main_part(zf: zipfile.ZipFile, names: set[str], path: Path) -> str:
    """The officeDocument part named by _rels/.rels, or a refusal saying what the zip is."""
    rels = small_xml(zf, "_rels/.rels", path) if "_rels/.rels" in names else None
    target = P.main_part(rels)
    if target in names and target.startswith("xl/"):
        return target
    if "xl/workbook.xml" in names:
        return "xl/workbook.xml"
    if "word/document.xml" in names:
        what, advice = "Word文档（.docx）", "请提交填报模板的Excel工作簿（.xlsx）。"
    elif "ppt/presentation.xml" in names:
        what, advice = "PowerPoint演示文稿（.pptx）", "请提交填报模板的Excel工作簿（.xlsx）。"
    elif "mimetype" in names:
        mime = zf.read("mimetype")[:100] if zf.getinfo("mimetype").file_size <= 100 else b""
        if b"spreadsheet" in mime:
            what, advice = "OpenDocument电子表格（.ods，WPS/LibreOffice格式）", \
                "请在WPS或LibreOffice中另存为Excel工作簿（.xlsx）后重新提交。"
        else:
            what, advice = "OpenDocument文档（.odt/.odp）", "请提交填报模板的Excel工作簿（.xlsx）。"
    elif any(n.lower().endswith((".xlsx", ".xlsm", ".xls")) for n in names):
        what, advice = "装有工作簿的ZIP压缩包", "请先解压，单独提交其中的.xlsx工作簿。"
    else:
        what, advice = "ZIP压缩包或其他文件", "请提交填报模板的Excel工作簿（.xlsx）。"
    renamed = "（可能只是改了扩展名）" if path.suffix.lower() in WORKBOOK_SUFFIXES else ""
    raise reject(f"该文件不是Excel工作簿，而是{what}{renamed}。{advice}", path, "not_workbook")


def small_xml(zf: zipfile.ZipFile, name: str, path: Path, cap: int = 16 * 1048576):
    """Parse a small package part safely (no DTDs, bounded size); None if absent."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    data = guarded_zip_read(zf, info, cap, path)
    try:
        return DET.fromstring(data)
    except DefusedXmlException:
        raise dtd_refusal(path, name) from None
    except Exception:  # noqa: BLE001 - ParseError and friends
        raise damaged(path, f"内部部件“{name}”不是有效的XML") from None


def guarded_zip_read(zf: zipfile.ZipFile, member: str | zipfile.ZipInfo, limit: int, path: Path | str = "") -> bytes:
    """Read one zip member fully, but never more than ``limit`` inflated bytes (sizes may lie)."""
    info = member if isinstance(member, zipfile.ZipInfo) else zf.getinfo(member)
    path = Path(path or zf.filename or "")
    if info.file_size > limit:
        raise bomb(path, f"部件“{info.filename}”声明解压后{mib(info.file_size)}，上限{mib(limit)}")
    out = bytearray()
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                out += chunk
                if len(out) > limit:
                    raise bomb(path, f"部件“{info.filename}”解压后超过{mib(limit)}")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as e:
        raise damaged(path, f"内部部件“{info.filename}”无法解压：{zip_error(e)}") from None
    return bytes(out)


def zip_error(e: Exception) -> str:
    text = str(e)
    if "CRC" in text:
        return "内容校验失败"
    if isinstance(e, NotImplementedError):
        return "使用了不支持的压缩方式"
    return "数据不完整"


def _sheet_parts(zf, main: str, names: set[str], path: Path) -> tuple[list[str], dict[str, str]]:
    """Sheet names in order and {part name: sheet name} for the worksheets."""
    wb = small_xml(zf, main, path)
    rels_name = P.rels_path(main)
    rels = small_xml(zf, rels_name, path) if rels_name in names else None
    named = P.sheet_parts(wb, rels, main) if wb is not None else []
    sheets = [name for name, _ in named]
    parts = {part: name for name, part in named if part}
    for n in names:   # worksheets the rels do not name still get the size checks
        if n.startswith("xl/worksheets/") and n.endswith(".xml") and n not in parts:
            parts[n] = posixpath.basename(n)
    return sheets, parts


# --------------------------------------------------------------------------
# Streaming scan of one member: real size, DTD, sheet size
# --------------------------------------------------------------------------

class _Stop(Exception):
    pass


class Doctype(Exception):
    pass


def dtd_refusal(path: Path, part: str) -> InputRejected:
    return reject(f"文件内部的XML部件“{part}”含有文档类型定义（DTD/实体声明）。Excel保存的文件不会有这种内容，"
                   f"可能是恶意构造的文件（如“实体膨胀”攻击），已拒绝读取。{SAVE_AS_XLSX}。", path, "xml_dtd")


class _SheetExtent:
    """Where a worksheet's content really reaches, from its streamed XML.

    A sheet is judged by its cells with content, not by its extent: styled blank rows and
    cells (``<row r="1048576" s="3"/>``, ``<c r="XFD9" s="1"/>``), whole-column formats and a
    ``<dimension>`` of A1:XFD1048576 are formatting, which python-calamine skips (measured:
    a 1,048,576-row styled sheet reads in ~13 MB).  Cells with content are what a reader
    allocates: calamine takes the rectangle up to the farthest one, so a value at A1 and
    one at XFD1048576 would ask for 17 billion cells.  Those positions are replayed the
    way a reader does: explicit r="B7" where given, else the next row / next column.
    Tags are never split between chunks: each pass stops at the last "<" ("<" cannot
    occur inside a tag), the rest waits for the next chunk.  A cell "has content" unless
    its tag is self-closing (``<c r="B7" s="1"/>``).

    Replaying tag by tag in Python is slow on big sheets, so each chunk first gets a
    few C-speed passes (``_Fast``): when every cell and row tag in it is the plain
    ``<c r="B7"`` / ``<row r="7"`` form and no cell with content lies beyond the limits,
    counting the tags gives the same verdict as the replay.  Anything else in the chunk
    (tags without r=, namespace prefixes, odd refs, content past the limits) sends that
    chunk through the replay, which also words the refusal.
    """
    TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?(row|c)(?=[\s/>])([^<]*)")
    REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{0,3})(\d{1,9})["']""")

    def __init__(self, lim: dict):
        self.rows = self.cells = 0           # tags seen
        self.values = 0                      # cells with content
        self.max_row = self.max_col = 0      # farthest content (replayed chunks; fast ones stay within limits)
        self.far: tuple[int, int] | None = None   # the first cell with content past the limits
        self._row = self._col = 0
        self._tail = b""
        self._max_rows, self._max_cols = lim["max_rows_per_sheet"], lim["max_columns_per_sheet"]
        self._fast = _Fast.for_limits(self._max_rows, self._max_cols)

    def feed(self, chunk: bytes, final: bool = False) -> None:
        data = self._tail + chunk
        cut = len(data) if final else data.rfind(b"<")
        if cut <= 0:
            if len(data) <= 1 << 20:
                self._tail = data
                return
            cut = len(data)                  # one giant "tag": not a sheet we read
        self._tail = data[cut:]
        if not self._counted(data, cut):
            self._replay(data, cut)

    def _counted(self, data: bytes, end: int) -> bool:
        """Count the chunk's tags if they are all plain and their content within limits; False if it needs the replay."""
        f = self._fast
        if f.PREFIXED.search(data, 0, end) or f.ODD_CELL.search(data, 0, end) or f.ODD_ROW.search(data, 0, end) \
                or f.far_value.search(data, 0, end):
            return False
        cells = data.count(b'<c r="', 0, end)
        self.cells += cells
        self.values += cells - len(f.SELF_CLOSED.findall(data, 0, end))
        self.rows += data.count(b'<row r="', 0, end)
        # the replay of a later chunk goes on from this chunk's last tag
        last_c, last_row = data.rfind(b'<c r="', 0, end), data.rfind(b'<row r="', 0, end)
        if last_c > last_row:
            m = _Fast.CELL.match(data, last_c)
            self._col, self._row = column_number(m.group(1).decode()), int(m.group(2))
        elif last_row >= 0:
            self._row, self._col = int(_Fast.ROW.match(data, last_row).group(1)), 0
        return True

    def _replay(self, data: bytes, end: int) -> None:
        for m in self.TAG.finditer(data, 0, end):
            rest = m.group(2)
            close = rest.find(b">")
            attrs = rest[:close] if close >= 0 else rest
            ref = self.REF.search(attrs)
            if m.group(1) == b"row":
                self.rows += 1
                self._row = int(ref.group(2)) if ref else self._row + 1
                self._col = 0
                continue
            self.cells += 1
            if ref and ref.group(1):
                self._col = column_number(ref.group(1).upper().decode())
                self._row = int(ref.group(2))
            else:
                self._col += 1
            if attrs.endswith(b"/"):
                continue                     # a styled blank: formatting, not content
            self.values += 1
            self.max_row, self.max_col = max(self.max_row, self._row), max(self.max_col, self._col)
            if self.far is None and (self._row > self._max_rows or self._col > self._max_cols):
                self.far = (self._row, self._col)

    def check(self, sheet: str, path: Path, lim: dict) -> None:
        max_rows, max_cols = lim["max_rows_per_sheet"], lim["max_columns_per_sheet"]
        where = f"（如单元格{column_letter(min(self.far[1], 18278))}{self.far[0]}）" if self.far else ""
        if self.max_row > max_rows:
            raise too_big(path, sheet, f"的内容至少延伸到第{self.max_row}行{where}", lim)
        if self.max_col > max_cols:
            raise too_big(path, sheet, f"的内容至少延伸到第{self.max_col}列{where}", lim)
        most = lim["max_value_cells_per_sheet"]
        if self.values > most:
            raise reject(f"工作表“{sheet}”有超过{most}个填有内容的单元格（已数到{self.values}个），"
                          f"远超任何填报表格，已拒绝读取。请只保留填报数据（或把数据复制到最新模板）后重新提交。",
                          path, "too_many_values")


class _Fast:
    """The patterns of the counting pass for one pair of limits.

    ``ODD_CELL`` / ``ODD_ROW`` find any cell or row tag that is not the plain form with an
    explicit position; ``far_value`` finds a plain cell with content (not self-closing)
    past the limits.  Plain refs are what Excel writes: 1-3 upper-case letters, 1-9
    digits without a leading zero, double quotes — the forms the replay's REF reads the same way.
    """
    CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,8})"')
    ROW = re.compile(rb'<row r="([1-9][0-9]{0,8})"')
    ODD_CELL = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]{1,3}[1-9][0-9]{0,8}")')
    ODD_ROW = re.compile(rb'<row(?=[\s/>])(?! r="[1-9][0-9]{0,8}")')
    SELF_CLOSED = re.compile(rb'<c r="[^>]*/>')
    PREFIXED = re.compile(rb":(?:c|row)")     # <x:c …>: a namespace prefix hides a tag from the patterns
    _cache: dict = {}

    def __init__(self, max_rows: int, max_cols: int):
        row_ok = _at_most(str(max_rows) if max_rows > 0 else "", "0123456789", first="1", longest=9).encode()
        widest = column_letter(min(max_cols, 18278)) if max_cols > 0 else ""     # ZZZ: refs have ≤ 3 letters
        col_ok = _at_most(widest, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", first="A", longest=3).encode()
        # (?=([^>]*))\1 is [^>]*+ for Python < 3.11: no backtracking through a styled blank's attributes
        self.far_value = re.compile(rb'<c r="(?!(?:%s)(?:%s)")(?=([^>]*))\1(?<!/)>' % (col_ok, row_ok))

    @classmethod
    def for_limits(cls, max_rows: int, max_cols: int) -> "_Fast":
        key = (max_rows, max_cols)
        if key not in cls._cache:
            cls._cache[key] = cls(max_rows, max_cols)
        return cls._cache[key]


def _at_most(limit: str, alphabet: str, first: str, longest: int) -> str:
    """A regex for the tokens over ``alphabet`` (in order; a token starts with ``first`` or a
    later character, so a longer token is larger) of at most ``longest`` characters that are
    not larger than ``limit`` ("" allows none).  What follows a token must not be in ``alphabet``."""
    top = alphabet[-1]
    lead = f"[{first}-{top}]"
    if len(limit) > longest:                     # every token is within the limit
        return f"{lead}[{alphabet[0]}-{top}]{{0,{longest - 1}}}"
    if not limit:
        return "(?!)"
    n = len(limit)
    parts = [f"{lead}[{alphabet[0]}-{top}]{{0,{n - 2}}}"] if n >= 2 else []     # shorter
    for i, ch in enumerate(limit):               # as long: agree up to i, then smaller
        low = first if i == 0 else alphabet[0]
        if ch > low:
            below = chr(ord(ch) - 1)
            parts.append(f"{limit[:i]}[{low}-{below}][{alphabet[0]}-{top}]{{{n - i - 1}}}")
    parts.append(limit)
    return "|".join(parts)


def scan_member(zf, info, budget: int, path: Path, lim: dict, sheet: str | None, xml: bool) -> int:
    """Inflate one member in chunks; returns its real size. Refuses on budget, DTD or sheet size."""
    prolog = _Prolog(sheet is not None) if xml else None
    extent = _SheetExtent(lim) if sheet is not None else None
    n = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                n += len(chunk)
                if n > budget:
                    raise bomb(path, f"实际解压后超过{mib(lim['max_unzipped_bytes'])}")
                if prolog is not None and not prolog.done:
                    try:
                        prolog.feed(chunk, n)
                    except Doctype:
                        raise dtd_refusal(path, info.filename) from None
                if extent is not None:
                    extent.feed(chunk)
                    extent.check(sheet, path, lim)
            if extent is not None:
                extent.feed(b"", final=True)
                extent.check(sheet, path, lim)
            if prolog is not None and prolog.root and prolog.root[0] == "sst":
                _check_string_count(prolog.root[1], path, lim)
    except InputRejected:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as e:
        raise damaged(path, f"内部部件“{info.filename}”无法解压：{zip_error(e)}") from None
    return n


def cell_tags(path: str | os.PathLike, lim: dict | None = None) -> dict[str, int]:
    """{sheet name: cells in its XML, styled blanks included} of a package that passed ``check_file``.

    What a reader that builds one object per cell (openpyxl) would hold; streamed, never held.
    """
    path, lim = Path(path), lim or input_limits()
    out: dict[str, int] = {}
    with zipfile.ZipFile(path) as zf:
        names = {i.filename for i in zf.infolist()}
        _, parts = _sheet_parts(zf, _main_part(zf, names, path), names, path)
        for part, sheet in parts.items():
            if part not in names:
                continue
            ext = _SheetExtent(lim)
            with zf.open(part) as fh:
                while chunk := fh.read(CHUNK):
                    ext.feed(chunk)
            ext.feed(b"", final=True)
            out[sheet] = ext.cells
    return out


def _check_string_count(attrs: dict, path: Path, lim: dict) -> None:
    """calamine reserves memory for the declared uniqueCount before reading a single string."""
    most = lim["max_rows_per_sheet"] * lim["max_columns_per_sheet"]
    for key in ("uniqueCount", "count"):
        value = attrs.get(key, "0")
        if not value.isdigit() or int(value) > most * (1 if key == "uniqueCount" else 100):
            raise reject(f"文件内部数据异常（共享字符串表声明了{value}个字符串，远超任何填报表格），"
                          f"可能已损坏或被篡改，已拒绝读取。{SAVE_AS_XLSX}。", path, "damaged")


class _Prolog:
    """Feeds the start of an XML part to expat: a DOCTYPE raises, the root (or sheetData) ends it."""

    def __init__(self, worksheet: bool):
        self.worksheet = worksheet
        self.done = False
        self.root: tuple[str, dict] | None = None     # local name and attributes of the root element
        p = expat.ParserCreate()
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._doctype
        p.StartElementHandler = self._start
        self.parser = p

    def _doctype(self, *args):
        raise Doctype()

    def _start(self, name, attrs):
        local = name.rsplit(":", 1)[-1]
        if self.root is None:
            self.root = (local, attrs)
        if not self.worksheet or local == "sheetData":
            raise _Stop()
        if local == "dimension":    # a claim, not content: never judged by it
            raise _Stop()

    def feed(self, chunk: bytes, seen: int) -> None:
        try:
            self.parser.Parse(chunk, False)
        except _Stop:
            self.done = True
        except expat.ExpatError:
            # Not well-formed (or an encoding expat lacks): the reader will report it;
            # still refuse a DTD by its bytes.
            self.done = True
            if re.search(rb"<!(DOCTYPE|ENTITY)", chunk[:PROLOG_BYTES], re.I):
                raise Doctype() from None
        if seen >= PROLOG_BYTES:
            self.done = True


def too_big(path: Path, sheet: str, detail: str, lim: dict) -> InputRejected:
    return reject(f"工作表“{sheet}”{detail}，超过填报表格可能用到的{lim['max_rows_per_sheet']}行×"
                   f"{lim['max_columns_per_sheet']}列，已拒绝读取。请删除远处单元格中的内容（或把数据复制到最新模板）后重新提交。",
                   path, "too_big_sheet")


# --------------------------------------------------------------------------
# Not our template
# --------------------------------------------------------------------------

def describe_missing(spec, found_sheets: Iterable[str], missing_tables: Iterable = ()) -> str:
    """Chinese sentence for a workbook with none (or not all) of the template's tables.

    ``found_sheets``: the workbook's sheet names; ``missing_tables``: spec Tables not found.
    """
    found = [s for s in found_sheets]
    missing = list(missing_tables)
    sheet_names = []
    for t in missing:
        name = spec.sheet(t.sheet).name
        if name not in sheet_names:
            sheet_names.append(name)
    have = "、".join(f"“{s}”" for s in found[:12]) + ("等" if len(found) > 12 else "") or "（没有工作表）"
    lacking = "、".join(f"“{s}”" for s in sheet_names)
    tables = "、".join(t.name for t in missing)
    return (f"该工作簿不是本填报模板：缺少工作表{lacking}（表格 {tables}）。工作簿中的工作表为：{have}。"
            f"请下载最新模板（xjr template），将数据复制到对应工作表后重新提交。")


def reject_not_template(spec, path, found_sheets: Iterable[str]) -> InputRejected:
    """The InputRejected to raise when NONE of the spec's tables is found."""
    from xjr_excel.spec.definition import attachment_tables
    tables = [t for t in spec.tables if t.sheet == "plan"] + list(attachment_tables(spec))
    return InputRejected(describe_missing(spec, found_sheets, tables), file=str(path), kind="not_template")
