"""xjr forms: the fill-in forms the city sends out (附3+附4 per enterprise, 附5 per platform, 目标完成情况
per enterprise of a tracking workbook), checked as the enterprise and the city would check them.

Cells are found by their printed LABELS (the text left of a value, a column header above it), as a
person reads the form — never through xjr_excel.fillin.layout — and compared with what the city
workbook holds (read by the ordinary reader).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from tests.excel_limits import check_package
from xjr_excel.cli.main import main
from xjr_excel.read.normalize import name_key
from xjr_excel.read.workbook import read_workbook
from xjr_excel.spec.definition import get_spec

ROOT = Path(__file__).resolve().parents[1]
CITIES = sorted(p for p in (ROOT / "samples").iterdir() if p.suffix in (".xlsx", ".xlsm"))
TRACKS = sorted((ROOT / "samples" / "track").glob("*.xls[xm]"))
WINDOWS_ILLEGAL = set('<>:"/\\|?*')


# ---------------------------------------------------------------- reading a form as a person does

def merged_range(ws, cell):
    for rng in ws.merged_cells.ranges:
        if cell.coordinate in rng:
            return rng
    return None


def label_cells(ws, label: str):
    return [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.strip() == label]


def value_right_of(ws, label: str, nth: int = 0):
    """The cell right of the label (past the label's merged cells): where a person writes."""
    cells = label_cells(ws, label)
    assert len(cells) > nth, f"label {label!r} not on {ws.title}"
    c = cells[nth]
    rng = merged_range(ws, c)
    col = rng.max_col + 1 if rng else c.column + 1
    return ws.cell(c.row, col)


def validation_of(ws, cell):
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            if cell.coordinate in rng:
                return dv
    return None


def list_items(wb, dv) -> list[str]:
    """The items of a list validation: inline "a,b,c" or a defined name over a range."""
    f = dv.formula1
    if f.startswith('"'):
        return f.strip('"').split(",")
    dn = wb.defined_names[f]
    (sheet, ref), = list(dn.destinations)
    ws = wb[sheet]
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    return [ws.cell(r, min_col).value for r in range(min_row, max_row + 1)]


def row_of_text(ws, text: str) -> int:
    cells = label_cells(ws, text)
    assert cells, f"{text!r} not on {ws.title}"
    return cells[0].row


def column_under(ws, header: str, header_row: int | None = None) -> int:
    for c in label_cells(ws, header):
        if header_row is None or c.row == header_row:
            return c.column
    raise AssertionError(f"header {header!r} not on {ws.title}")


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) < 1e-9
        except (TypeError, ValueError):
            return False
    if hasattr(a, "date") and not hasattr(b, "date"):
        a = a.date()
    if hasattr(b, "date") and hasattr(b, "hour"):
        b = b.date()
    if hasattr(a, "hour"):
        a = a.date()
    return a == b


def valid_code(code: str) -> bool:
    """GB 32100-2015 (python-stdnum), as the validator's rule reads it."""
    from stdnum.cn import uscc
    try:
        return len(code) == 18 and uscc.calc_check_digit(code[:17]) == code[17]
    except Exception:  # noqa: BLE001
        return False


# ---------------------------------------------------------------- forms of every sample city

@pytest.fixture(scope="module")
def city_forms(tmp_path_factory):
    out = {}
    for city in CITIES:
        d = tmp_path_factory.mktemp("forms") / city.stem
        assert main(["forms", str(city), "-o", str(d)]) == 0
        out[city] = (read_workbook(city), sorted(d.glob("*.xlsx")))
    return out


def _names(data, key):
    t = data.tables[key]
    return [n.strip() for n in t.frame["name"] if isinstance(n, str) and n.strip()]


