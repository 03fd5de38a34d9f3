"""The VBA project we build: read back by olevba, olefile and LibreOffice exactly as written."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import olefile
import openpyxl
import pytest
import xlwings
from oletools.olevba import VBA_Parser, decompress_stream

import office as render
from xjr_excel.template import xlsm as xlsm
from xjr_excel.ooxml import cfb as cfb
from xjr_excel.ooxml import vba as vba

ROOT = Path(__file__).resolve().parents[1]
MACROS = ROOT / "macros"
UNO_SCRIPT = Path(__file__).with_name("uno_vba_modules.py")


def _olevba_modules(path_or_bytes, name="vbaProject.bin") -> dict[str, bytes]:
    """module name → stored source, as olevba reads it (decoded with the project code page)."""
    if isinstance(path_or_bytes, bytes):
        parser = VBA_Parser(name, data=path_or_bytes)
    else:
        parser = VBA_Parser(str(path_or_bytes))
    try:
        return {Path(vba_name).stem: code.encode("cp1252")
                for _f, _s, vba_name, code in parser.extract_macros()}
    finally:
        parser.close()


# ---------------------------------------------------------------- compression

@pytest.mark.parametrize("data", [
    b"", b"a", b"abc" * 3000, bytes(range(256)) * 40,
    random.Random(1).randbytes(9000),                       # incompressible: raw chunks
    (MACROS / "XjrRibbon.bas").read_bytes(),
    (Path(xlwings.__file__).parent / "xlwings.bas").read_bytes(),
], ids=["empty", "one", "repeats", "ramp", "random", "ours", "xlwings"])
def test_compression_round_trips_through_olevba(data):
    packed = vba.compress(data)
    assert packed[0] == 1
    assert decompress_stream(bytearray(packed)) == data


def test_compression_actually_compresses_source_text():
    src = (Path(xlwings.__file__).parent / "xlwings.bas").read_bytes()
    assert len(vba.compress(src)) < 0.6 * len(src)


# ---------------------------------------------------------------- container

def test_cfb_container_round_trips_through_olefile(tmp_path):
    rnd = random.Random(7)
    root = cfb.Storage("Root Entry")
    expected = {}
    for i in range(37):       # enough entries for several directory sectors and tree levels
        size = rnd.choice([0, 1, 63, 64, 65, 4095, 4096, 5000, 70000])
        path = f"S{i % 3}/stream{i}" if i % 2 else f"top{i}"
        data = rnd.randbytes(size)
        root.add(path, data)
        expected[path] = data
    blob = cfb.write(root)
    assert len(blob) % 512 == 0
    ole = olefile.OleFileIO(blob)
    listed = {"/".join(p) for p in ole.listdir(streams=True, storages=False)}
    assert listed == set(expected)
    for path, data in expected.items():
        assert ole.openstream(path).read() == data, path


def test_cfb_directory_tree_is_a_valid_red_black_tree():
    root = cfb.Storage("Root Entry")
    for i in range(11):
        root.add(f"n{i:02d}", b"x")
    entries = cfb._flatten(root)  # noqa: SLF001 - checking the invariant directly

    def black_height(i, parent_red=False):
        if i == cfb.NOSTREAM:
            return 1
        e = entries[i]
        assert not (parent_red and e.color == cfb.RED), "red node with red parent"
        left = black_height(e.left, e.color == cfb.RED)
        right = black_height(e.right, e.color == cfb.RED)
        assert left == right, "unequal black heights"
        if e.left != cfb.NOSTREAM:
            assert cfb._sort_key(entries[e.left].name) < cfb._sort_key(e.name)  # noqa: SLF001
        if e.right != cfb.NOSTREAM:
            assert cfb._sort_key(entries[e.right].name) > cfb._sort_key(e.name)  # noqa: SLF001
        return left + (e.color == cfb.BLACK)

    black_height(entries[0].child)


# ---------------------------------------------------------------- the project

def test_macro_sources_are_ascii_crlf_and_named_like_their_files():
    files = sorted(MACROS.glob("*.bas")) + sorted(MACROS.glob("*.cls"))
    assert files, "no VBA sources in macros/"
    for p in files:
        raw = p.read_bytes()
        raw.decode("ascii")
        assert b"\n" not in raw.replace(b"\r\n", b""), f"{p.name}: line endings must be CRLF"
        assert vba.module_from_source(raw, p.name).name == p.stem


def test_non_ascii_vba_is_refused():
    with pytest.raises(ValueError, match="ASCII"):
        vba.module_from_source('Attribute VB_Name = "X"\r\nMsgBox "校验"\r\n'.encode("utf-8"), "X.bas")


def test_olevba_reads_every_module_byte_identical():
    modules = vba.master_modules()
    got = _olevba_modules(vba.build_project(modules))
    assert set(got) == {m.name for m in modules}
    for p in MACROS.glob("*.bas"):
        assert got[p.stem] == p.read_bytes(), p.name          # the file, byte for byte
    for p in MACROS.glob("*.cls"):
        assert got[p.stem] == vba.stored_code(p.read_bytes()), p.name   # minus VERSION/BEGIN header
    xl = Path(xlwings.__file__).parent
    assert got["xlwings"] == vba.crlf((xl / "xlwings.bas").read_bytes())


def test_xlwings_module_comes_from_the_installed_xlwings():
    mods = {m.name: m for m in vba.xlwings_modules()}
    assert set(mods) == {"xlwings", "Dictionary"} == set(vba.XLWINGS_MODULE_NAMES)
    assert vba.our_module_names() == {m.name for m in vba.master_modules()}
    assert f"'Version: {xlwings.__version__}".encode() in mods["xlwings"].code
    assert mods["Dictionary"].kind == "class"


def test_project_build_is_deterministic():
    mods = vba.master_modules()
    assert vba.build_project(mods) == vba.build_project(mods)


def _decrypt(hex_text: str) -> bytes:
    """[MS-OVBA] 2.4.3.3 Decryption, written from the spec's pseudocode."""
    data = bytes.fromhex(hex_text)
    seed, version_enc, key_enc = data[0], data[1], data[2]
    assert version_enc ^ seed == 2
    unenc1, enc1, enc2 = key_enc ^ seed, key_enc, version_enc
    pos = 3

    def take(n):
        nonlocal pos, unenc1, enc1, enc2
        out = bytearray()
        for _ in range(n):
            e = data[pos]
            pos += 1
            b = e ^ ((enc2 + unenc1) & 0xFF)
            out.append(b)
            enc2, enc1, unenc1 = enc1, e, b
        return bytes(out)

    take((seed & 6) // 2)                       # ignored bytes
    length = int.from_bytes(take(4), "little")
    payload = take(length)
    assert pos == len(data)
    return payload


def test_project_stream_declares_modules_and_no_protection():
    mods = vba.master_modules()
    text = vba.project_stream(mods).decode("cp1252")
    assert "Document=ThisWorkbook/&H00000000" in text
    assert "Module=XjrRibbon" in text and "Module=xlwings" in text and "Class=Dictionary" in text
    pid = text.split('"')[1]
    # Protection fields decrypt ([MS-OVBA] 2.4.3.3) to "not protected", "no password", "visible".
    fields = dict(line.split("=", 1) for line in text.splitlines() if line[:3] in ("CMG", "DPB", "GC="))
    assert _decrypt(fields["CMG"].strip('"')) == bytes(4)
    assert _decrypt(fields["DPB"].strip('"')) == b"\0"
    assert _decrypt(fields["GC"].strip('"')) == b"\xff"
    assert pid.startswith("{") and pid.endswith("}")


# ---------------------------------------------------------------- the .xlsm

@pytest.fixture(scope="module")
def master(tmp_path_factory) -> Path:
    from xjr_excel.template import build as template
    path = tmp_path_factory.mktemp("master") / "xjr-master.xlsm"
    template.build_workbook(path, city="南京市", batch=3, year=2026)
    return path


def test_master_is_a_macro_enabled_package_with_ribbon(master):
    with zipfile.ZipFile(master) as z:
        names = set(z.namelist())
        assert {"xl/vbaProject.bin", "customUI/customUI14.xml"} <= names
        ct = z.read("[Content_Types].xml").decode()
        assert xlsm.MACRO_CONTENT_TYPE in ct and "sheet.main+xml" not in ct
        assert xlsm.VBA_CONTENT_TYPE in ct
        assert xlsm.REL_UI14 in z.read("_rels/.rels").decode()
        assert xlsm.REL_VBA in z.read("xl/_rels/workbook.xml.rels").decode()
        assert z.read("customUI/customUI14.xml") == (MACROS / "customUI14.xml").read_bytes()
        assert 'codeName="ThisWorkbook"' in z.read("xl/workbook.xml").decode()


def test_master_carries_hidden_xlwings_conf(master):
    wb = openpyxl.load_workbook(master, keep_vba=True)
    ws = wb[xlsm.CONF_SHEET]
    assert ws.sheet_state == "hidden"
    keys = {}
    for row in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if row[0] is None:
            break            # xlwings reads column A down to the first blank
        keys[row[0].upper()] = row[1]
    assert keys["INTERPRETER_WIN"] == "python"
    assert keys["ADD_WORKBOOK_TO_PYTHONPATH"] == "false"
    assert "UDF MODULES" in keys and "USE UDF SERVER" in keys
    texts = {r[0]: r[1] for r in ws.iter_rows(min_col=4, max_col=5, values_only=True) if r[0]}
    assert "Python" in texts["XJR_NO_PYTHON"] and "pip install" in texts["XJR_NO_PACKAGE"]


def test_olevba_lists_the_modules_of_the_master(master):
    got = _olevba_modules(master)
    sheets = set(_worksheet_code_names(master))
    assert set(got) == {"ThisWorkbook", "XjrRibbon", "xlwings", "Dictionary"} | sheets
    assert got["XjrRibbon"] == (MACROS / "XjrRibbon.bas").read_bytes()
    # The olevba command itself, as an analyst would run it.
    out = subprocess.run([sys.executable, "-m", "oletools.olevba", "--json", str(master)],
                         capture_output=True, text=True, timeout=120)
    listed = {m["vba_filename"] for r in json.loads(out.stdout) if r.get("type") == "OpenXML"
              for m in r.get("macros", [])}
    assert {"XjrRibbon.bas", "ThisWorkbook.cls", "xlwings.bas", "Dictionary.cls"} <= listed
    assert {f"{n}.cls" for n in sheets} <= listed


def test_libreoffice_imports_the_vba_modules(master):
    py = "/usr/bin/python3"
    assert os.path.exists(py), "Debian python3 (with python3-uno) is required"
    proc = subprocess.run([py, str(UNO_SCRIPT), render.soffice(), str(master)],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    libs = json.loads(proc.stdout)
    modules = {m: lines for lib in libs.values() for m, lines in lib.items()}
    assert {"ThisWorkbook", "XjrRibbon", "xlwings", "Dictionary"} <= set(modules)
    assert "Rem Attribute VBA_ModuleType=VBAModule" in modules["XjrRibbon"]
    assert "Rem Attribute VBA_ModuleType=VBADocumentModule" in modules["ThisWorkbook"]
    for name in xlsm.sheet_code_names(zipfile.ZipFile(master)):        # one document module per worksheet
        assert "Rem Attribute VBA_ModuleType=VBADocumentModule" in modules[name], name
    assert "Rem Attribute VBA_ModuleType=VBAClassModule" in modules["Dictionary"]


def test_libreoffice_opens_the_master_headless(master, tmp_path):
    pdf = render.convert(master, tmp_path, "pdf")
    assert pdf.stat().st_size > 1000
    text = render.pdf_text(pdf)
    assert "附1" in text or "填报说明" in text


def test_package_macros_is_idempotent_and_keeps_other_parts(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "数据"
    xlsm.prepare_workbook(wb)
    path = tmp_path / "t.xlsm"
    wb.save(path)
    xlsm.package_macros(path)
    first = zipfile.ZipFile(path).namelist()
    xlsm.package_macros(path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == sorted(first)
        assert z.read("_rels/.rels").decode().count(xlsm.REL_UI14) == 1
        assert z.read("xl/_rels/workbook.xml.rels").decode().count(xlsm.REL_VBA) == 1
    assert openpyxl.load_workbook(path).active["A1"].value == "数据"


def _worksheet_code_names(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return xlsm.sheet_code_names(z)


def test_cli_annotate_and_clear_keep_the_vba_project_and_ribbon(master, tmp_path):
    from xjr_excel.annotate.backends import openpyxl_book as annotate
    from xjr_excel.validate.run import validate_file
    _data, findings = validate_file(master)
    marked = annotate.annotate_file(master, tmp_path / "marked.xlsm", findings)
    cleared = annotate.clear_file(marked, tmp_path / "cleared.xlsm")
    before = _olevba_modules(master)
    for path in (marked, cleared):
        got = _olevba_modules(path)
        assert {k: v for k, v in got.items() if k in before} == before     # every module kept, code unchanged
        with zipfile.ZipFile(path) as z:
            assert z.read("customUI/customUI14.xml") == (MACROS / "customUI14.xml").read_bytes()
            assert xlsm.REL_UI14 in z.read("_rels/.rels").decode()
        assert openpyxl.load_workbook(path, keep_vba=True)[xlsm.CONF_SHEET].sheet_state == "hidden"
    with zipfile.ZipFile(master) as a, zipfile.ZipFile(cleared) as b:
        assert a.read(xlsm.VBA_PART) == b.read(xlsm.VBA_PART), "clear gives back the template's project exactly"


# ---------------------------------------------------------------- document modules per worksheet

def _document_modules(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [m.name for m in vba.read_project(z.read(xlsm.VBA_PART)) if m.kind == "document"]


def test_master_has_a_document_module_per_worksheet(master):
    wb = openpyxl.load_workbook(master, keep_vba=True)
    names = _worksheet_code_names(master)
    assert names == [f"Sheet{i}" for i in range(1, len(wb.worksheets) + 1)]
    assert [ws.sheet_properties.codeName for ws in wb.worksheets] == names
    assert _document_modules(master) == ["ThisWorkbook", *names]          # Excel's order: workbook, then sheets
    got = _olevba_modules(master)
    for name in names:                                                     # as Excel writes an empty sheet module
        code = got[name].decode("ascii")
        assert code.startswith(f'Attribute VB_Name = "{name}"\r\n')
        assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in code
        assert "Attribute VB_PredeclaredId = True" in code
    text = vba.project_stream(vba.read_project(zipfile.ZipFile(master).read(xlsm.VBA_PART))).decode("cp1252")
    assert all(f"Document={n}/&H00000000" in text for n in names)


def test_dir_stream_marks_sheet_modules_as_document_modules(master):
    """[MS-OVBA] 2.3.4.2.3.2.8: MODULETYPE 0x0021 procedural, 0x0022 document/class."""
    ole = olefile.OleFileIO(zipfile.ZipFile(master).read(xlsm.VBA_PART))
    raw = decompress_stream(bytearray(ole.openstream("VBA/dir").read()))
    kinds, pos, current = {}, 0, None
    while pos < len(raw):
        rid, size = int.from_bytes(raw[pos:pos + 2], "little"), int.from_bytes(raw[pos + 2:pos + 6], "little")
        if rid == 0x0009:
            size = 6                                   # PROJECTVERSION: Reserved=4 then 6 bytes
        body = raw[pos + 6:pos + 6 + size]
        if rid == 0x0019:
            current = body.decode("cp1252")
        elif rid in (0x0021, 0x0022):
            kinds[current] = rid
        pos += 6 + size
    names = _worksheet_code_names(master)
    assert {n: kinds[n] for n in names} == {n: 0x0022 for n in names}
    assert kinds["XjrRibbon"] == 0x0021 and kinds["ThisWorkbook"] == 0x0022


def test_sheets_annotate_adds_get_their_module_and_clear_removes_them(master, tmp_path):
    from xjr_excel.annotate import plan as P
    from xjr_excel.annotate.backends import openpyxl_book as annotate
    from xjr_excel.validate.run import validate_file
    _data, findings = validate_file(master)
    marked = annotate.annotate_file(master, tmp_path / "marked.xlsm", findings)
    wb = openpyxl.load_workbook(marked, keep_vba=True)
    added = [ws for ws in wb.worksheets if ws.title in (P.RESULTS_SHEET, P.NOTES_SHEET, P.STATE_SHEET)]
    assert len(added) == 3
    assert all(vba.SHEET_CODE_NAME.match(ws.sheet_properties.codeName or "") for ws in added)
    names = _worksheet_code_names(marked)
    assert len(names) == len(wb.worksheets) and len(set(names)) == len(names)
    assert sorted(_document_modules(marked)) == sorted(["ThisWorkbook", *names])
    assert set(_olevba_modules(marked)) >= set(names)                    # olevba reads the new ones back
    cleared = annotate.clear_file(marked, tmp_path / "cleared.xlsm")
    assert _document_modules(cleared) == _document_modules(master)


def _with_project(src: Path, dst: Path, project: bytes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, project if info.filename == xlsm.VBA_PART else zin.read(info.filename))
    return dst


USER_MODULE = vba.Module("UserTools", "module", b'Attribute VB_Name = "UserTools"\r\nSub Hello()\r\nEnd Sub\r\n')


@pytest.mark.parametrize("case", ["own module", "code in a sheet module"])
def test_a_users_own_vba_project_is_never_rewritten(master, tmp_path, case):
    from xjr_excel.annotate.backends import openpyxl_book as annotate
    from xjr_excel.validate.run import validate_file
    names = _worksheet_code_names(master)
    mods = vba.master_modules(names)
    if case == "own module":
        mods = mods + [USER_MODULE]
    else:
        i = next(i for i, m in enumerate(mods) if m.name == names[1])
        mods[i] = vba.Module(names[1], "document", mods[i].code + b"Private Sub Worksheet_Activate()\r\nEnd Sub\r\n")
    project = vba.build_project(mods)
    src = _with_project(master, tmp_path / "user.xlsm", project)
    _data, findings = validate_file(src)
    marked = annotate.annotate_file(src, tmp_path / "marked.xlsm", findings)
    cleared = annotate.clear_file(marked, tmp_path / "cleared.xlsm")
    for path in (marked, cleared):
        assert zipfile.ZipFile(path).read(xlsm.VBA_PART) == project
