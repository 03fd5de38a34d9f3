"""Excel's limits (tests/excel_limits.py) on everything we write, and each check failing on a planted violation."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

import excel_limits as XL
from conftest_template import MASTER, SAMPLES
from xjr_excel.annotate.backends import openpyxl_book as annotate
from xjr_excel.cli import main as cli
from xjr_excel.spec.definition import get_spec

SPEC = get_spec()
INDUSTRY_HEADER = SPEC.table("a3").field("industry").header


# ---------------------------------------------------------------- every output

@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """Every kind of file we write, made through the command line as a user would."""
    d = tmp_path_factory.mktemp("outputs")
    out = {"committed master": MASTER}
    for suffix in (".xlsx", ".xlsm"):
        path = d / f"template{suffix}"
        assert cli.main(["template", "-o", str(path), "--city", "南京市", "--batch", "3"]) == 0
        out[f"template {suffix}"] = path
    for sample in sorted(SAMPLES.glob("*.xls[xm]")):
        out[f"sample {sample.name}"] = sample
    for name in ("苏州市.xlsx", "扬州市.xlsm"):
        marked = d / f"marked-{name}"
        assert cli.main(["validate", str(SAMPLES / name), "--annotate", str(marked)]) in (0, 1)
        cleared = d / f"cleared-{name}"
        assert cli.main(["clear", str(marked), "-o", str(cleared)]) == 0
        out[f"annotated {name}"], out[f"cleared {name}"] = marked, cleared
    province = d / "江苏省汇总.xlsx"
    files = [str(p) for p in sorted(SAMPLES.glob("*.xls[xm]"))]
    assert cli.main(["consolidate", *files, "-o", str(province), "--province", "江苏省"]) in (0, 1)
    out["provincial workbook"] = province
    return out


OUTPUT_KINDS = (["committed master", "template .xlsx", "template .xlsm"]
                + [f"sample {p.name}" for p in sorted(SAMPLES.glob("*.xls[xm]"))]
                + [f"{k} {n}" for n in ("苏州市.xlsx", "扬州市.xlsm") for k in ("annotated", "cleared")]
                + ["provincial workbook"])


@pytest.mark.parametrize("kind", OUTPUT_KINDS)
def test_output_is_within_excel_limits(outputs, kind):
    problems = XL.check_package(outputs[kind])
    assert not problems, f"{kind}: " + "\n".join(map(str, problems))


def test_the_outputs_exercise_every_check(outputs):
    """The clean results above mean something: the files hold what each check looks at."""
    pkg = XL.Package(outputs["annotated 苏州市.xlsx"])
    dvs = list(XL._validations(pkg))                                       # noqa: SLF001
    assert any(dv.get("type") == "list" and (f1 or "").startswith('"') for _s, _p, dv, f1, _q in dvs)
    assert any(len(dv.get("error") or "") > 40 for _s, _p, dv, _f, _q in dvs)
    assert len(list(XL._tables(pkg))) >= 9                                 # noqa: SLF001
    assert any(root.find("m:mergeCells", XL.NS) is not None for _n, _p, root in pkg.worksheets())
    assert any(root.find("m:conditionalFormatting", XL.NS) is not None for _n, _p, root in pkg.worksheets())
    assert any(pkg.related(part, "comments") for _n, part, _r in pkg.worksheets())
    assert len(pkg.workbook.findall("m:definedNames/m:definedName", XL.NS)) > 10


# ---------------------------------------------------------------- the 附3 industry dropdown

def _industry_validation(path):
    ws = openpyxl.load_workbook(path)[SPEC.sheet("a3").name]
    t = SPEC.table("a3")
    col = t.first_col + [f.key for f in t.fields].index("industry")
    cell = ws.cell(t.header_row + 1, col).coordinate
    return next(dv for dv in ws.data_validations.dataValidation if cell in dv.sqref)


def test_industry_dropdown_error_says_how_to_pick_within_the_limit(outputs):
    dv = _industry_validation(outputs["template .xlsx"])
    assert dv.type == "list" and dv.errorStyle == "stop"
    assert len(dv.error) <= 224
    assert "下拉" in dv.error and "所属行业" in dv.error and str(len(SPEC.table("a3").field("industry").choices)) in dv.error


def test_short_dropdowns_still_list_their_items(outputs):
    wb = openpyxl.load_workbook(outputs["template .xlsx"])
    f = SPEC.table("a3").field("size")
    strict = [dv for dv in wb[SPEC.sheet("a3").name].data_validations.dataValidation
              if dv.type == "list" and dv.errorStyle == "stop" and dv.formula1 == '"' + ",".join(f.choices) + '"']
    assert strict and all(c in strict[0].error for c in f.choices)


# ---------------------------------------------------------------- planted violations

def _sheet_part(path, sheet: str) -> str:
    return next(part for name, part, _state in XL.Package(path).sheets if name == sheet)


def plant(src: Path, dst: Path, part: str, edit) -> Path:
    """Copy ``src`` to ``dst`` with one part's XML text changed by ``edit(text) -> text``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                new = edit(data.decode("utf-8"))
                assert new != data.decode("utf-8"), f"nothing planted in {part}"
                data = new.encode("utf-8")
            zout.writestr(info, data)
    return dst


