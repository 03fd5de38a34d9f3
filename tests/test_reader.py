"""The reader on real files: tables found by the spec in messy workbooks, values normalised for
checking only, nothing executed or changed."""
from __future__ import annotations

import datetime as dt
import hashlib
import zipfile

import pytest
from openpyxl import load_workbook

from conftest_validate import (ENTERPRISES, PLATFORMS, SPEC, build_grids, cell_of, records, with_value,
                               write_xlsx)
from xjr_excel.read import normalize as N
from xjr_excel.errors import InputRejected
from xjr_excel.model import Unparsed
from xjr_excel.read.workbook import read_grids, read_workbook
from xjr_excel.validate.run import validate


def messy_grids():
    """What cities really send: renamed sheets, moved and inserted columns, spaced headers,
    blank rows, a note under the table, text dates, full-width digits, ticks."""
    recs = records()
    recs["a3"][0]["reg_date"] = "2010年3月3日"
    recs["a3"][1]["reg_date"] = "2011.4.5"
    recs["a3"][2]["staff"] = "３５３"
    recs["a3"][0]["capital"] = "1,000.5"
    recs["a3"][1]["size"] = "☑中型 □小型 □微型"
    recs["a3"][2]["industry"] = "34"
    recs["a4"][0]["main_rev_share_i0"] = "85%"
    recs["a4"][1]["standard_level_i0"] = "√"
    recs["a1"][1]["miit_batch"] = "第三批"
    grids = build_grids(recs)
    # 附1: renamed sheet, columns swapped, header with spaces and a line break, blank row, note row
    a1 = grids.pop("附1")
    for row in a1[3:]:
        row[1], row[2] = row[2], row[1]
    a1[3][2] = "企 业 名 称\n（须与工业和信息化部公布的名称一致）"
    a1.insert(5, ["", "", ""])                      # blank row inside the data
    a1.append(["注：1.“企业名称”须与工业和信息化部公布名称一致", "", ""])
    a1.append(["", "", ""])
    grids["附件1"] = a1
    # 附3: an inserted column (备注) before 法定代表人 and an extra title row above the header
    a3 = grids["附3"]
    for r, row in enumerate(a3):
        row.insert(1, "备注" if r == 3 else ("已核实" if r > 3 else ""))
    a3.insert(2, ["（组织具体企业填报）"] + [""] * (len(a3[0]) - 1))
    return grids


@pytest.fixture(scope="module")
def messy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("messy") / "南京市.xlsx"
    grids = messy_grids()
    # hidden row with data (附2 row 6), a %-formatted cell (附4 rd_share_i0 of record 2 holds 0.052),
    # a merged 申请单位 over the two year rows of 附5 运营情况, a formula error in 附4
    a4 = grids["附4"]
    col = [f.key for f in SPEC.table("a4").fields].index("rd_share_i0")
    a4[7][col] = 0.052
    a4[7][[f.key for f in SPEC.table("a4").fields].index("growth_i0")] = "#DIV/0!"
    a5 = grids["附5"]
    ops = SPEC.table("a5_ops")
    a5[5][ops.first_col - 1] = ""             # second row of the first platform: unit only in the merged top
    write_xlsx(grids, path, hidden_rows={"附2": {6}},
               percent_cells={"附4": [cell_of("a4", 1, "rd_share_i0")]},
               merges={"附5": [f"{cell_of('a5_ops', 0, 'unit')}:{cell_of('a5_ops', 1, 'unit')}"]})
    return path


def test_messy_workbook_reads_like_the_clean_one(messy_file):
    data = read_workbook(messy_file)
    a1 = data.tables["a1"]
    assert a1.sheet == "附件1"
    assert a1.columns == {"seq": 1, "name": 3, "miit_batch": 2}
    assert list(a1.frame["name"]) == ENTERPRISES                 # blank row skipped, note row ends the table
    assert list(a1.frame.index) == [5, 7, 8]                     # frame index = sheet rows
    a3 = data.tables["a3"]
    assert a3.header_row == 5 and a3.columns["name"] == 1 and a3.columns["legal_rep"] == 3
    f = a3.frame
    assert list(f["reg_date"])[:2] == [dt.date(2010, 3, 3), dt.date(2011, 4, 5)]
    assert list(f["staff"]) == [351, 352, 353]
    assert f["capital"].iloc[0] == 1000.5
    assert f["size"].iloc[1] == "中型"
    assert f["industry"].iloc[2] == "C34 通用设备制造业"
    a4 = data.tables["a4"].frame
    assert a4["main_rev_share_i0"].iloc[0] == 85
    assert a4["rd_share_i0"].iloc[1] == pytest.approx(5.2)          # 0.052 in a %-formatted cell
    assert a4["standard_level_i0"].iloc[1] == "是"
    assert isinstance(a4["growth_i0"].iloc[1], Unparsed) and a4["growth_i0"].iloc[1].reason == "formula_error"
    ops = data.tables["a5_ops"].frame
    assert list(ops["unit"]) == [PLATFORMS[0], PLATFORMS[0], PLATFORMS[1], PLATFORMS[1]]   # merged cell spread
    # raw keeps what the user typed
    assert data.tables["a3"].raw["staff"].iloc[2] == "３５３"
    assert data.tables["a4"].raw["main_rev_share_i0"].iloc[0] == "85%"


