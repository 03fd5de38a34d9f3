"""Every rule of the spec: one submission that breaks it (the finding names the right cell)
and one that keeps it (no finding of that rule).

Submissions are built as 2-D grids laid out like the master template and read
through reader.read_grids — the same core the file reader and the Excel ribbon use.
"""
from __future__ import annotations

import datetime as dt

import pytest

from conftest_validate import (ENTERPRISES, HIST, PLATFORMS, SPEC, build_grids, cell_of, credit_code, records,
                               with_value)
from xjr_excel.validate import rules as rules
from xjr_excel.read.names import Reference
from xjr_excel.read.workbook import read_grids
from xjr_excel.validate.run import validate

TODAY = dt.date(2026, 6, 1)


def run(grids, names=None, **kw):
    return validate(read_grids(grids, file="南京市.xlsx", **kw), names, today=TODAY)


def g(table, index, key, value, **cover):
    return build_grids(with_value(table, index, key, value), **cover)


def recs_with(*changes):
    recs = records()
    for table, index, key, value in changes:
        recs[table][index][key] = value
    return recs


def without_sheet(name, rename=None):
    grids = build_grids()
    grid = grids.pop(name)
    if rename:
        grids[rename] = grid
    return grids


def without_header(sheet, table, key):
    grids = build_grids()
    t = SPEC.table(table)
    grids[sheet][t.header_row - 1][t.first_col - 1 + [f.key for f in t.fields].index(key)] = ""
    return grids


def cover_blank(key):
    grids = build_grids()
    row = 4 + [c.key for c in SPEC.cover].index(key)
    grids["封面"][row][1] = ""
    return grids


def plan_text(section_texts: dict[int, str | None]):
    recs = records()
    for rec in recs["plan"]:
        if rec["section"] in section_texts:
            rec["text"] = None
    for sec, text in section_texts.items():
        if text is not None:
            next(r for r in recs["plan"] if r["section"] == sec)["text"] = text
    return build_grids(recs)


def drop_rows(table, pred):
    recs = records()
    recs[table] = [r for r in recs[table] if not pred(r)]
    return build_grids(recs)


def a3_orientation(four_base, fill_gap, shortboard, sb_field=None):
    return build_grids(recs_with(("a3", 0, "four_base", four_base), ("a3", 0, "four_base_category", None),
                                 ("a3", 0, "fill_gap", fill_gap), ("a3", 0, "fill_gap_field", None),
                                 ("a3", 0, "shortboard", shortboard), ("a3", 0, "shortboard_field", sb_field)))


def c(table, index, key):
    """(sheet name, cell) of a record's field."""
    return SPEC.sheet(SPEC.table(table).sheet).name, cell_of(table, index, key)


A5_TABLES = [t.key for t in SPEC.tables_on("a5")]
COVER_ROW = {cf.key: 5 + i for i, cf in enumerate(SPEC.cover)}
REF_HALF_WIDTH = Reference([ENTERPRISES[0], ENTERPRISES[1], "南京中科微电子(集团)有限公司"])
REF_EXACT = Reference(ENTERPRISES)
long_text = "字" * 101
bad_code = credit_code(1)[:-1] + ("0" if credit_code(1)[-1] != "0" else "1")

