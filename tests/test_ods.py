""".ods (LibreOffice's default format, common on domestic-OS desktops): guarded, read, consolidated, annotated as an .xlsx copy.

The real .ods files here are saved by LibreOffice from the samples (LibreOffice is
required: without it these tests fail, they do not skip); the hostile ones are built
by hand to the ODF layout.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import office
from xjr_excel.errors import InputRejected
from xjr_excel.guard import check as guard
from xjr_excel.read.ods import OdsParts
from xjr_excel.read.sheet_xml import XlsxParts
from xjr_excel.validate.run import validate_file

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def key(findings) -> list[tuple]:
    return sorted((f.sheet, f.cell, f.field, str(f.value), f.rule, f.severity, f.message) for f in findings)


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ods(tmp_path_factory):
    """samples/苏州市.xlsx as LibreOffice saves it in its own format."""
    return office.convert(SAMPLES / "苏州市.xlsx", tmp_path_factory.mktemp("ods"), "ods")


def hand_ods(path: Path, body: str, *, doctype: str = "", manifest: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", f'<?xml version="1.0"?>{doctype}<office:document-content {NS}><office:body>'
                                  f'<office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>')
        if manifest is not None:
            z.writestr("META-INF/manifest.xml", manifest)
    return path


def test_a_real_ods_passes_the_guard(ods):
    info = guard.check_file(ods)
    assert info.kind == "ods"
    assert {"封面", "附1", "附2", "附3", "附4", "附5"} <= set(info.sheets)


def test_findings_of_the_ods_equal_the_xlsx(ods):
    _d, from_xlsx = validate_file(SAMPLES / "苏州市.xlsx")
    _d, from_ods = validate_file(ods)
    assert from_xlsx and key(from_ods) == key(from_xlsx)


def test_ods_facts_match_the_xlsx_reader(tmp_path):
    """Hidden rows, merges and percent cells: the same facts the .xlsx reader finds."""
    import openpyxl
    src = tmp_path / "苏州市.xlsx"
    wb = openpyxl.load_workbook(SAMPLES / src.name)
    wb["附4"]["K7"].number_format = "0%"          # 85% typed into a cell: 0.85 in a percent format
    wb["附4"]["K7"].value = 0.85
    wb["附3"].row_dimensions[7].hidden = True
    wb.save(src)
    x, o = XlsxParts(src), OdsParts(office.convert(src, tmp_path / "lo", "ods"))
    try:
        every = {(r, c) for r in range(1, 60) for c in range(1, 45)}
        merged_total = 0
        for sheet in ("封面", "附1", "附3", "附4", "附5"):
            assert sorted(o.extras(sheet).merged) == sorted(x.extras(sheet).merged), sheet
            assert o.extras(sheet).hidden_rows == x.extras(sheet).hidden_rows, sheet
            assert o.percent_cells(sheet, every) == x.percent_cells(sheet, every), sheet
            merged_total += len(o.extras(sheet).merged)
        assert merged_total and o.percent_cells("附4", every) == {(7, 11)} and o.extras("附3").hidden_rows == {7}
    finally:
        x.close()


@pytest.mark.parametrize("case,kind,words", [
    ("far_repeat", "too_big_sheet", ["附1", "延伸到第"]),
    ("wide_repeat", "too_big_sheet", ["附1", "列"]),
    ("doctype", "xml_dtd", ["DTD", "content.xml"]),
    ("encrypted", "encrypted", ["文件已加密", "不会尝试破解"]),
])
def test_hostile_ods_is_refused(tmp_path, case, kind, words):
    filled = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
    body = {
        "far_repeat": f'<table:table table:name="附1"><table:table-row table:number-rows-repeated="1000000">'
                      f'{filled}</table:table-row></table:table>',
        "wide_repeat": '<table:table table:name="附1"><table:table-row><table:table-cell '
                       'table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
                       '</table:table-row></table:table>',
    }.get(case, f'<table:table table:name="附1"><table:table-row>{filled}</table:table-row></table:table>')
    doctype = '<!DOCTYPE x [<!ENTITY a "aaaa">]>' if case == "doctype" else ""
    manifest = ('<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                'manifest:1.0"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/>'
                '</manifest:file-entry></manifest:manifest>') if case == "encrypted" else None
    path = hand_ods(tmp_path / f"{case}.ods", body, doctype=doctype, manifest=manifest)
    with pytest.raises(InputRejected) as exc:
        guard.check_file(path)
    assert exc.value.kind == kind
    assert all(w in exc.value.message for w in words), exc.value.message


def test_a_blank_tail_repeated_to_the_last_row_is_fine(tmp_path):
    """LibreOffice writes the empty rest of every sheet as one row repeated ~1 million times."""
    body = ('<table:table table:name="附1"><table:table-row><table:table-cell office:value-type="string">'
            '<text:p>企业名称</text:p></table:table-cell></table:table-row>'
            '<table:table-row table:number-rows-repeated="1048575"><table:table-cell '
            'table:number-columns-repeated="16384"/></table:table-row></table:table>')
    assert guard.check_file(hand_ods(tmp_path / "tail.ods", body)).kind == "ods"


def test_ods_wording_is_not_a_renamed_file(tmp_path, ods):
    """A real .ods is accepted; only an .ods hiding behind .xlsx is called renamed."""
    renamed = tmp_path / "苏州市.xlsx"
    renamed.write_bytes(ods.read_bytes())
    with pytest.raises(InputRejected) as exc:
        guard.check_file(renamed)
    assert "OpenDocument电子表格" in exc.value.message and "改了扩展名" in exc.value.message
    odt = tmp_path / "说明.odt"
    with zipfile.ZipFile(odt, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<x/>")
    with pytest.raises(InputRejected) as exc:
        guard.check_file(odt)
    assert "OpenDocument文档" in exc.value.message and "改了扩展名" not in exc.value.message


def test_wps_et_gets_a_clear_message(tmp_path):
    et = tmp_path / "苏州市.et"
    et.write_bytes(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 1024)
    with pytest.raises(InputRejected) as exc:
        guard.check_file(et)
    assert exc.value.kind == "not_workbook"
    assert "WPS" in exc.value.message and "另存为" in exc.value.message and ".xlsx" in exc.value.message


def test_consolidate_takes_an_ods_city(tmp_path, ods):
    from xjr_excel.province import consolidate as C
    folder = tmp_path / "cities"
    folder.mkdir()
    (folder / "苏州市.ods").write_bytes(ods.read_bytes())
    (folder / "南京市.xlsx").write_bytes((SAMPLES / "南京市.xlsx").read_bytes())
    payload = C.consolidate([folder], tmp_path / "全省.xlsx", province="江苏省", jobs=1, progress=False)
    assert {c["city"] for c in payload["cities"]} == {"苏州市", "南京市"}, payload.get("skipped")
    assert not payload.get("skipped")


def test_annotating_an_ods_writes_an_xlsx_copy_and_says_so(tmp_path, ods):
    src = tmp_path / "苏州市.ods"
    src.write_bytes(ods.read_bytes())
    before = sha(src)
    proc = subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", "validate", str(src), "--in-place"],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr                      # the sample has errors
    copy = tmp_path / "苏州市-校验.xlsx"
    assert copy.exists() and str(copy) in proc.stdout
    assert ".xlsx 副本" in proc.stdout and "原文件未改动" in proc.stdout
    assert sha(src) == before and sorted(p.name for p in tmp_path.iterdir()) == ["苏州市-校验.xlsx", "苏州市.ods"]
    _d, original = validate_file(src)
    _d, from_copy = validate_file(copy)
    assert key(from_copy) == key(original)                        # the copy holds the same submission
    import openpyxl
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames[0] == "校验结果" and wb["附3"].tables       # marked, on the template's tables
    # clear on the .ods itself says what it needs
    proc = subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", "clear", str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "另存为" in proc.stdout + proc.stderr
    assert sha(src) == before