def test_messy_workbook_findings(messy_file):
    found = validate(read_workbook(messy_file))
    got = {(f.sheet, f.cell, f.rule) for f in found}
    growth_cell = cell_of("a4", 1, "growth_i0")
    assert ("附4", growth_cell, "cell.formula_error") in got
    assert ("附2", "A6", "file.hidden_row") in got
    # nothing else: the mess is all readable
    assert {r for _, _, r in got} == {"cell.formula_error", "file.hidden_row"}, sorted(got)


def test_reading_changes_nothing_and_runs_nothing(messy_file):
    before = hashlib.sha256(messy_file.read_bytes()).hexdigest()
    read_workbook(messy_file)
    assert hashlib.sha256(messy_file.read_bytes()).hexdigest() == before


def test_template_master_reads_with_every_table(tmp_path):
    from xjr_excel.template import build as template
    path = template.build_workbook(tmp_path / "master.xlsm", city="南京市", batch=3, year=2026)
    data = read_workbook(path)
    assert data.has_macros
    assert all(td.sheet for td in data.tables.values())
    assert all(not td.missing for td in data.tables.values())
    assert data.cover["city"] == "南京市" and data.cover["batch"] == 3 and data.cover["year"] == 2026
    rules = {f.rule for f in validate(data)}
    assert not rules & {"file.sheet_missing", "file.column_missing"}


def test_filled_template_is_found_and_clean(tmp_path):
    """Data typed into the real template (its tables, validations, formats) validates clean."""
    from xjr_excel.template import build as template
    path = template.build_workbook(tmp_path / "city.xlsx", city="南京市", batch=3, year=2026,
                                   department="南京市工业和信息化局")
    wb = load_workbook(path)
    grids = build_grids()
    for sheet in ("封面", "实施方案", "附1", "附2", "附3", "附4", "附5"):
        ws = wb[sheet]
        tables = SPEC.tables_on({"封面": "cover", "实施方案": "plan"}.get(sheet, sheet.replace("附", "a")))
        if sheet == "封面":
            for r, row in enumerate(grids[sheet][4:], start=5):
                ws.cell(r, 2, row[1])
            continue
        for t in tables:
            for r, row in enumerate(grids[sheet][t.header_row:], start=t.header_row + 1):
                for c in range(t.first_col, t.last_col + 1):
                    v = row[c - 1] if c - 1 < len(row) else ""
                    if v != "":
                        ws.cell(r, c, v)
    wb.save(path)
    found = validate(read_workbook(path), today=dt.date(2026, 6, 1))
    assert [f for f in found if f.severity == "error"] == []


@pytest.mark.slow
def test_xls_through_a_real_reader(tmp_path, messy_file):
    """An old .xls (made by LibreOffice, which also stores the formula error) reads the same."""
    import office as render
    src = tmp_path / "南京市.xlsx"
    src.write_bytes(messy_file.read_bytes())
    xls = render.convert(src, tmp_path / "xls", "xls")
    data = read_workbook(xls)
    assert list(data.tables["a1"].frame["name"]) == ENTERPRISES
    assert data.tables["a4"].frame["rd_share_i0"].iloc[1] == pytest.approx(5.2)
    found = {(f.sheet, f.cell, f.rule) for f in validate(data)}
    assert ("附4", cell_of("a4", 1, "growth_i0"), "cell.formula_error") in found
    assert ("附2", "A6", "file.hidden_row") in found


