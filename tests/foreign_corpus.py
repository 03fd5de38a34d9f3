"""Workbooks written by programs other than ours, and damaged copies of them (built at test time).

A city's data goes round many programs before it reaches the province.  Each writer here saves
the same filled city workbook (make_corpus.fill_city, written by openpyxl) the way that program
would: its grids copied cell by cell by XlsxWriter, pandas (with both of its writers) and xlwt
(legacy .xls), LibreOffice re-saving it as .xlsx, .xls and .ods, and openpyxl saving it with a
fill on 60,000 blank rows the way it does when lxml is installed.  Then come the files the issue
found: a legacy .xls whose compound-document directory is broken, an .xlsb.  Every one of them is
also truncated and bit-flipped (a fixed seed: the same corpus every run).

``build(folder)`` writes them all and returns {name: path}; ``python tests/foreign_corpus.py DIR``
writes them to look at by hand.
"""
from __future__ import annotations

import random
import re
import shutil
import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
for p in (HERE, HERE / "hostile", HERE.parent):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import make_corpus as mc  # noqa: E402

CITY = "常州市"
FILL_ROWS = 60000


# --------------------------------------------------------------------------
# The city's grids, as other writers get them
# --------------------------------------------------------------------------

def grids(path: Path) -> dict[str, list[list]]:
    """Every sheet's values (what a program copying the data would carry over)."""
    from python_calamine import CalamineWorkbook
    book = CalamineWorkbook.from_path(str(path))
    try:
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names
                if not name.startswith("_xjr_")}
    finally:
        book.close()


def _cell(v):
    """A value every writer takes (dates as Excel shows them, empties as nothing)."""
    if v == "":
        return None
    if hasattr(v, "isoformat") and not isinstance(v, (int, float)):
        return v.isoformat()[:10]
    return v


def write_xlsxwriter(g: dict, out: Path) -> Path:
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(out))
    for name, rows in g.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                v = _cell(v)
                if v is not None:
                    ws.write_string(r, c, v) if isinstance(v, str) else ws.write(r, c, v)
    wb.close()
    return out


def write_pandas(g: dict, out: Path, engine: str) -> Path:
    import pandas as pd
    with pd.ExcelWriter(out, engine=engine) as xw:
        for name, rows in g.items():
            frame = pd.DataFrame([[_cell(v) for v in row] for row in rows]) if rows else pd.DataFrame()
            frame.to_excel(xw, sheet_name=name, header=False, index=False)
    return out


def write_xlwt(g: dict, out: Path) -> Path:
    import xlwt
    wb = xlwt.Workbook(encoding="utf-8")
    for name, rows in g.items():
        ws = wb.add_sheet(name[:31])
        for r, row in enumerate(rows[:65536]):
            for c, v in enumerate(row[:256]):
                v = _cell(v)
                if v is not None:
                    ws.write(r, c, v)
    wb.save(str(out))
    return out


def styled_blank_pairs(src: Path, out: Path, sheet_prefix: str = "附3", rows: int = FILL_ROWS) -> Path:
    """``src`` saved by openpyxl with a fill on ``rows`` blank rows below the sheet's table, its
    styled blanks written as empty pairs ``<c r="A20001" s="31" t="n"></c>`` (openpyxl writes them
    so when lxml is installed; without it, self-closing)."""
    import openpyxl
    from openpyxl.styles import PatternFill
    wb = openpyxl.load_workbook(src)
    ws = wb[next(n for n in wb.sheetnames if n.startswith(sheet_prefix))]
    fill = PatternFill("solid", fgColor="FFFF00")
    start = ws.max_row + 1
    for r in range(start, start + rows):
        ws.cell(r, 1).fill = fill
    tmp = out.with_name("_self_closed_" + out.name)
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<c ([^>]*?) ?/>", rb"<c \1></c>", data)
            zout.writestr(info, data)
    tmp.unlink()
    return out


# --------------------------------------------------------------------------
# Files the issue found
# --------------------------------------------------------------------------

