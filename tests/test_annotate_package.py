"""package.carry_over_parts: what openpyxl drops on a round trip comes back.

A synthetic .xlsm the way Excel writes one: a VBA project, the 2010 ribbon
(customUI14.xml with an image of its own), and a dropdown whose list lives on
another sheet stored as an x14 extension with an ``xr:uid`` attribute whose
prefix is declared only on the worksheet root.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

import office as render
from xjr_excel.ooxml.carry_over import carry_over_parts

REL_UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA = b"\xd0\xcf\x11\xe0fake-vba-project" * 20
UI = (b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon><tabs>'
      b'<tab id="xjr" label="\xe5\xb0\x8f\xe5\xb7\xa8\xe4\xba\xba"><group id="g" label="g">'
      b'<button id="b" label="b" image="icon" onAction="XjrValidate"/></group></tab></tabs></ribbon></customUI>')
UI_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
           b'openxmlformats.org/package/2006/relationships"><Relationship Id="icon" Type="http://schemas.'
           b'openxmlformats.org/officeDocument/2006/relationships/image" Target="images/icon.png"/></Relationships>')
PNG = b"\x89PNG\r\n\x1a\nfake"
X14_DV = (b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
          b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
          b'<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
          b'<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
          b'xr:uid="{6B2F5A4E-0000-4000-8000-000000000001}"><x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f>'
          b'</x14:formula1><xm:sqref>B2:B20</xm:sqref></x14:dataValidation></x14:dataValidations></ext>'
          b'<ext uri="{A8765BA9-456A-4dab-B4F3-ACF838C121DE}" '
          b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
          b'<x14:slicerList><x14:slicer r:id="rId9"/></x14:slicerList></ext></extLst>')
XR = (b'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
      b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


def excel_like_xlsm(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"], ws["B1"] = "name", "choice"
    lists = wb.create_sheet("Lists")
    for i, v in enumerate(("是", "否", "不适用"), start=1):
        lists.cell(i, 1, v)
    plain = path.with_suffix(".plain.xlsx")
    wb.save(plain)
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.'
                                    b'vbaProject"/><Default Extension="png" ContentType="image/png"/></Types>')
            elif item.filename == "_rels/.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdUi" Type="' + REL_UI14.encode()
                                    + b'" Target="customUI/customUI14.xml"/></Relationships>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft'
                                    b'.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                                    b"</Relationships>")
            elif item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet ", b"<worksheet " + XR + b" ", 1)
                data = data.replace(b"</worksheet>", X14_DV + b"</worksheet>")
            zout.writestr(item, data)
        zout.writestr("xl/vbaProject.bin", VBA)
        zout.writestr("customUI/customUI14.xml", UI)
        zout.writestr("customUI/_rels/customUI14.xml.rels", UI_RELS)
        zout.writestr("customUI/images/icon.png", PNG)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_ribbon_vba_and_x14_dropdowns_come_back(tmp_path):
    src = excel_like_xlsm(tmp_path / "book.xlsm")
    with pytest.warns(UserWarning, match="Data Validation extension"):
        wb = openpyxl.load_workbook(src, keep_vba=True)
    wb["Data"]["A2"] = "edited"
    dst = tmp_path / "out.xlsm"
    wb.save(dst)
    wb.vba_archive.close()
    dropped = parts(dst)
    assert REL_UI14.encode() not in dropped["_rels/.rels"]          # what openpyxl does on its own
    assert b"x14:dataValidation" not in dropped["xl/worksheets/sheet1.xml"]

    restored = carry_over_parts(src, dst)
    assert "rel:customUI/customUI14.xml" in restored and "ext:Data" in restored
    p = parts(dst)
    assert p["xl/vbaProject.bin"] == VBA and p["customUI/customUI14.xml"] == UI
    assert p["customUI/images/icon.png"] == PNG and p["customUI/_rels/customUI14.xml.rels"] == UI_RELS
    rels = ET.fromstring(p["_rels/.rels"])
    ui = [r for r in rels if r.get("Type") == REL_UI14]
    assert len(ui) == 1 and ui[0].get("Target") == "customUI/customUI14.xml"
    assert len({r.get("Id") for r in rels}) == len(rels)
    ct = p["[Content_Types].xml"]
    assert b'Extension="png"' in ct and b"macroEnabled.main+xml" in ct
    sheet = p["xl/worksheets/sheet1.xml"]
    root = ET.fromstring(sheet)                                        # well-formed, every prefix declared
    ns14 = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}"
    dvs = root.findall(f".//{ns14}dataValidation")
    assert len(dvs) == 1 and root.find(".//{http://schemas.microsoft.com/office/excel/2006/main}sqref").text == "B2:B20"
    assert b"slicerList" not in sheet                                  # points at a part openpyxl dropped: not carried
    assert ET.fromstring(p["xl/worksheets/sheet1.xml"]).tag.endswith("worksheet")
    names = list(p)
    assert len(names) == len(set(names))
    # still a workbook both openpyxl and LibreOffice open, with the edit in it
    again = openpyxl.load_workbook(dst, keep_vba=True)
    assert again["Data"]["A2"].value == "edited"
    again.vba_archive.close()
    render.convert(dst, tmp_path / "pdf")

    # idempotent: a second pass finds nothing to restore
    assert carry_over_parts(src, dst) == []


def test_nothing_to_do_leaves_the_file_alone(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    src = tmp_path / "a.xlsx"
    wb.save(src)
    dst = tmp_path / "b.xlsx"
    openpyxl.load_workbook(src).save(dst)
    before = dst.read_bytes()
    assert carry_over_parts(src, dst) == []
    assert dst.read_bytes() == before


def test_annotate_and_clear_keep_an_excel_saved_xlsm_whole(tmp_path):
    from xjr_excel.annotate.backends import openpyxl_book as A
    from xjr_excel.annotate import plan as P
    from xjr_excel.model import Finding
    src = excel_like_xlsm(tmp_path / "book.xlsm")
    fs = [Finding(src.name, "Data", "B2", "choice", "x", "field.choice", "error", "只能填写：是、否、不适用")]
    out = A.annotate_file(src, tmp_path / "a.xlsm", fs)
    back = A.clear_file(out, tmp_path / "c.xlsm")
    for path in (out, back):
        p = parts(path)
        assert p["xl/vbaProject.bin"] == VBA and p["customUI/customUI14.xml"] == UI
        assert REL_UI14.encode() in p["_rels/.rels"]
        sheets = [n for n in p if n.startswith("xl/worksheets/sheet")]
        assert sum(b"x14:dataValidation " in p[n] for n in sheets) == 1    # the dropdown survived
    wb = openpyxl.load_workbook(out, keep_vba=True)
    assert wb["Data"]["B2"].comment.author == P.NOTE_AUTHOR
    wb.vba_archive.close()