# rule id → (breaking grids, expected (sheet, cell), keeping grids[, extra kwargs])
CASES = {
    "file.sheet_missing": (lambda: without_sheet("附2"), ("", ""), lambda: without_sheet("附2", rename="附件2")),
    "file.column_missing": (lambda: without_header("附3", "a3", "staff"), ("附3", "A4"),
                            lambda: without_header("附3", "a3", "four_base_category")),
    "file.cover_missing": (lambda: cover_blank("department"), ("封面", f"B{COVER_ROW['department']}"),
                           lambda: build_grids()),
    "file.hidden_row": (lambda: (build_grids(), {"hidden_rows": {"附1": {6}}}), ("附1", "A6"),
                        lambda: (build_grids(), {"hidden_rows": {"附1": {40}}})),
    "cell.formula_error": (lambda: g("a4", 1, "rd_share_i0", "#DIV/0!"), c("a4", 1, "rd_share_i0"),
                           lambda: g("a4", 1, "rd_share_i0", "5.0%")),
    "cell.control_chars": (lambda: g("a3", 0, "legal_rep", "张\u200b三"), c("a3", 0, "legal_rep"),
                           lambda: g("a3", 0, "legal_rep", "张 三")),
    "field.required": (lambda: g("a3", 2, "legal_rep", "——"), c("a3", 2, "legal_rep"),
                       lambda: g("a3", 2, "legal_rep", "欧阳修")),
    "field.type": (lambda: g("a3", 0, "staff", "三百多"), c("a3", 0, "staff"),
                   lambda: g("a3", 0, "staff", "３,５００人")),
    "field.min": (lambda: g("a3", 1, "capital", 0), c("a3", 1, "capital"), lambda: g("a3", 1, "capital", 0.01)),
    "field.max": (lambda: g("a4", 0, "export_share_y2", 100.5), c("a4", 0, "export_share_y2"),
                  lambda: g("a4", 0, "export_share_y2", "100%")),
    "field.choice": (lambda: g("a3", 0, "ownership", "私营"), c("a3", 0, "ownership"),
                     lambda: g("a3", 0, "ownership", "□国有 □合资 ☑民营 □其他")),
    "field.max_len": (lambda: g("a2", 0, "content", long_text), c("a2", 0, "content"),
                      lambda: g("a2", 0, "content", "字 " * 100 + "\n")),
    "field.unique": (lambda: g("a3", 2, "credit_code", credit_code(1)), c("a3", 2, "credit_code"),
                     lambda: g("a3", 2, "credit_code", credit_code(9))),
    "cover.batch": (lambda: build_grids(batch="第X批"), ("封面", f"B{COVER_ROW['batch']}"),
                    lambda: build_grids(batch="第三批")),
    "cover.year": (lambda: build_grids(year=26), ("封面", f"B{COVER_ROW['year']}"),
                   lambda: build_grids(year="2026年")),
    "plan.limit": (lambda: plan_text({1: "字" * 1001}), ("实施方案", "D5"),
                   lambda: plan_text({1: "字 " * 1000})),
    "plan.empty": (lambda: plan_text({3: None}), ("实施方案", "D11"), lambda: plan_text({3: "目标"})),
    "a1.empty": (lambda: drop_rows("a1", lambda r: True), c("a1", 0, "name"),
                 lambda: drop_rows("a1", lambda r: r["name"] != ENTERPRISES[2])),
    "a2.empty": (lambda: build_grids({**records(), "a2": [], **{k: [] for k in A5_TABLES}}), c("a2", 0, "name"),
                 lambda: drop_rows("a2", lambda r: r["name"] != PLATFORMS[0])),
    "a1.seq": (lambda: g("a1", 1, "seq", 3), c("a1", 1, "seq"), lambda: g("a1", 1, "seq", "２")),
    "a1.miit_batch": (lambda: g("a1", 0, "miit_batch", "第十批"), c("a1", 0, "miit_batch"),
                      lambda: g("a1", 0, "miit_batch", "第八批")),
    "a1.miit_batch_normalised": (lambda: g("a1", 2, "miit_batch", 3), c("a1", 2, "miit_batch"),
                                 lambda: g("a1", 2, "miit_batch", "第三批")),
    "names.not_published": (lambda: (build_grids(), {"names": REF_HALF_WIDTH}), c("a1", 2, "name"),
                            lambda: (build_grids(), {"names": REF_EXACT})),
    "a2.seq": (lambda: g("a2", 0, "seq", None), c("a2", 0, "seq"), lambda: g("a2", 0, "seq", 1.0)),
    "a2.doc_no": (lambda: g("a2", 1, "doc_no", "2020年第123号"), c("a2", 1, "doc_no"),
                  lambda: g("a2", 1, "doc_no", "苏工信中小〔2021〕5号")),
    "a2.doc_no_brackets": (lambda: g("a2", 1, "doc_no", "工信部企业函[2020]123号"), c("a2", 1, "doc_no"),
                           lambda: g("a2", 1, "doc_no", "工信部企业函〔2020〕123号")),
    "a2.legal_entity": (lambda: build_grids(recs_with(("a2", 0, "name", "南京创新平台"),
                                                      ("a5_basic", 0, "unit", "南京创新平台"))), c("a2", 0, "name"),
                        lambda: g("a2", 0, "name", "南京创新服务中心（江北）")),
    "a3.credit_code": (lambda: g("a3", 0, "credit_code", bad_code), c("a3", 0, "credit_code"),
                       lambda: g("a3", 0, "credit_code", " " + credit_code(1).lower())),
    "a3.reg_date_future": (lambda: g("a3", 0, "reg_date", "2026年6月2日"), c("a3", 0, "reg_date"),
                           lambda: g("a3", 0, "reg_date", "2026.6.1")),
    "a3.size_staff": (lambda: g("a3", 0, "staff", 299), c("a3", 0, "size"), lambda: g("a3", 0, "staff", 300)),
    "a3.size_large": (lambda: g("a3", 0, "staff", 1000), c("a3", 0, "staff"), lambda: g("a3", 0, "staff", 999)),
    "a3.industry": (lambda: g("a3", 0, "industry", "C99 其他制造"), c("a3", 0, "industry"),
                    lambda: g("a3", 0, "industry", "通用设备制造业")),
    "a3.product_category": (lambda: g("a3", 0, "product_category", "气体压缩机"), c("a3", 0, "product_category"),
                            lambda: g("a3", 0, "product_category", "智能压缩机（新产品）")),
    "a3.product_code": (lambda: g("a3", 0, "product_category", "344102 气体压缩机"), c("a3", 0, "product_category"),
                        lambda: g("a3", 0, "product_category", "34410201 气体压缩机")),
    "a3.four_base_category": (lambda: g("a3", 0, "four_base_category", None), c("a3", 0, "four_base_category"),
                              lambda: g("a3", 0, "four_base_category", "先进基础工艺")),
    "a3.four_base_conflict": (lambda: g("a3", 0, "four_base", "否"), c("a3", 0, "four_base_category"),
                              lambda: build_grids(recs_with(("a3", 0, "four_base", "否"),
                                                            ("a3", 0, "four_base_category", None)))),
    "a3.gap_field": (lambda: build_grids(recs_with(("a3", 0, "fill_gap", "填补国际空白"),
                                                   ("a3", 0, "fill_gap_field", "无"))), c("a3", 0, "fill_gap_field"),
                     lambda: g("a3", 0, "fill_gap", "填补国际空白")),
    "a3.gap_conflict": (lambda: g("a3", 0, "fill_gap", "否"), c("a3", 0, "fill_gap_field"),
                        lambda: build_grids(recs_with(("a3", 0, "fill_gap", "否"), ("a3", 0, "fill_gap_field", "/")))),
    "a3.shortboard_field": (lambda: g("a3", 1, "shortboard", "是"), c("a3", 1, "shortboard_field"),
                            lambda: build_grids(recs_with(("a3", 1, "shortboard", "☑是 □否"),
                                                          ("a3", 1, "shortboard_field", "高端轴承")))),
    "a3.shortboard_conflict": (lambda: g("a3", 1, "shortboard_field", "高端轴承"), c("a3", 1, "shortboard_field"),
                               lambda: g("a3", 1, "shortboard_field", "——")),
    "a3.orientation": (lambda: a3_orientation("否", "否", "否"), c("a3", 0, "four_base"),
                       lambda: a3_orientation("否", "否", "是", "高端轴承")),
    "cross.a1_a3": (lambda: g("a4", 2, "name", "南京中科微电子有限公司"), c("a4", 2, "name"),
                    lambda: g("a4", 2, "name", " 南京中科微电子(集团)有限公司")),
    "cross.a2_a5": (lambda: drop_rows("a5_basic", lambda r: r["unit"] == PLATFORMS[1]), c("a2", 1, "name"),
                    lambda: build_grids()),
    "cross.a5_years": (lambda: drop_rows("a5_tot", lambda r: r["unit"] == PLATFORMS[1] and r["year"] == HIST[1]),
                       c("a5_tot", 2, "year"), lambda: build_grids()),
    "cross.a5_year_value": (lambda: g("a5_ops", 1, "year", 2023), c("a5_ops", 1, "year"),
                            lambda: g("a5_ops", 1, "year", f"{HIST[1]}年")),
    "a4.main_rev_share": (lambda: g("a4", 0, "main_rev_share_i0", 69.9), c("a4", 0, "main_rev_share_i0"),
                          lambda: g("a4", 0, "main_rev_share_i0", "70%")),
    "a4.rd_share": (lambda: g("a4", 0, "rd_share_i0", "3.99"), c("a4", 0, "rd_share_i0"),
                    lambda: g("a4", 0, "rd_share_i0", 4)),
    "a4.quality_certs": (lambda: g("a4", 1, "quality_certs_i0", 0), c("a4", 1, "quality_certs_i0"),
                         lambda: g("a4", 1, "quality_certs_i0", "1项")),
    "a4.innovation": (lambda: build_grids(recs_with(("a4", 0, "patents_i0", 1), ("a4", 0, "rd_institutions_i0", 0),
                                                    ("a4", 0, "standards_i0", 0))), c("a4", 0, "patents_i0"),
                      lambda: build_grids(recs_with(("a4", 0, "patents_i0", 2), ("a4", 0, "rd_institutions_i0", 0),
                                                    ("a4", 0, "standards_i0", 0)))),
    "a4.growth": (lambda: build_grids(recs_with(("a4", 0, "growth_i0", 0), ("a4", 0, "ipo_plan_i0", "无"))),
                  c("a4", 0, "growth_i0"),
                  lambda: build_grids(recs_with(("a4", 0, "growth_i0", 0), ("a4", 0, "ipo_plan_i0", "无")), batch=1)),
    "a4.target_below_initial": (lambda: g("a4", 0, "patents_y1", 2), c("a4", 0, "patents_y1"),
                                lambda: g("a4", 0, "patents_y1", 3)),
    "a4.ipo_plan": (lambda: g("a4", 0, "ipo_plan_y2", "计划三年内上市"), c("a4", 0, "ipo_plan_y2"),
                    lambda: g("a4", 0, "ipo_plan_y2", "已递交申请书（2027年3月，深交所）")),
    "a5.postcode": (lambda: g("a5_basic", 0, "postcode", "21000"), c("a5_basic", 0, "postcode"),
                    lambda: g("a5_basic", 0, "postcode", 210000)),
    "a5.mobile": (lambda: g("a5_basic", 1, "mobile", "12912345678"), c("a5_basic", 1, "mobile"),
                  lambda: g("a5_basic", 1, "mobile", "139-1234-5678")),
    "a5.phone": (lambda: g("a5_srv", 0, "phone", "8333"), c("a5_srv", 0, "phone"),
                 lambda: g("a5_srv", 0, "phone", "(025)83331234")),
    "a5.email": (lambda: g("a5_basic", 0, "email", "info#example.cn"), c("a5_basic", 0, "email"),
                 lambda: g("a5_basic", 0, "email", "Info.Dept@example.com.cn")),
    "a5.service_revenue": (lambda: g("a5_ops", 3, "service_revenue", 1300), c("a5_ops", 3, "service_revenue"),
                           lambda: g("a5_ops", 3, "service_revenue", 1200.5)),
}