def test_missing_sheet_and_column_are_findings_not_crashes():
    grids = build_grids()
    del grids["附5"]
    grids["附3"][3][2] = "信用代码（新）"
    found = validate(read_grids(grids, file="x.xlsx"))
    rules = {(f.rule, f.field) for f in found}
    assert ("file.sheet_missing", "附5") in rules
    assert ("file.column_missing", "统一社会信用代码") in rules
    assert not any(f.rule == "field.required" and f.field == "统一社会信用代码" for f in found)


def test_not_a_template_is_rejected(tmp_path):
    path = write_xlsx({"Sheet1": [["姓名", "年龄"], ["张三", 30]]}, tmp_path / "other.xlsx")
    with pytest.raises(InputRejected) as e:
        read_workbook(path)
    assert "不是本填报模板" in e.value.message


def test_table_found_on_an_unnamed_sheet():
    grids = build_grids()
    grids["Sheet3"] = grids.pop("附3")
    data = read_grids(grids, file="x.xlsx")
    assert data.tables["a3"].sheet == "Sheet3"
    assert len(data.tables["a3"].frame) == 3


def test_read_grids_percent_cells_and_hidden_rows():
    grids = build_grids(with_value("a4", 0, "main_rev_share_i0", 0.85))
    a4 = SPEC.table("a4")
    col = a4.first_col + [f.key for f in a4.fields].index("main_rev_share_i0")
    plain = read_grids(grids, file="x.xlsx")
    assert plain.tables["a4"].frame["main_rev_share_i0"].iloc[0] == 0.85
    pct = read_grids(grids, file="x.xlsx", percent_cells={"附4": {(a4.header_row + 1, col)}})
    assert pct.tables["a4"].frame["main_rev_share_i0"].iloc[0] == 85


@pytest.mark.parametrize("value,expected", [
    ("１２", 12), ("1,234", 1234), ("120人", 120), (12.0, 12), ("无", None), ("——", None), ("/", None),
])
def test_normalise_int(value, expected):
    assert N.to_number(value, integer=True) == expected


@pytest.mark.parametrize("value,cell,expected", [("85%", False, 85), (85, False, 85), (0.85, True, 85),
                                                  ("８５％", False, 85), ("-5%", False, -5)])
def test_normalise_percent(value, cell, expected):
    assert N.to_number(value, percent=True, percent_cell=cell) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["2015年3月2日", "2015.3.2", "2015/3/2", "2015-03-02", 42065, "20150302",
                                   dt.datetime(2015, 3, 2, 0, 0)])
def test_normalise_date(value):
    assert N.to_date(value) == dt.date(2015, 3, 2)


