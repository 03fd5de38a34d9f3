"""A static check of the limits Excel enforces on an .xlsx/.xlsm package, beyond what the OOXML schema says.

LibreOffice and openpyxl accept files that Excel "repairs" on open ("We found a
problem with some content … Removed Feature: Data validation"), so our own
readers cannot catch these.  Each check reads the package with ``zipfile`` +
ElementTree and cites where its limit comes from (:data:`SOURCES`).

    problems = check_package("x.xlsx")           # [] when Excel would open it cleanly
    problems = check_package("x.xlsx", only={"sheet_names"})

The numbers are written here on purpose, not imported from the package, so a
wrong constant in the code cannot make its own test pass.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from openpyxl.utils.cell import column_index_from_string, range_boundaries

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "x14": "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main",
    "xm": "http://schemas.microsoft.com/office/excel/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
    "x": "urn:schemas-microsoft-com:office:excel",
}
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
OFFICE_DOCUMENT = REL + "officeDocument"

# ---------------------------------------------------------------- limits and their sources

DV_ERROR_MAX = 224          # [MS-OI29500] 2.1.613 c
DV_ERROR_TITLE_MAX = 32     # [MS-OI29500] 2.1.613 d
DV_PROMPT_TITLE_MAX = 32    # [MS-OI29500] 2.1.613 e
DV_PROMPT_MAX = 255         # [MS-OI29500] 2.1.613 a
DV_LIST_LITERAL_MAX = 255   # XlsxWriter data_validation(); Apache POI PR #187
SHEET_NAME_MAX = 31         # [MS-OI29500] 2.1.578 a
SHEET_NAME_BAD = set('[]:*?/\\')
NAME_MAX = 255              # [MS-OI29500] 2.1.568 k
CELL_TEXT_MAX = 32767       # Excel specifications and limits: characters in a cell

SOURCES = {
    "validation_texts": "[MS-OI29500] 2.1.613 (Part 1 §18.3.1.32 dataValidation): error ≤ 224, errorTitle ≤ 32, "
                        "promptTitle ≤ 32, prompt ≤ 255 characters; same for x14:dataValidation "
                        "([MS-XLSX] 2.6.x extension, identical strings)",
    "list_literals": "a list typed into the rule (formula1 in quotes) ≤ 255 characters: XlsxWriter docs "
                     "(Working with Data Validation, 'source'), Apache POI PR #187, [MS-XLS] 2.4.117 DV",
    "table_columns": "[ISO/IEC 29500-1] §18.5.1.3 tableColumn name is the header cell's text and unique in the "
                     "table; Excel repairs mismatches ('Repaired Records: Table'); openpyxl docs "
                     "(worksheet tables: headings must equal the header cells)",
    "names": "[MS-OI29500] 2.1.568 k (definedName 1..255 characters); Excel's name rules (support.microsoft.com "
             "'Names in formulas', 'Rename an Excel table'): start with a letter, _ or \\, then letters, digits, "
             "_ . \\; not a cell reference; table and defined names unique in the workbook, case-insensitively",
    "tables_over_merged": "Excel refuses tables over merged cells ('A table can't overlap a range that contains "
                          "merged cells') and repairs files that have them",
    "cf_other_sheets": "Excel 2007 refuses conditional formats that reference other worksheets ('You cannot use "
                       "references to other worksheets'); Excel 2010+ moves them to an x14 extension other "
                       "tools drop: reach other sheets only through defined names",
    "sheet_names": "[MS-OI29500] 2.1.578 a, d: ≤ 31 characters, none of []:*?/\\, not starting or ending with ', "
                   "unique case-insensitively; 'History' is reserved (Excel: 'This name is reserved')",
    "notes_vml": "[ISO/IEC 29500-1] Part 3 primer 'SpreadsheetML Comments' / Part 4 §6.4 VML - SpreadsheetML "
                 "Drawing: a note's box is the VML shape (legacyDrawing, x:ClientData ObjectType=Note at its "
                 "row/column; Apache POI XSSFVMLDrawing.findCommentShape); without it Excel shows no note",
    "style_indexes": "[ISO/IEC 29500-1] §18.3.1.4 c@s, §18.3.1.73 row@s, §18.3.1.13 col@style: a zero-based "
                     "index into styles.xml cellXfs; out of range → Excel repairs the styles part",
    "cell_text": "Excel specifications and limits: total number of characters a cell can contain 32,767",
    "sheet_modules": "[MS-OVBA] 2.3.1.7 ProjectDocModule / 2.3.4.2.3.2.8 MODULETYPE 0x0022: with a VBA project, "
                     "Excel keeps one document module per worksheet named by <sheetPr codeName> "
                     "([ISO/IEC 29500-1] §18.3.1.82); a missing one Excel adds on open and asks to save on close "
                     "(EPPlus writes them for the same reason)",
}

CHECKS = tuple(SOURCES)


@dataclass(frozen=True)
class Problem:
    check: str
    part: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.part} {self.where}: {self.detail}"


# ---------------------------------------------------------------- the package

class Package:
    """The parts of a spreadsheet package that the checks need, resolved through relationships."""

    def __init__(self, path):
        self.path = Path(path)
        with zipfile.ZipFile(self.path) as z:
            self.files = {n: z.read(n) for n in z.namelist()}
        self.workbook_part = next(t for t, typ in self.rels("") if typ == OFFICE_DOCUMENT)
        self.workbook = self.xml(self.workbook_part)
        wb_rels = {rid: t for rid, t, _ in self.rels_with_ids(self.workbook_part)}
        self.sheets: list[tuple[str, str, str]] = []     # (name, part, state)
        for s in self.workbook.findall("m:sheets/m:sheet", NS):
            part = wb_rels.get(s.get(f"{{{NS['r']}}}id"))
            self.sheets.append((s.get("name"), part, s.get("state", "visible")))
        self.shared = self._shared_strings()

    def xml(self, part: str) -> ET.Element:
        return ET.fromstring(self.files[part])

    def rels_with_ids(self, part: str) -> list[tuple[str, str, str]]:
        d, name = posixpath.split(part)
        rels = posixpath.join(d, "_rels", name + ".rels")
        if rels not in self.files:
            return []
        out = []
        for r in ET.fromstring(self.files[rels]).findall("pr:Relationship", NS):
            if r.get("TargetMode") == "External":
                continue
            target = r.get("Target")
            full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(d, target))
            out.append((r.get("Id"), full, r.get("Type")))
        return out

    def rels(self, part: str) -> list[tuple[str, str]]:
        return [(t, typ) for _, t, typ in self.rels_with_ids(part)]

    def related(self, part: str, kind: str) -> list[str]:
        return [t for t, typ in self.rels(part) if typ == REL + kind]

    def _shared_strings(self) -> list[str]:
        parts = self.related(self.workbook_part, "sharedStrings")
        if not parts or parts[0] not in self.files:
            return []
        return [text_of(si) for si in self.xml(parts[0]).findall("m:si", NS)]

    def worksheets(self):
        """(name, part, root) of every worksheet (chart sheets and the like are skipped)."""
        for name, part, _state in self.sheets:
            if part in self.files and self.files[part].lstrip()[:200].find(b"worksheet") >= 0:
                yield name, part, self.xml(part)

    def cell_text(self, c: ET.Element) -> str | None:
        t = c.get("t")
        if t == "s":
            v = c.find("m:v", NS)
            return self.shared[int(v.text)] if v is not None and v.text else None
        if t == "inlineStr":
            is_ = c.find("m:is", NS)
            return text_of(is_) if is_ is not None else None
        v = c.find("m:v", NS)
        return v.text if v is not None else None


def text_of(el: ET.Element) -> str:
    """Text of a string item: plain <t> or rich-text runs (phonetic runs excluded)."""
    direct = el.find("m:t", NS)
    if direct is not None:
        return direct.text or ""
    return "".join(t.text or "" for t in el.findall("m:r/m:t", NS))


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """OOXML's _xHHHH_ escapes (ST_Xstring) to characters."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text or "")