def _run_case(make):
    got = make()
    grids, kw = got if isinstance(got, tuple) else (got, {})
    names = kw.pop("names", None)
    return run(grids, names=names, **kw)


def test_every_rule_has_an_implementation_and_a_case():
    ids = {r.id for r in SPEC.rules}
    assert ids == set(rules.registry(SPEC)), "registry and spec differ"
    named = {r.by for r in SPEC.rules} - {rules.READER}
    assert named == set(rules.CHECKS), f"checks no rule names: {sorted(set(rules.CHECKS) - named)}"
    assert ids == set(CASES), f"rules without a test case: {sorted(ids - set(CASES))}"


def test_clean_submission_has_no_findings():
    assert run(build_grids()) == []


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_breaks(rule_id):
    make, (sheet, cell), _ = CASES[rule_id]
    found = [f for f in _run_case(make) if f.rule == rule_id]
    assert found, f"{rule_id} not reported"
    assert (sheet, cell) in {(f.sheet, f.cell) for f in found}, [(f.sheet, f.cell) for f in found]
    f = found[0]
    assert f.severity == SPEC.rule(rule_id).severity
    assert f.message.endswith(f"（依据：{SPEC.rule(rule_id).clause}）")
    assert "{" not in f.message, f.message


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_keeps(rule_id):
    keep = CASES[rule_id][2]
    found = [f for f in _run_case(keep) if f.rule == rule_id]
    assert found == []