def xls_broken_directory(src: Path, out: Path) -> Path:
    """A legacy .xls whose compound-document directory gives the root entry a mini stream lying
    on the Workbook stream's first sector: olefile reads it, xlrd raises CompDocError
    ("Workbook corruption: seen[0] == 4") and prints its sector map to standard output."""
    data = bytearray(src.read_bytes())
    sector = 1 << struct.unpack_from("<H", data, 30)[0]
    dir_sid = struct.unpack_from("<i", data, 48)[0]
    root = 512 + dir_sid * sector                       # entry 0 of the directory: the root storage
    assert data[root + 66] == 5, "not a root entry"
    workbook_sid = None
    for i in range(1, sector // 128):
        e = root + i * 128
        name = data[e:e + struct.unpack_from("<H", data, e + 64)[0]].decode("utf-16-le", "replace")
        if name.rstrip("\x00") in ("Workbook", "Book"):
            workbook_sid = struct.unpack_from("<i", data, e + 116)[0]
    assert workbook_sid is not None and workbook_sid >= 0
    struct.pack_into("<iI", data, root + 116, workbook_sid, sector)
    out.write_bytes(bytes(data))
    return out


def xlsb(out: Path) -> Path:
    """An Excel binary workbook's package (its main part is xl/workbook.bin)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                   '2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.'
                   'macroEnabled.main"/><Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.'
                   'sheet.binary.macroEnabled.main"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>')
        z.writestr("xl/workbook.bin", b"\x83\x01\x00\x80\x01\x00")
    return out


# --------------------------------------------------------------------------
# Damage
# --------------------------------------------------------------------------

def truncated(src: Path, out: Path, keep: float = 0.6) -> Path:
    data = src.read_bytes()
    out.write_bytes(data[: max(1, int(len(data) * keep))])
    return out


def bit_flipped(src: Path, out: Path, seed: int, flips: int = 8, last: int = 0) -> Path:
    """``flips`` bits flipped at places drawn from ``seed`` (never the first 8 bytes: the file
    still says what it is, so the damage is found inside, where it is harder); with ``last``, only
    in the last bytes (a zip's central directory: sizes, offsets, versions)."""
    data = bytearray(src.read_bytes())
    rng = random.Random(seed)
    start = max(8, len(data) - last) if last else 8
    for _ in range(flips):
        i = rng.randrange(start, len(data))
        data[i] ^= 1 << rng.randrange(8)
    out.write_bytes(bytes(data))
    return out


# --------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------

def writers(folder: Path) -> dict[str, Path]:
    """The city workbook as each writer saves it: {name: path}."""
    import office
    folder.mkdir(parents=True, exist_ok=True)
    src = mc.fill_city(folder / f"{CITY}-openpyxl.xlsx", city=CITY)
    g = grids(src)
    made = {"openpyxl": src,
            "xlsxwriter": write_xlsxwriter(g, folder / f"{CITY}-xlsxwriter.xlsx"),
            "pandas_openpyxl": write_pandas(g, folder / f"{CITY}-pandas-openpyxl.xlsx", "openpyxl"),
            "pandas_xlsxwriter": write_pandas(g, folder / f"{CITY}-pandas-xlsxwriter.xlsx", "xlsxwriter"),
            "xlwt": write_xlwt(g, folder / f"{CITY}-xlwt.xls"),
            "openpyxl_styled_blanks": styled_blank_pairs(src, folder / f"{CITY}-fill-60000.xlsx")}
    for fmt in ("xlsx", "xls", "ods"):
        sub = folder / f"lo-{fmt}"
        sub.mkdir(exist_ok=True)
        out = office.convert(src, sub, fmt)
        made[f"libreoffice_{fmt}"] = out.rename(folder / f"{CITY}-libreoffice.{fmt}")
        sub.rmdir()
    made["xls_broken_directory"] = xls_broken_directory(made["xlwt"], folder / f"{CITY}-directory-broken.xls")
    made["xlsb"] = xlsb(folder / f"{CITY}.xlsb")
    return made


def build(folder: Path) -> dict[str, Path]:
    """Every writer's file, a truncated copy of each, one bit-flipped anywhere and one at its end: {name: path}."""
    made = writers(folder / "written")
    damaged = folder / "damaged"
    damaged.mkdir(parents=True, exist_ok=True)
    out = dict(made)
    for n, (name, path) in enumerate(sorted(made.items())):
        out[f"{name}~truncated"] = truncated(path, damaged / f"截断-{path.name}")
        out[f"{name}~flipped"] = bit_flipped(path, damaged / f"翻转-{path.name}", seed=100 * n + 1)
        out[f"{name}~flipped_end"] = bit_flipped(path, damaged / f"尾部翻转-{path.name}", seed=100 * n + 2, flips=4,
                                                 last=2048)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "foreign-corpus")
    for name, path in build(target).items():
        print(f"{name:40} {path}")