def _only(path, check):
    return XL.check_package(path, only={check})


@pytest.fixture(scope="module")
def clean(outputs):
    return outputs["template .xlsx"]


@pytest.mark.parametrize("attr,limit", [("error", 224), ("errorTitle", 32), ("promptTitle", 32), ("prompt", 255)])
def test_validation_text_limits_are_exact(clean, tmp_path, attr, limit):
    part = _sheet_part(clean, "附1")

    def set_text(n):
        return lambda xml: re.sub(rf'(<dataValidation [^>]*?\b{attr}=")[^"]*(")', rf"\g<1>{'字' * n}\g<2>", xml, count=1)
    at = plant(clean, tmp_path / "at.xlsx", part, set_text(limit))
    over = plant(clean, tmp_path / "over.xlsx", part, set_text(limit + 1))
    assert _only(at, "validation_texts") == []
    (p,) = _only(over, "validation_texts")
    assert p.part == part and f"@{attr}" in p.where and f"{limit + 1} characters > {limit}" in p.detail


def test_validation_texts_in_x14_extension_are_checked(clean, tmp_path):
    part = _sheet_part(clean, "附1")
    ext = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
           'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
           '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
           f'<x14:dataValidation type="list" error="{"错" * 300}"><x14:formula1><xm:f>\'选项\'!$B$2:$B$9</xm:f>'
           '</x14:formula1><xm:sqref>C5:C9</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>')
    bad = plant(clean, tmp_path / "x14.xlsx", part, lambda xml: xml.replace("</worksheet>", ext + "</worksheet>"))
    (p,) = _only(bad, "validation_texts")
    assert "C5:C9 @error" in p.where


def test_list_literal_over_255_fails(clean, tmp_path):
    part = _sheet_part(clean, "附1")
    items = ",".join(f"第{i}批" for i in range(60))            # 60 items, > 255 characters
    assert len(items) > 255
    bad = plant(clean, tmp_path / "list.xlsx", part,
                lambda xml: re.sub(r'(<dataValidation [^>]*type="list"[^>]*>\s*<formula1>)"[^"<]*"',
                                   rf'\g<1>"{items}"', xml, count=1))
    (p,) = _only(bad, "list_literals")
    assert f"{len(items)} characters" in p.detail


def test_table_column_not_matching_its_header_cell_fails(clean, tmp_path):
    pkg = XL.Package(clean)
    part = next(t for _s, _p, _r, t, table in XL._tables(pkg) if table.get("name") == "T1_KeyEnterprises")  # noqa: SLF001
    bad = plant(clean, tmp_path / "col.xlsx", part, lambda xml: xml.replace('name="序号"', 'name="编号"', 1))
    (p,) = _only(bad, "table_columns")
    assert "'编号' != header cell '序号'" in p.detail
    dup = plant(clean, tmp_path / "dup.xlsx", part, lambda xml: re.sub(
        r'(<tableColumn id="2" name=")[^"]*"', r'\g<1>序号"', xml))
    assert any("duplicate column names" in p.detail for p in _only(dup, "table_columns"))