# ---------------------------------------------------------------- A1 helpers

def box(ref: str) -> tuple[int, int, int, int]:
    """(row1, col1, row2, col2) of 'A1' or 'A1:C3'."""
    c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
    return r1, c1, r2, c2


def overlaps(p, q) -> bool:
    return not (p[2] < q[0] or q[2] < p[0] or p[3] < q[1] or q[3] < p[1])


# ---------------------------------------------------------------- the checks

def _validations(pkg: Package):
    """(sheet, part, element, formula1 text) of every data validation, plain and x14."""
    for name, part, root in pkg.worksheets():
        for dv in root.findall("m:dataValidations/m:dataValidation", NS):
            f1 = dv.find("m:formula1", NS)
            yield name, part, dv, (f1.text if f1 is not None else None), dv.get("sqref", "")
        for dv in root.iter(f"{{{NS['x14']}}}dataValidation"):
            f1 = dv.find("x14:formula1/xm:f", NS)
            sq = dv.find("xm:sqref", NS)
            yield name, part, dv, (f1.text if f1 is not None else None), (sq.text if sq is not None else "")


def check_validation_texts(pkg: Package) -> list[Problem]:
    out = []
    limits = (("errorTitle", DV_ERROR_TITLE_MAX), ("error", DV_ERROR_MAX),
              ("promptTitle", DV_PROMPT_TITLE_MAX), ("prompt", DV_PROMPT_MAX))
    for sheet, part, dv, _f1, sqref in _validations(pkg):
        for attr, limit in limits:
            text = unescape(dv.get(attr) or "")
            if len(text.encode("utf-16-le")) // 2 > limit:
                out.append(Problem("validation_texts", part, f"{sheet}!{sqref} @{attr}",
                                   f"{len(text)} characters > {limit}: {text[:40]}…"))
    return out