@pytest.mark.parametrize("city", CITIES, ids=lambda p: p.stem)
def test_one_form_per_enterprise_and_platform_with_safe_distinct_names(city_forms, city):
    data, files = city_forms[city]
    ents, plats = _names(data, "a1"), _names(data, "a2")
    assert len(files) == len(ents) + len(plats)
    names = [f.name for f in files]
    assert len({n.casefold() for n in names}) == len(names)
    for n in names:
        assert not WINDOWS_ILLEGAL & set(n) and not n.rstrip(".xlsx").endswith((" ", ".")) and len(n) < 120, n
    for e in ents:
        assert any(n.startswith("附3附4-") and name_key(e)[:10] in name_key(n) for n in names), e
    for p in plats:
        assert any(n.startswith("附5-") and name_key(p)[:10] in name_key(n) for n in names), p


@pytest.mark.parametrize("city", CITIES, ids=lambda p: p.stem)
def test_enterprise_forms_prefilled_locked_and_inputs_open(city_forms, city):
    spec = get_spec()
    data, files = city_forms[city]
    a3 = {name_key(r["name"]): r for r in data.tables["a3"].frame.to_dict("records") if isinstance(r["name"], str)}
    a4 = {name_key(r["name"]): r for r in data.tables["a4"].frame.to_dict("records") if isinstance(r["name"], str)}
    t3 = spec.table("a3")
    checked = 0
    for f in (f for f in files if f.name.startswith("附3附4-")):
        wb = load_workbook(f)
        ws = wb["附3"]
        assert ws.protection.sheet, "附3 must be protected so only the input cells take typing"
        name = value_right_of(ws, "企业名称").value
        assert f"{data.cover['city']}第{data.cover['batch']}批重点“小巨人”企业基本情况表" in [
            c.value for row in ws.iter_rows(max_row=3) for c in row]
        for label, want in (("城市", data.cover["city"]), ("批次", data.cover["batch"]), ("申报年度", data.cover["year"]),
                            ("企业名称", name)):
            cell = value_right_of(ws, label)
            assert cell.value == want and cell.protection.locked, (f.name, label)
        rec = a3.get(name_key(name), {})
        for fld in t3.fields:
            label = fld.header.replace("\n", "")
            cell = value_right_of(ws, label)
            want = rec.get(fld.key)
            if want is not None and not hasattr(want, "reason"):
                assert same(cell.value, want), (f.name, label, cell.value, want)
                checked += 1
            if fld.key == "name" or (fld.key == "credit_code" and want and valid_code(want)):
                assert cell.protection.locked, (f.name, label)
            else:
                assert not cell.protection.locked, (f.name, label, "an input cell must be unlocked")
                dv = validation_of(ws, cell)
                assert dv is not None and dv.showInputMessage and dv.prompt, (f.name, label, "input hint")
                if fld.choices:
                    assert list_items(wb, dv) == list(fld.choices), (f.name, label)
        # 企业简介: a live count of its characters next to it
        intro = value_right_of(ws, t3.field("intro").header.replace("\n", ""))
        formulas = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
        assert any("LEN(" in v and intro.coordinate.split(":")[0] in v for v in formulas)
        # 附4: 13 indicators × three periods under their headers, found by the 二级指标 text
        ws4 = wb["附4"]
        assert ws4.protection.sheet
        assert value_right_of(ws4, "企业名称").value == name and value_right_of(ws4, "企业名称").protection.locked
        rec4 = a4.get(name_key(name), {})
        header_row = row_of_text(ws4, "二级指标")
        for ind in spec.indicators:
            r = row_of_text(ws4, ind.header)
            for period, label in spec.periods:
                cell = ws4.cell(r, column_under(ws4, label, header_row))
                want = rec4.get(f"{ind.key}_{period}")
                if want is not None and not hasattr(want, "reason"):
                    assert same(cell.value, want), (f.name, ind.key, period, cell.value, want)
                    checked += 1
                assert not cell.protection.locked
                dv = validation_of(ws4, cell)
                assert dv is not None and dv.prompt
                if ind.choices:
                    assert list_items(wb, dv) == list(ind.choices)
        notes = " ".join(str(c.value) for row in ws4.iter_rows() for c in row if c.value)
        assert "注：1.所有指标均需填报。" in notes and "企业（盖章）" in notes
    assert checked > 0