@pytest.mark.parametrize("planted,why", [
    ('<definedName name="AB12">\'封面\'!$B$5</definedName>', "cell reference"),
    ('<definedName name="1st">\'封面\'!$B$5</definedName>', "must start with"),
    ('<definedName name="xjr_city">\'封面\'!$B$6</definedName>', "unique"),         # XJR_City in other case
    ('<definedName name="t1_keyenterprises">\'封面\'!$B$6</definedName>', "unique"),  # a table's name
])
def test_invalid_or_duplicate_names_fail(clean, tmp_path, planted, why):
    bad = plant(clean, tmp_path / "names.xlsx", "xl/workbook.xml",
                lambda xml: xml.replace("<definedNames>", "<definedNames>" + planted, 1))
    problems = _only(bad, "names")
    assert problems and all(why in p.detail for p in problems), problems


def test_table_over_merged_cells_fails(clean, tmp_path):
    part = _sheet_part(clean, "附1")
    bad = plant(clean, tmp_path / "merge.xlsx", part,
                lambda xml: re.sub(r'(<mergeCells count=")(\d+)(">)',
                                   lambda m: f'{m.group(1)}{int(m.group(2)) + 1}{m.group(3)}<mergeCell ref="B6:C7"/>',
                                   xml, count=1))
    (p,) = _only(bad, "tables_over_merged")
    assert "B6:C7" in p.detail and "T1_KeyEnterprises" in p.detail


def test_conditional_format_naming_another_sheet_fails(outputs, tmp_path):
    src = outputs["annotated 苏州市.xlsx"]
    part = _sheet_part(src, "附3")
    bad = plant(src, tmp_path / "cf.xlsx", part, lambda xml: xml.replace(
        "INDEX(XJR_Marks_a3,ROW(),COLUMN())=2", "INDEX('_xjr_marks_a3'!$A$1:$BL$10000,ROW(),COLUMN())=2", 1))
    (p,) = _only(bad, "cf_other_sheets")
    assert "_xjr_marks_a3" in p.detail
    # A "!" inside a string literal is not a sheet reference.
    ok = plant(src, tmp_path / "cf-ok.xlsx", part, lambda xml: xml.replace(
        "INDEX(XJR_Marks_a3,ROW(),COLUMN())=2", 'INDEX(XJR_Marks_a3,ROW(),COLUMN())&amp;"a!b"="2"', 1))
    assert _only(ok, "cf_other_sheets") == []


@pytest.mark.parametrize("new_name,why", [
    ("History", "reserved"), ("附1:草稿", "not allowed"), ("'附1", "starts or ends"),
    ("附" * 32, "length 32"), ("填报说明", "share this name"),
])
def test_bad_sheet_names_fail(clean, tmp_path, new_name, why):
    bad = plant(clean, tmp_path / "sheet.xlsx", "xl/workbook.xml",
                lambda xml: xml.replace('name="附1"', f'name="{new_name.replace(chr(39), "&apos;")}"', 1))
    problems = _only(bad, "sheet_names")
    assert any(why in p.detail for p in problems), problems


def test_note_without_its_vml_shape_fails(outputs, tmp_path):
    src = outputs["annotated 苏州市.xlsx"]
    pkg = XL.Package(src)
    sheet, part = next((n, p) for n, p, _r in pkg.worksheets() if pkg.related(p, "comments"))
    vml = next(t for t, typ in pkg.rels(part) if typ.endswith("/vmlDrawing"))
    bad = plant(src, tmp_path / "vml.xlsx", vml,
                lambda xml: re.sub(r'ObjectType="Note"', 'ObjectType="Button"', xml, count=1))
    (p,) = _only(bad, "notes_vml")
    assert p.detail == "note without its VML shape" and p.where.startswith(sheet)
    gone = plant(src, tmp_path / "nolegacy.xlsx", part, lambda xml: re.sub(r"<legacyDrawing [^>]*/>", "", xml))
    assert "no legacyDrawing" in _only(gone, "notes_vml")[0].detail