def check_list_literals(pkg: Package) -> list[Problem]:
    out = []
    for sheet, part, dv, f1, sqref in _validations(pkg):
        if dv.get("type") != "list" or not f1 or not f1.startswith('"'):
            continue
        items = f1[1:-1].replace('""', '"')
        if len(items) > DV_LIST_LITERAL_MAX:
            out.append(Problem("list_literals", part, f"{sheet}!{sqref}",
                               f"inline list of {len(items)} characters > {DV_LIST_LITERAL_MAX}"))
    return out


def _tables(pkg: Package):
    for name, part, root in pkg.worksheets():
        for t in pkg.related(part, "table"):
            if t in pkg.files:
                yield name, part, root, t, pkg.xml(t)


def check_table_columns(pkg: Package) -> list[Problem]:
    out = []
    for sheet, _part, root, tpart, table in _tables(pkg):
        r1, c1, _r2, c2 = box(table.get("ref"))
        cols = [unescape(tc.get("name")) for tc in table.findall("m:tableColumns/m:tableColumn", NS)]
        if len(cols) != c2 - c1 + 1:
            out.append(Problem("table_columns", tpart, table.get("ref"),
                               f"{len(cols)} columns declared for a range {c2 - c1 + 1} wide"))
        dups = [n for n, k in Counter(c.lower() for c in cols).items() if k > 1]
        if dups:
            out.append(Problem("table_columns", tpart, table.get("name"), f"duplicate column names {dups}"))
        if table.get("headerRowCount", "1") == "0":
            continue
        header = {}
        for c in root.iter(f"{{{NS['m']}}}c"):
            ref = c.get("r")
            if ref and box(ref)[0] == r1:
                header[box(ref)[1]] = pkg.cell_text(c)
        for i, col_name in enumerate(cols):
            cell = header.get(c1 + i)
            if cell != col_name:
                out.append(Problem("table_columns", tpart, f"{sheet} column {c1 + i} of {table.get('name')}",
                                   f"column name {col_name!r} != header cell {cell!r}"))
    return out


_NAME_OK = re.compile(r"^[A-Za-z_\\\u0080-\uffff][\w.\\\u0080-\uffff]*$")
_CELL_LIKE = re.compile(r"^(?:[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*|[RrCc])$")


def _name_problem(name: str) -> str | None:
    if not 1 <= len(name) <= NAME_MAX:
        return f"length {len(name)} outside 1..{NAME_MAX}"
    if not _NAME_OK.match(name):
        return "must start with a letter, _ or \\ and hold only letters, digits, _ . \\"
    if _CELL_LIKE.match(name):
        m = re.match(r"^([A-Za-z]{1,3})(\d+)$", name)
        if not m or (column_index_from_string(m.group(1).upper()) <= 16384 and int(m.group(2)) <= 1048576):
            return "looks like a cell reference"
    return None