def test_notes_list_every_rule():
    from pathlib import Path
    notes = (Path(__file__).resolve().parent.parent / "docs" / "validate.md").read_text(encoding="utf-8")
    assert [r.id for r in SPEC.rules if f"`{r.id}`" not in notes] == []


def test_plan_rows_deleted_is_empty_plan():
    recs = records()
    recs["plan"] = [r for r in recs["plan"] if r["section"] != 2]
    found = [f for f in run(build_grids(recs)) if f.rule == "plan.empty"]
    assert [(f.sheet, f.cell) for f in found] == [("实施方案", "D4")]
    assert "第2部分" in found[0].message


def only_cover_and_plan():
    recs = records()
    return build_grids({k: (v if k == "plan" else []) for k, v in recs.items()})


def test_cover_and_plan_alone_is_not_clean():
    """附1–附5 empty: an error for 附1 (no enterprise), a warning for 附2 (a city may have no platform)."""
    found = run(only_cover_and_plan())
    assert {(f.rule, f.severity, f.sheet, f.cell) for f in found} == {
        ("a1.empty", "error", "附1", cell_of("a1", 0, "name")),
        ("a2.empty", "warning", "附2", cell_of("a2", 0, "name"))}


def test_every_listed_record_needs_its_later_sheets_when_they_are_empty():
    """附1/附2 filled, 附3–附5 entirely empty: each enterprise and each platform is reported on its list."""
    recs = records()
    for key in ("a3", "a4", *A5_TABLES):
        recs[key] = []
    found = run(build_grids(recs))
    a1_a3 = {f.cell: f.message for f in found if f.rule == "cross.a1_a3"}
    assert set(a1_a3) == {cell_of("a1", i, "name") for i in range(len(ENTERPRISES))}
    assert all("附3、附4中没有" in m for m in a1_a3.values()), a1_a3
    a2_a5 = {f.cell for f in found if f.rule == "cross.a2_a5"}
    assert a2_a5 == {cell_of("a2", i, "name") for i in range(len(PLATFORMS))}
    assert not any(f.rule in ("a1.empty", "a2.empty") for f in found)