@pytest.mark.parametrize("city", CITIES, ids=lambda p: p.stem)
def test_platform_forms_prefilled_with_subtables_and_checklist(city_forms, city):
    spec = get_spec()
    data, files = city_forms[city]
    basic = {name_key(r["unit"]): r for r in data.tables["a5_basic"].frame.to_dict("records") if isinstance(r["unit"], str)}
    a2 = {name_key(r["name"]): r for r in data.tables["a2"].frame.to_dict("records") if isinstance(r["name"], str)}
    ops = data.tables["a5_ops"].frame.to_dict("records")
    srv = data.tables["a5_srv"].frame.to_dict("records")
    for f in (f for f in files if f.name.startswith("附5-")):
        wb = load_workbook(f)
        ws = wb["附5"]
        assert ws.protection.sheet
        unit = value_right_of(ws, "申请单位（盖章）")
        assert unit.protection.locked
        key = name_key(unit.value)
        doc = value_right_of(ws, "认定文号")
        assert doc.value == a2[key]["doc_no"] and doc.protection.locked
        for fld in spec.table("a5_basic").fields[1:]:
            cell = value_right_of(ws, fld.header)
            want = basic.get(key, {}).get(fld.key)
            if want is not None:
                assert same(cell.value, want), (f.name, fld.header)
            assert not cell.protection.locked
        # 二、运营管理: one row per history year, 年度 locked, the city's numbers in place
        hdr = row_of_text(ws, "营业收入")
        year_col, rev_col = column_under(ws, "年度", hdr), column_under(ws, "营业收入", hdr)
        years = [ws.cell(hdr + i, year_col).value for i in (1, 2)]
        assert years == [data.cover["year"] - 1, data.cover["year"] - 2]
        assert ws.cell(hdr + 1, year_col).protection.locked and not ws.cell(hdr + 1, rev_col).protection.locked
        for r in ops:
            if isinstance(r["unit"], str) and name_key(r["unit"]) == key and r["year"] in years:
                assert same(ws.cell(hdr + 1 + years.index(r["year"]), rev_col).value, r["revenue"])
        # 四、服务的企业名单: the city's rows, room for more, satisfaction as the spec's dropdown
        hdr = row_of_text(ws, "服务的企业名称")
        ent_col, sat_col = column_under(ws, "服务的企业名称", hdr), column_under(ws, "企业满意度", hdr)
        mine = [r for r in srv if isinstance(r["unit"], str) and name_key(r["unit"]) == key]
        listed = [ws.cell(hdr + 1 + i, ent_col).value for i in range(len(mine))]
        assert listed == [r["enterprise"] for r in mine]
        blank = ws.cell(hdr + 1 + len(mine), ent_col)
        assert blank.value is None and not blank.protection.locked, "room for more served enterprises"
        dv = validation_of(ws, ws.cell(hdr + 1, sat_col))
        assert list_items(wb, dv) == list(spec.table("a5_srv").field("satisfaction").choices)
        # the 申请报告 checklist: each attachment ticked 是/否 by dropdown
        for item in ("信用中国", f"{data.cover['year'] - 1}年度审计报告", "服务协议复印件"):
            cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and item in c.value)
            tick = value_right_of(ws, cell.value)
            assert list_items(wb, validation_of(ws, tick)) == ["是", "否"] and not tick.protection.locked


def test_every_form_passes_the_excel_limits_checker(city_forms):
    files = [f for _d, fs in city_forms.values() for f in fs]
    assert files
    for f in files:
        assert check_package(f) == [], f.name


