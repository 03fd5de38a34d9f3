"""The committed sample city workbooks (samples/, written by samples_src/generate.py):
every known mistake is found at its cell, nothing else is reported, the clean samples
have no errors, and the messy-but-valid cells raise nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from xjr_excel.validate.run import validate_file

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
MANIFEST = json.loads((SAMPLES.parent / "samples_src" / "manifest.json").read_text(encoding="utf-8"))
FILES = {f["file"]: f for f in MANIFEST["files"]}


def test_manifest_has_clean_and_broken_samples():
    assert any(f["clean"] for f in FILES.values())
    assert any(f["expected_findings"] for f in FILES.values())


@pytest.mark.parametrize("name", sorted(FILES))
def test_known_mistakes_found_at_their_cells(sample_results, name):
    _, found = sample_results[name]
    got = {(f.sheet, f.cell, f.rule, f.severity) for f in found}
    expected = {(e["sheet"], e["cell"], e["rule"], e["severity"]) for e in FILES[name]["expected_findings"]}
    assert expected - got == set(), f"not found: {sorted(expected - got)}"
    assert got - expected == set(), f"reported but not a known mistake: {sorted(got - expected)}"


@pytest.mark.parametrize("name", sorted(n for n, f in FILES.items() if f["clean"]))
def test_clean_samples_have_no_errors(sample_results, name):
    _, found = sample_results[name]
    assert [f for f in found if f.severity == "error"] == []


@pytest.mark.parametrize("name", sorted(FILES))
def test_messy_but_valid_cells_raise_nothing(sample_results, name):
    _, found = sample_results[name]
    cells = {(m["sheet"], m["cell"]) for m in FILES[name]["messy_valid"]}
    assert [f for f in found if (f.sheet, f.cell) in cells] == []


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_record_read(sample_results, name):
    data, _ = sample_results[name]
    info = FILES[name]
    assert len(data.tables["a3"].frame) == info["enterprises"]      # the manifest counts 附3 records
    assert len(data.tables["a2"].frame) == info["platforms"]
    assert data.cover["city"] == info["city"] and data.cover["batch"] == info["batch"]


def test_macro_sample_is_read_without_running_or_changing_it(sample_results):
    import hashlib
    xlsm = [n for n in FILES if n.endswith(".xlsm")]
    assert xlsm
    for name in xlsm:
        data, _ = sample_results[name]
        assert data.has_macros
        before = hashlib.sha256((SAMPLES / name).read_bytes()).hexdigest()
        validate_file(SAMPLES / name)
        assert hashlib.sha256((SAMPLES / name).read_bytes()).hexdigest() == before