def check_names(pkg: Package) -> list[Problem]:
    out, seen = [], Counter()
    for dn in pkg.workbook.findall("m:definedNames/m:definedName", NS):
        name = dn.get("name")
        if not name.startswith("_xlnm."):
            why = _name_problem(name)
            if why:
                out.append(Problem("names", pkg.workbook_part, name, why))
        seen[(name.lower(), dn.get("localSheetId"))] += 1
    for _sheet, _part, _root, tpart, table in _tables(pkg):
        for attr in ("name", "displayName"):
            why = _name_problem(table.get(attr) or "")
            if why:
                out.append(Problem("names", tpart, f"table {attr} {table.get(attr)!r}", why))
        seen[(table.get("displayName", "").lower(), None)] += 1
    for (name, scope), n in seen.items():
        if n > 1:
            out.append(Problem("names", pkg.workbook_part, name,
                               f"used {n} times (scope {scope or 'workbook'}): names and tables must be unique"))
    return out


def check_tables_over_merged(pkg: Package) -> list[Problem]:
    out = []
    for sheet, _part, root, tpart, table in _tables(pkg):
        tb = box(table.get("ref"))
        for m in root.findall("m:mergeCells/m:mergeCell", NS):
            if overlaps(tb, box(m.get("ref"))):
                out.append(Problem("tables_over_merged", tpart, f"{sheet}!{table.get('ref')}",
                                   f"table {table.get('name')} overlaps merged {m.get('ref')}"))
    return out


_STRINGS = re.compile(r'"(?:[^"]|"")*"')
_SHEET_REF = re.compile(r"(?:'(?:[^']|'')+'|[^\s()=<>&,+\-*/^!:'\"]+)!")


def check_cf_other_sheets(pkg: Package) -> list[Problem]:
    out = []
    for sheet, part, root in pkg.worksheets():
        for cf in root.findall("m:conditionalFormatting", NS):
            for rule in cf.findall("m:cfRule", NS):
                for f in rule.findall("m:formula", NS):
                    bare = _STRINGS.sub('""', f.text or "")
                    if _SHEET_REF.search(bare):
                        out.append(Problem("cf_other_sheets", part, f"{sheet}!{cf.get('sqref')}",
                                           f"rule formula names another sheet: {f.text}"))
    return out


def check_sheet_names(pkg: Package) -> list[Problem]:
    out = []
    names = [n for n, _p, _s in pkg.sheets]
    for n in names:
        why = []
        if not 1 <= len(n) <= SHEET_NAME_MAX:
            why.append(f"length {len(n)} outside 1..{SHEET_NAME_MAX}")
        bad = sorted(set(n) & SHEET_NAME_BAD)
        if bad:
            why.append(f"characters {''.join(bad)} not allowed")
        if n.startswith("'") or n.endswith("'"):
            why.append("starts or ends with '")
        if n.lower() == "history":
            why.append("'History' is reserved")
        if why:
            out.append(Problem("sheet_names", pkg.workbook_part, n, "; ".join(why)))
    for n, k in Counter(n.lower() for n in names).items():
        if k > 1:
            out.append(Problem("sheet_names", pkg.workbook_part, n, f"{k} sheets share this name (case-insensitive)"))
    return out


def check_notes_vml(pkg: Package) -> list[Problem]:
    out = []
    for sheet, part, root in pkg.worksheets():
        comments = pkg.related(part, "comments")
        if not comments:
            continue
        refs = {c.get("ref") for cp in comments if cp in pkg.files
                for c in pkg.xml(cp).findall("m:commentList/m:comment", NS)}
        legacy = root.find("m:legacyDrawing", NS)
        rel_ids = {rid: t for rid, t, _ in pkg.rels_with_ids(part)}
        vml_part = rel_ids.get(legacy.get(f"{{{NS['r']}}}id")) if legacy is not None else None
        if vml_part is None or vml_part not in pkg.files:
            out.append(Problem("notes_vml", part, sheet, f"{len(refs)} notes but no legacyDrawing (VML) part"))
            continue
        vml = ET.fromstring(pkg.files[vml_part])
        shapes = set()
        for cd in vml.iter(f"{{{NS['x']}}}ClientData"):
            if cd.get("ObjectType") != "Note":
                continue
            row, col = cd.find("x:Row", NS), cd.find("x:Column", NS)
            if row is not None and col is not None:
                shapes.add((int(row.text) + 1, int(col.text) + 1))
        for ref in sorted(refs):
            r, c, _, _ = box(ref)
            if (r, c) not in shapes:
                out.append(Problem("notes_vml", vml_part, f"{sheet}!{ref}", "note without its VML shape"))
        if len(shapes) > len(refs):
            out.append(Problem("notes_vml", vml_part, sheet, f"{len(shapes) - len(refs)} note shapes without a note"))
    return out