def test_form_marker_names_the_form_and_calamine_reads_it(city_forms):
    from python_calamine import CalamineWorkbook
    data, files = city_forms[CITIES[0]]
    for f in files:
        book = CalamineWorkbook.from_path(str(f))
        grid = book.get_sheet_by_name("_xjr_form").to_python()
        marker = {row[0]: row[1] for row in grid}
        assert marker["form"] == ("enterprise" if f.name.startswith("附3") else "platform")
        assert marker["city"] == data.cover["city"] and int(marker["batch"]) == data.cover["batch"]
        assert marker["name"] and name_key(marker["name"])[:10] in name_key(f.name)
        vis = {m.name: str(m.visible) for m in book.sheets_metadata}
        assert "VeryHidden" in vis["_xjr_form"], vis


def test_reader_ignores_our_bookkeeping_sheets(city_forms):
    """A form read as a workbook holds no stray data from the marker or list sheets."""
    _data, files = city_forms[CITIES[0]]
    data = read_workbook(files[0])
    assert all(t.sheet not in ("_xjr_form", "_xjr_lists") for t in data.tables.values())


# ---------------------------------------------------------------- file names, refusals

def test_file_names_safe_for_windows_and_unique():
    from xjr_excel.fillin.build import file_names, safe_stem
    from xjr_excel.fillin.sources import Form
    assert safe_stem("CON") == "_CON" and safe_stem("lpt1.abc") == "_lpt1.abc"
    assert safe_stem('A<B>C:D"E/F\\G|H?I*J') == "A_B_C_D_E_F_G_H_I_J"
    assert safe_stem("名称. ") == "名称" and len(safe_stem("长" * 300)) <= 80
    forms = [Form("enterprise", n, i) for i, n in enumerate(["甲公司", "甲公司", "ABC", "abc", "a/b", "a_b"])]
    names = file_names(forms)
    assert len({n.casefold() for n in names}) == len(names)
    assert names[0] == "附3附4-甲公司.xlsx" and names[1] == "附3附4-甲公司-2.xlsx"


def test_forms_never_overwrite_a_file_that_is_not_ours(tmp_path):
    out = tmp_path / "out"
    assert main(["forms", str(CITIES[0]), "-o", str(out)]) == 0
    victim = sorted(out.glob("附3附4-*.xlsx"))[0]
    victim.write_bytes(b"someone's own file")
    assert main(["forms", str(CITIES[0]), "-o", str(out)]) == 1       # that one refused, the rest written
    assert victim.read_bytes() == b"someone's own file"
    assert main(["forms", str(CITIES[0]), "-o", str(out), "--force"]) == 0
    assert victim.read_bytes() != b"someone's own file"


def test_rerun_replaces_our_own_forms(tmp_path):
    assert main(["forms", str(CITIES[0]), "-o", str(tmp_path)]) == 0
    assert main(["forms", str(CITIES[0]), "-o", str(tmp_path)]) == 0


