"""The committed sample city workbooks and their manifest (also the validator's answer key)."""
from __future__ import annotations

import json
import subprocess
import sys

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook
from stdnum.cn import uscc

from conftest_template import ROOT, SAMPLES, SAMPLES_SRC, diff_content, workbook_content
from xjr_excel.spec.definition import get_spec

SPEC = get_spec()
MANIFEST = json.loads((SAMPLES_SRC / "manifest.json").read_text(encoding="utf-8"))
FILES = MANIFEST["files"]


def test_manifest_covers_clean_and_faulty_cities():
    cities = {f["city"] for f in FILES}
    assert {"南京市", "苏州市", "无锡市", "常州市"} <= cities
    assert any(f["file"].endswith(".xlsm") for f in FILES)
    nanjing = next(f for f in FILES if f["city"] == "南京市")
    assert nanjing["clean"] and not nanjing["expected_findings"]
    rule_ids = {r.id for r in SPEC.rules}
    for f in FILES:
        assert (SAMPLES / f["file"]).exists(), f["file"]
        assert 5 <= f["enterprises"] <= 12 and 2 <= f["platforms"] <= 4
        assert f["clean"] == (not f["expected_findings"])
        for e in f["expected_findings"]:
            assert e["rule"] in rule_ids, e
            assert e["severity"] == SPEC.rule(e["rule"]).severity
    faulty = [e["rule"] for f in FILES for e in f["expected_findings"]]
    assert len(set(faulty)) >= 20, "the faulty cities should exercise many different rules"


@pytest.mark.parametrize("entry", FILES, ids=lambda f: f["file"])
def test_sample_opens_in_openpyxl_and_calamine(entry):
    path = SAMPLES / entry["file"]
    wb = openpyxl.load_workbook(path)
    cal = CalamineWorkbook.from_path(str(path), load_tables=True)
    assert cal.sheet_names == wb.sheetnames
    names = set(cal.table_names)
    assert {t.name for t in SPEC.tables} <= names
    # the enterprises are in 附3 in both readers, and the first one is the same
    t3 = cal.get_table_by_name("T3_Enterprises")
    rows = [r for r in t3.to_python() if any(v not in ("", None) for v in r)]
    assert len(rows) == entry["enterprises"]
    ws = wb[t3.sheet]
    assert ws.cell(SPEC.table("a3").header_row + 1, 1).value == rows[0][0]
    cover = wb["封面"]
    assert cover["B5"].value == entry["city"] and cover["B6"].value == entry["batch"]


@pytest.mark.parametrize("entry", FILES, ids=lambda f: f["file"])
def test_credit_codes_valid_unless_a_planted_mistake(entry):
    path = SAMPLES / entry["file"]
    cal = CalamineWorkbook.from_path(str(path), load_tables=True)
    t3 = cal.get_table_by_name("T3_Enterprises")
    col = [c.replace("_x000a_", "\n") for c in t3.columns].index("统一社会信用代码")
    planted = {e["cell"] for e in entry["expected_findings"] if e["rule"] == "a3.credit_code"}
    checked = 0
    top = t3.start[0] + 1        # 1-based sheet row of the first data row
    for i, row in enumerate(t3.to_python()):
        code = row[col]
        if not code:
            continue
        cell = f"{get_column_letter(t3.start[1] + col + 1)}{top + i}"
        assert uscc.is_valid(code) == (cell not in planted), (cell, code)
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("entry", FILES, ids=lambda f: f["file"])
def test_every_planted_mistake_is_reported_at_its_cell(entry, sample_results):
    got = {(x.sheet, x.cell, x.rule) for x in sample_results[entry["file"]][1]}
    missing = [e for e in entry["expected_findings"] if (e["sheet"], e["cell"], e["rule"]) not in got]
    assert not missing, f"not reported: {missing}"


@pytest.mark.parametrize("entry", FILES, ids=lambda f: f["file"])
def test_clean_files_have_no_errors_and_messy_cells_no_findings(entry, sample_results):
    findings = sample_results[entry["file"]][1]
    if entry["clean"]:
        assert [f for f in findings if f.severity == "error"] == []
    if entry["city"] == "南京市":
        assert findings == []
    messy = {(m["sheet"], m["cell"]) for m in entry["messy_valid"]}
    flagged = [(f.sheet, f.cell, f.rule, f.value) for f in findings if (f.sheet, f.cell) in messy]
    assert not flagged, f"messy but valid input reported: {flagged}"


@pytest.mark.slow
def test_committed_samples_equal_a_fresh_generation(tmp_path):
    subprocess.run([sys.executable, str(SAMPLES_SRC / "generate.py"), str(tmp_path)], check=True,
                   capture_output=True)
    fresh = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert fresh == MANIFEST, "samples_src/manifest.json is stale: run `make samples`"
    for f in FILES:
        diffs = diff_content(workbook_content(SAMPLES / f["file"]), workbook_content(tmp_path / f["file"]))
        assert not diffs, f"{f['file']} is stale (run `make samples`):\n" + "\n".join(diffs[:10])