@pytest.mark.parametrize("text", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"])
def test_formula_errors_are_unparsed(text):
    got = N.to_number(text)
    assert isinstance(got, Unparsed) and got.reason == "formula_error"


@pytest.mark.parametrize("value,expected", [
    ("☑是 □否", "是"), ("□是 ■否", "否"), ("√", "是"), ("是√", "是"), ("□是 □否", None), ("Y", "是"),
    ("☑是 ☑否", Unparsed("☑是 ☑否", "choice")),
])
def test_ticks(value, expected):
    assert N.to_choice(value, ("否", "是")) == expected


@pytest.mark.parametrize("value", [3, "3", "第3批", "三", "第三批", "第 ３ 批"])
def test_batch_forms(value):
    assert N.to_choice(value, tuple(SPEC.policy.miit_batch_names)) == "第三批"


@pytest.mark.parametrize("value", [34, "34", "C34", "C34 通用设备制造业", "C34通用设备制造业", "通用设备制造业", "c34"])
def test_industry_forms(value):
    assert N.to_industry(value, SPEC.table("a3").field("industry").choices) == "C34 通用设备制造业"


def test_industry_code_and_name_disagree():
    got = N.to_industry("C35 通用设备制造业", SPEC.table("a3").field("industry").choices)
    assert isinstance(got, Unparsed) and got.reason == "industry"


def test_control_characters_are_stripped_for_checking():
    assert N.to_text("张\u200b三\u0007") == "张三"
    assert N.count_chars("一 二\n三\u3000四") == 4


@pytest.mark.slow
def test_libreoffice_saved_copy_reads_the_same(tmp_path):
    """A second writer (LibreOffice: other XML conventions, recalculated formulas) gives the same findings."""
    from pathlib import Path as P
    import office as render
    sample = P(__file__).resolve().parent.parent / "samples" / "苏州市.xlsx"
    src = tmp_path / "in" / sample.name
    src.parent.mkdir()
    src.write_bytes(sample.read_bytes())
    copy_ = render.convert(src, tmp_path / "lo", "xlsx")
    ours = {(f.sheet, f.cell, f.rule) for f in validate(read_workbook(src))}
    theirs = {(f.sheet, f.cell, f.rule) for f in validate(read_workbook(copy_))}
    assert ours and theirs == ours


def test_xlwings_style_values_read_clean():
    """What xlwings' used_range.value gives: None for blanks, floats for whole numbers, datetimes."""
    def xl(v):
        if v == "":
            return None
        if isinstance(v, int) and not isinstance(v, bool):
            return float(v)
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return dt.datetime(v.year, v.month, v.day)
        return v
    grids = {name: [[xl(v) for v in row] for row in grid] for name, grid in build_grids().items()}
    assert validate(read_grids(grids, file="南京市.xlsx"), today=dt.date(2026, 6, 1)) == []


def test_pasted_header_and_hidden_blank_rows_are_not_records():
    grids = build_grids()
    a3 = grids["附3"]
    a3.insert(5, list(a3[3]))                      # the header pasted again between two records
    data = read_grids(grids, file="x.xlsx", hidden_rows={"附3": {20, 21}})
    assert list(data.tables["a3"].frame["name"]) == ENTERPRISES
    assert validate(data, today=dt.date(2026, 6, 1)) == []


def test_findings_sorted_by_sheet_order_row_column():
    from conftest_validate import records
    recs = records()
    recs["a4"][2]["rd_share_i0"] = 1
    recs["a3"][1]["ownership"] = "私营"
    recs["a3"][1]["legal_rep"] = None
    recs["a1"][2]["miit_batch"] = "3"
    found = validate(read_grids(build_grids(recs), file="x.xlsx"), today=dt.date(2026, 6, 1))
    assert [(f.sheet, f.cell) for f in found] == [
        ("附1", cell_of("a1", 2, "miit_batch")), ("附3", cell_of("a3", 1, "legal_rep")),
        ("附3", cell_of("a3", 1, "ownership")), ("附4", cell_of("a4", 2, "rd_share_i0"))]


def test_side_by_side_tables_with_an_inserted_column():
    """附5 holds five tables side by side; a column inserted into one of them moves the rest."""
    grids = build_grids()
    a5 = grids["附5"]
    ops = SPEC.table("a5_ops")
    at = ops.first_col + 2                         # after 申请单位, 年度
    for r, row in enumerate(a5):
        row.insert(at - 1, "备注" if r == ops.header_row - 1 else ("已审计" if r >= ops.header_row else ""))
    data = read_grids(grids, file="x.xlsx")
    assert data.tables["a5_ops"].columns["revenue"] == at + 1
    assert data.tables["a5_srv"].columns["unit"] == SPEC.table("a5_srv").first_col + 1
    assert validate(data, today=dt.date(2026, 6, 1)) == []


def test_side_by_side_tables_without_separator_columns():
    """The blank columns between 附5's tables deleted: each table still gets its own columns."""
    grids = build_grids()
    seps = [t.last_col for t in SPEC.tables_on("a5")][:-1]      # 0-based index of each separator column
    grids["附5"] = [[v for c, v in enumerate(row) if c not in seps] for row in grids["附5"]]
    data = read_grids(grids, file="x.xlsx")
    assert data.tables["a5_ops"].columns["unit"] == SPEC.table("a5_basic").last_col + 1
    assert list(data.tables["a5_tot"].frame["activities"]) == [12] * 4
    assert validate(data, today=dt.date(2026, 6, 1)) == []


def test_damaged_sheet_is_refused_with_a_message(tmp_path):
    """A broken <dimension> that gets past the guard: calamine fails; the user gets a sentence, not a traceback."""
    good = write_xlsx(build_grids(), tmp_path / "good.xlsx")
    bad = tmp_path / "南京市.xlsx"
    with zipfile.ZipFile(good) as z, zipfile.ZipFile(bad, "w") as out:
        for n in z.namelist():
            data = z.read(n)
            if n.startswith("xl/worksheets/") and b'<dimension ref="A1:C7"' in data:
                data = data.replace(b'<dimension ref="A1:C7"', b'<dimension ref="A0:C7"')
            out.writestr(n, data)
    with pytest.raises(InputRejected) as e:
        read_workbook(bad)
    assert e.value.kind == "damaged" and "附1" in e.value.message and "另存为" in e.value.message