def test_output_must_be_a_folder(tmp_path, capsys):
    assert main(["forms", str(CITIES[0]), "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "文件夹" in capsys.readouterr().err


# ---------------------------------------------------------------- tracking forms

@pytest.mark.parametrize("book", TRACKS, ids=lambda p: p.stem)
def test_tracking_forms_lock_initial_values_and_targets(tmp_path, book):
    spec = get_spec()
    data = read_workbook(book)
    assert main(["forms", str(book), "-o", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("目标完成情况-*.xlsx"))
    rows = [r for r in data.tables["track"].frame.to_dict("records") if isinstance(r["name"], str)]
    assert len(files) == len(rows)
    by_name = {name_key(r["name"]): r for r in rows}
    for f in files:
        wb = load_workbook(f)
        ws = wb["目标完成情况"]
        assert ws.protection.sheet
        name = value_right_of(ws, "企业名称")
        assert name.protection.locked
        rec = by_name[name_key(name.value)]
        code = value_right_of(ws, "统一社会信用代码")
        assert code.value == rec["credit_code"] and code.protection.locked
        hdr = row_of_text(ws, "二级指标")
        for ind in spec.indicators:
            r = row_of_text(ws, ind.header)
            for period, label, locked in (("i0", "初始值", True), ("target", "目标值", True), ("actual", "实际值", False)):
                cell = ws.cell(r, column_under(ws, label, hdr))
                want = rec.get(f"{ind.key}_{period}")
                if want is not None:
                    assert same(cell.value, want), (f.name, ind.key, period)
                assert cell.protection.locked is locked, (f.name, ind.key, period)
            met = ws.cell(r, column_under(ws, "完成", hdr))
            assert isinstance(met.value, str) and met.value.startswith("=IF(") and met.protection.locked
        reason = value_right_of(ws, next(c.value for row in ws.iter_rows() for c in row
                                         if isinstance(c.value, str) and c.value.startswith("未完成原因")))
        assert not reason.protection.locked
        assert check_package(f) == []


# ---------------------------------------------------------------- LibreOffice: opens and prints

TITLE = re.compile(r"第\d+批")


@pytest.mark.slow
@pytest.mark.parametrize("city", CITIES, ids=lambda p: p.stem)
def test_printed_packet_every_page_titled_and_named(tmp_path, city):
    from tests.office import pdf_to_png
    from tests.printed import printed_pages
    data = read_workbook(city)
    prefix = f"{data.cover['city']}第{data.cover['batch']}批"
    out = tmp_path / "pdf"
    assert main(["forms", str(city), "--print", str(out)]) == 0       # one PDF per form: LibreOffice opened each
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == len(_names(data, "a1")) + len(_names(data, "a2"))
    for pdf in pdfs:
        pages = printed_pages(pdf)
        name = pdf.stem.split("-", 1)[1]
        for page in pages:
            text = page.text
            assert prefix in text, (pdf.name, page.number)
            assert name_key(name)[:12] in name_key(text), (pdf.name, page.number, "enterprise name on every page")
            assert not page.cut, (pdf.name, page.number, [w.text for w in page.cut][:5])
        sheets = [p.sheet for p in pages]
        if pdf.name.startswith("附3附4-"):
            assert 1 <= sheets.count("附3") <= 2, sheets           # 附3 one page (企业简介 may take a second)
            assert sheets.count("附4") == 1, sheets                 # 附4 on one page
            a4 = next(p for p in pages if p.sheet == "附4")
            assert "实施期满两年目标" in a4.text and "上年主营业务收入增长率" in a4.text   # the whole width
        else:
            assert set(sheets) == {"附5"}
    png = pdf_to_png(pdfs[0], tmp_path / "look", dpi=50)
    assert png


@pytest.mark.slow
def test_printed_packet_merged_into_one_pdf(tmp_path):
    from pypdf import PdfReader
    city = CITIES[0]
    out = tmp_path / "packet.pdf"
    assert main(["forms", str(city), "--print", str(out)]) == 0
    reader = PdfReader(str(out))
    data = read_workbook(city)
    forms = [o for o in reader.outline if isinstance(o, dict)]     # nested lists: LibreOffice's sheet bookmarks
    assert len(forms) == len(_names(data, "a1")) + len(_names(data, "a2"))
    assert [f.title for f in forms][0].startswith("附3附4-") and [f.title for f in forms][-1].startswith("附5-")
    assert len(reader.pages) >= 2 * len(_names(data, "a1")) + len(_names(data, "a2"))   # 附3 + 附4 each
    out.write_bytes(b"mine")
    assert main(["forms", str(city), "--print", str(out)]) == 2          # not ours: never overwritten
    assert out.read_bytes() == b"mine"


@pytest.mark.slow
def test_tracking_forms_print_on_one_page_each(tmp_path):
    from tests.office import convert
    from tests.printed import printed_pages
    book = TRACKS[0]
    data = read_workbook(book)
    assert main(["forms", str(book), "-o", str(tmp_path)]) == 0
    for f in sorted(tmp_path.glob("目标完成情况-*.xlsx"))[:3]:
        pages = printed_pages(convert(f, tmp_path / "pdf"))
        assert len(pages) == 1, f.name
        text = pages[0].text
        assert f"{data.cover['city']}第{data.cover['batch']}批重点“小巨人”企业目标完成情况表" in text
        assert name_key(f.stem.split("-", 1)[1])[:12] in name_key(text) and "未完成原因" in text
        assert not pages[0].cut, [w.text for w in pages[0].cut][:5]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_marker_survives_a_save_by_libreoffice(tmp_path, fmt):
    from python_calamine import CalamineWorkbook
    from tests.office import convert
    assert main(["forms", str(CITIES[0]), "-o", str(tmp_path / "forms")]) == 0
    form = sorted((tmp_path / "forms").glob("附3附4-*.xlsx"))[0]
    saved = convert(form, tmp_path / "saved", fmt=fmt)
    book = CalamineWorkbook.from_path(str(saved))
    assert [m.name for m in book.sheets_metadata][:2] == ["附3", "附4"]
    marker = {r[0]: r[1] for r in book.get_sheet_by_name("_xjr_form").to_python()}
    assert marker["form"] == "enterprise" and name_key(marker["name"])[:10] in name_key(form.name)


def _cell_texts(path: Path) -> set[str]:
    from python_calamine import CalamineWorkbook
    book = CalamineWorkbook.from_path(str(path))
    out = set()
    for name in book.sheet_names:
        if name.startswith("_xjr_"):
            continue
        for row in book.get_sheet_by_name(name).to_python():
            out.update(v.strip() for v in row if isinstance(v, str) and v.strip())
    return out


def test_signature_labels_tell_each_form_from_everything_else(city_forms, tmp_path):
    """A form that lost its marker is still recognisable: its kind's labels are whole cells on it, and
    on nothing else we write or read (other forms, the master, city and tracking workbooks)."""
    from xjr_excel.fillin.layout import ENTERPRISE, PLATFORM, TRACK, signature_labels
    assert main(["forms", str(TRACKS[0]), "-o", str(tmp_path / "track")]) == 0
    files = {ENTERPRISE: [], PLATFORM: [], TRACK: sorted((tmp_path / "track").glob("*.xlsx")), "other": []}
    for _data, fs in city_forms.values():
        for f in fs:
            files[ENTERPRISE if f.name.startswith("附3附4-") else PLATFORM].append(f)
    files["other"] = [*CITIES, *TRACKS, ROOT / "workbook" / "xjr-master.xlsm"]
    texts = {k: [_cell_texts(f) for f in fs] for k, fs in files.items()}
    for kind in (ENTERPRISE, PLATFORM, TRACK):
        labels = set(signature_labels(kind))
        assert texts[kind] and all(labels <= t for t in texts[kind]), kind
        for other, ts in texts.items():
            if other != kind:
                assert not any(labels <= t for t in ts), (kind, other)


def test_a_platform_with_more_rows_than_the_blank_ones_gets_them_all(tmp_path):
    from xjr_excel.fillin.build import forms_of, write_form
    spec, forms, _notes = forms_of(CITIES[0])
    form = next(f for f in forms if f.kind == "platform")
    form.rows["a5_srv"] = [{"enterprise": f"企业{i}", "satisfaction": "满意"} for i in range(1, 13)]
    path = write_form(tmp_path / "附5.xlsx", spec, form)
    ws = load_workbook(path)["附5"]
    hdr = row_of_text(ws, "服务的企业名称")
    col = column_under(ws, "服务的企业名称", hdr)
    assert [ws.cell(hdr + i, col).value for i in range(1, 13)] == [f"企业{i}" for i in range(1, 13)]
    assert ws.cell(hdr + 13, col).value is None and not ws.cell(hdr + 13, col).protection.locked
    assert value_right_of(ws, "申请单位（盖章）").value == form.name           # the sections below moved down whole
    assert check_package(path) == []