def test_style_index_out_of_range_fails(clean, tmp_path):
    part = _sheet_part(clean, "附1")
    bad = plant(clean, tmp_path / "style.xlsx", part, lambda xml: re.sub(r'(<c r="B5"[^>]*? s=")\d+', r"\g<1>9999", xml))
    (p,) = _only(bad, "style_indexes")
    assert "s=9999" in p.detail


def test_cell_text_over_32767_fails(clean, tmp_path):
    part = _sheet_part(clean, "附1")
    long_text = "字" * 32768

    def put(text):
        return lambda xml: re.sub(r'<c r="B5"( s="\d+")[^>]*?/>', rf'<c r="B5"\1 t="inlineStr"><is><t>{text}</t></is></c>',
                                  xml, count=1)
    (p,) = _only(plant(clean, tmp_path / "cell.xlsx", part, put(long_text)), "cell_text")
    assert p.where == "附1!B5" and "32768 characters" in p.detail
    assert _only(plant(clean, tmp_path / "cell-ok.xlsx", part, put(long_text[:-1])), "cell_text") == []


def test_sheet_without_its_document_module_fails(outputs, tmp_path):
    src = outputs["annotated 扬州市.xlsm"]
    part = _sheet_part(src, "附2")
    bad = plant(src, tmp_path / "nocode.xlsm", part, lambda xml: re.sub(r' codeName="Sheet\d+"', "", xml, count=1))
    problems = _only(bad, "sheet_modules")
    assert any(p.where == "附2" and p.detail == "codeName None has no document module" for p in problems), problems
    renamed = plant(src, tmp_path / "renamed.xlsm", part,
                    lambda xml: re.sub(r'codeName="Sheet\d+"', 'codeName="Sheet99"', xml, count=1))
    problems = {p.detail for p in _only(renamed, "sheet_modules")}
    assert "codeName 'Sheet99' has no document module" in problems
    assert any(d.startswith("document modules without a sheet") for d in problems)


def test_every_check_cites_a_source():
    assert set(XL.CHECK_FUNCTIONS) == set(XL.SOURCES)
    for name, source in XL.SOURCES.items():
        assert re.search(r"MS-OI29500|MS-OVBA|ISO/IEC 29500|Excel|XlsxWriter", source), name


# ---------------------------------------------------------------- files from an older template

OLD_ERROR = "请从下拉列表选择：" + "、".join(SPEC.table("a3").field("industry").choices)


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_annotate_and_clear_repair_an_older_templates_validation_texts(outputs, tmp_path, suffix):
    src = outputs[f"template {suffix}"]
    part = _sheet_part(src, "附3")
    assert len(OLD_ERROR) > 1000
    old = plant(src, tmp_path / f"old{suffix}", part, lambda xml: re.sub(
        r'(<dataValidation sqref="I5:I\d+"[^>]*? error=")[^"]*', rf"\g<1>{OLD_ERROR}", xml, count=1))
    assert _only(old, "validation_texts"), "the planted old message must trip the check"
    marked = tmp_path / f"marked{suffix}"
    assert cli.main(["validate", str(old), "--annotate", str(marked)]) in (0, 1)
    cleared = annotate.clear_file(old, tmp_path / f"cleared{suffix}")
    for path in (marked, cleared):
        assert XL.check_package(path) == [], path.name
        dv = _industry_validation(path)
        assert dv.error.startswith("请从下拉列表选择：A01 农业") and dv.error.endswith("…") and len(dv.error) == 224
    assert _only(old, "validation_texts"), "the input is never modified"