def check_style_indexes(pkg: Package) -> list[Problem]:
    styles = pkg.related(pkg.workbook_part, "styles")
    xfs = pkg.xml(styles[0]).find("m:cellXfs", NS) if styles else None
    count = len(xfs.findall("m:xf", NS)) if xfs is not None else 0
    out = []
    for sheet, part, root in pkg.worksheets():
        bad = []
        for tag, attr in (("c", "s"), ("row", "s"), ("col", "style")):
            for el in root.iter(f"{{{NS['m']}}}{tag}"):
                s = el.get(attr)
                if s is not None and int(s) >= count:
                    bad.append(f"{tag} {el.get('r') or el.get('min')} {attr}={s}")
        if bad:
            out.append(Problem("style_indexes", part, sheet,
                               f"{len(bad)} style indexes ≥ cellXfs count {count}: {bad[:3]}"))
    return out


def check_cell_text(pkg: Package) -> list[Problem]:
    out = []
    for i, text in enumerate(pkg.shared):
        if len(text.encode("utf-16-le")) // 2 > CELL_TEXT_MAX:
            out.append(Problem("cell_text", "sharedStrings", f"si[{i}]", f"{len(text)} characters > {CELL_TEXT_MAX}"))
    for sheet, part, root in pkg.worksheets():
        for c in root.iter(f"{{{NS['m']}}}c"):
            if c.get("t") in ("inlineStr", "str"):
                text = pkg.cell_text(c) or ""
                if len(text.encode("utf-16-le")) // 2 > CELL_TEXT_MAX:
                    out.append(Problem("cell_text", part, f"{sheet}!{c.get('r')}",
                                       f"{len(text)} characters > {CELL_TEXT_MAX}"))
    return out


def check_sheet_modules(pkg: Package) -> list[Problem]:
    projects = pkg.related(pkg.workbook_part, "vbaProject") or [
        t for t, typ in pkg.rels(pkg.workbook_part) if typ.endswith("/vbaProject")]
    if not projects or projects[0] not in pkg.files:
        return []
    import olefile
    with olefile.OleFileIO(pkg.files[projects[0]]) as ole:
        text = ole.openstream("PROJECT").read().decode("cp1252", "replace")
    documents = set(re.findall(r"^Document=([^/\r\n]+)/", text, re.M))
    wb_pr = pkg.workbook.find("m:workbookPr", NS)
    workbook_name = wb_pr.get("codeName") if wb_pr is not None else None
    out = []
    if workbook_name not in documents:
        out.append(Problem("sheet_modules", pkg.workbook_part, "workbookPr",
                           f"codeName {workbook_name!r} has no document module"))
    sheet_names = []
    for sheet, part, root in pkg.worksheets():
        pr = root.find("m:sheetPr", NS)
        name = pr.get("codeName") if pr is not None else None
        sheet_names.append(name)
        if name not in documents:
            out.append(Problem("sheet_modules", part, sheet, f"codeName {name!r} has no document module"))
    extra = documents - set(sheet_names) - {workbook_name}
    if extra:
        out.append(Problem("sheet_modules", projects[0], "PROJECT", f"document modules without a sheet: {sorted(extra)}"))
    return out


CHECK_FUNCTIONS = {
    "validation_texts": check_validation_texts,
    "list_literals": check_list_literals,
    "table_columns": check_table_columns,
    "names": check_names,
    "tables_over_merged": check_tables_over_merged,
    "cf_other_sheets": check_cf_other_sheets,
    "sheet_names": check_sheet_names,
    "notes_vml": check_notes_vml,
    "style_indexes": check_style_indexes,
    "cell_text": check_cell_text,
    "sheet_modules": check_sheet_modules,
}
assert set(CHECK_FUNCTIONS) == set(SOURCES)


def check_package(path, only=None) -> list[Problem]:
    """Every limit Excel would trip over in the package at ``path`` (``only``: names of checks to run)."""
    pkg = Package(path)
    out = []
    for name, fn in CHECK_FUNCTIONS.items():
        if only is None or name in only:
            out += fn(pkg)
    return out
