"""ooxml/package: the one answer to "which part is this sheet" and "what type is this part",
shared by the guard, the reader, the carry-over repair and the writers."""
import re
import zipfile

import openpyxl
import pytest

from xjr_excel.guard import check as guard
from xjr_excel.ooxml import package as P
from xjr_excel.read.sheet_xml import XlsxParts


def _book(path, titles=("附1", "附3", "其他")):
    wb = openpyxl.Workbook()
    wb.active.title = titles[0]
    for t in titles[1:]:
        wb.create_sheet(t)
    for i, ws in enumerate(wb.worksheets, start=1):
        ws["A1"] = f"sheet {i}"
    wb.save(path)
    return path


def _relative_targets(data: bytes) -> bytes:
    """Sheet relationships relative to the workbook part (worksheets/…), as Excel writes them
    (openpyxl writes absolute part names, /xl/worksheets/…)."""
    return data.replace(b'Target="/xl/worksheets/', b'Target="worksheets/')


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_guard_reader_and_package_agree_on_sheet_parts(tmp_path, relative):
    path = _book(tmp_path / "a.xlsx")
    if relative:
        P.rewrite(path, path, {P.rels_path(P.WORKBOOK_PART): _relative_targets})
    with zipfile.ZipFile(path) as z:
        rels = z.read("xl/_rels/workbook.xml.rels")
        assert (b'Target="worksheets/' in rels) == relative and (b'Target="/xl/worksheets/' in rels) != relative
    with zipfile.ZipFile(path) as z:
        parts = P.read_sheet_parts(z)
    assert list(parts) == ["附1", "附3", "其他"]
    assert all(p.startswith("xl/worksheets/") and p.endswith(".xml") for p in parts.values())
    assert guard.check_file(path).sheets == ("附1", "附3", "其他")
    reader = XlsxParts(path)
    try:
        assert reader.paths == parts
        assert b"sheet 2" in reader.sheet_xml("附3")
    finally:
        reader.close()


def test_content_types_edit_keeps_defaults_first_and_answers_by_part(tmp_path):
    path = _book(tmp_path / "b.xlsx")
    with zipfile.ZipFile(path) as z:
        ct = P.ContentTypes(z.read(P.CONTENT_TYPES))
    assert ct.of(P.WORKBOOK_PART) == P.XLSX_MAIN_CT
    assert ct.of("xl/_rels/workbook.xml.rels").endswith("relationships+xml")       # by extension
    ct.override(P.WORKBOOK_PART, P.XLSM_MAIN_CT)
    ct.default("bin", P.VBA_CT)
    ct.default("BIN", "text/plain")                      # an existing default is kept
    assert ct.changed and ct.of(P.WORKBOOK_PART) == P.XLSM_MAIN_CT and ct.of(P.VBA_PART) == P.VBA_CT
    again = P.ContentTypes(ct.to_bytes())
    kinds = [e.tag.rsplit("}", 1)[-1] for e in again.root]
    assert kinds == sorted(kinds, key=lambda k: k != "Default"), kinds
    assert [o for o in again.overrides if o == P.WORKBOOK_PART] == [P.WORKBOOK_PART]   # updated, not doubled


def test_add_relationship_picks_a_free_id_once(tmp_path):
    path = _book(tmp_path / "c.xlsx")
    with zipfile.ZipFile(path) as z:
        rels = z.read(P.rels_path(P.WORKBOOK_PART))
    before = {r.get("Id") for r in P.relationships(rels)}
    kind = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
    once = P.add_relationship(rels, kind, "vbaProject.bin")
    twice = P.add_relationship(once, kind, "vbaProject.bin")
    added = [r for r in P.relationships(twice) if r.get("Type") == kind]
    assert len(added) == 1 and added[0].get("Id") not in before
    assert P.targets(P.WORKBOOK_PART, twice)[added[0].get("Id")] == P.VBA_PART


def test_rewrite_that_fails_leaves_the_file_and_no_temporary(tmp_path):
    path = _book(tmp_path / "d.xlsx")
    before = path.read_bytes()

    def broken(_data):
        raise ValueError("boom")
    with pytest.raises(ValueError):
        P.rewrite(path, path, {P.WORKBOOK_PART: broken})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.xlsx"]


def test_a_streamed_edit_writes_the_part_like_a_bytes_edit(tmp_path):
    """StreamEdit (the provincial lists' rows, streamed from a temporary file) gives the same
    workbook as building the part in memory: openpyxl reads the cells back."""
    src = tmp_path / "src.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "表"
    wb.save(src)
    with zipfile.ZipFile(src) as z:
        part = P.read_sheet_parts(z)["表"]
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>第{i}行</t></is></c></row>' for i in range(1, 2001))

    def fill(old: bytes) -> bytes:
        return re.sub(rb"<sheetData\s*/>|<sheetData></sheetData>", f"<sheetData>{rows}</sheetData>".encode(), old)

    def stream(old: bytes, out) -> None:
        head, tail = re.split(rb"<sheetData\s*/>|<sheetData></sheetData>", old)
        out.write(head + b"<sheetData>")
        for i in range(0, len(rows), 1000):          # in pieces, as a file is copied
            out.write(rows[i:i + 1000].encode())
        out.write(b"</sheetData>" + tail)
    P.rewrite(src, tmp_path / "bytes.xlsx", {part: fill})
    P.rewrite(src, tmp_path / "stream.xlsx", {part: P.StreamEdit(stream)})
    with zipfile.ZipFile(tmp_path / "bytes.xlsx") as a, zipfile.ZipFile(tmp_path / "stream.xlsx") as b:
        assert a.namelist() == b.namelist() and b.testzip() is None
        assert all(a.read(n) == b.read(n) for n in a.namelist())
    ws = openpyxl.load_workbook(tmp_path / "stream.xlsx")["表"]
    assert ws.max_row == 2000 and ws["A1"].value == "第1行" and ws["A2000"].value == "第2000行"


def test_cell_addresses_and_xml_characters_agree_with_openpyxl():
    """ooxml.cells and safe_text spell what openpyxl's utils do (written out so a click in Excel
    never loads openpyxl): every column, quoting, part names, characters XML cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.packaging.relationship import get_rels_path
    from openpyxl.utils import cell as oc

    from xjr_excel.ooxml import cells as C
    from xjr_excel.ooxml.safe_text import ILLEGAL_XML_CHARS
    for n in range(1, C.MAX_COLUMN + 1):
        letters = oc.get_column_letter(n)
        assert C.column_letter(n) == letters and C.column_number(letters) == n
        assert C.column_number(letters.lower()) == n
    for bad in (0, C.MAX_COLUMN + 1):
        with pytest.raises(ValueError):
            C.column_letter(bad)
    for bad in ("", "AAAA", "A1", "列"):
        with pytest.raises(ValueError):
            C.column_number(bad)
    for sheet in ("附3", "my sheet", "it's", "Sheet1"):
        assert C.quote_sheetname(sheet) == oc.quote_sheetname(sheet)
    assert C.row_col("$AB$12") == (12, 28) and C.row_col("附3") == (0, 0)
    for part in ("xl/workbook.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml"):
        assert P.rels_path(part) == get_rels_path(part)
    assert ILLEGAL_XML_CHARS.pattern == ILLEGAL_CHARACTERS_RE.pattern
