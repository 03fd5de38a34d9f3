"""Formatting is not data: styled blank rows and columns to Excel's limits are read like any file.

A filled city workbook padded the way people and exporting systems pad sheets — 附3
formatted down to row 1,048,576, every column A:XFD filled, a styled cell at XFD1048576,
``<dimension ref="A1:XFD1048576">`` everywhere — goes through ``xjr validate`` and gives
the findings of the same workbook without the padding.  Peak memory of each run is
measured in a fresh process (RUSAGE_CHILDREN) and printed; the bound: the padding adds at
most ``PADDING_BOUND_MIB`` to the plain file's peak (the reader drops blanks while
streaming; the guard and calamine never hold them), and time grows only with the
inflated bytes (capped at ``max_unzipped_bytes``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus as mc  # noqa: E402

from xjr_excel.errors import SheetTooBig, TooManyValues  # noqa: E402
from xjr_excel.guard import check as guard  # noqa: E402
from xjr_excel.ooxml.package import read_sheet_parts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PADDING_BOUND_MIB = 64


def _validate_peak(path: Path) -> tuple[int, dict, float, float]:
    """(exit code, --json payload, peak RSS MiB, seconds) of ``xjr validate --json path`` in a fresh process."""
    code = ("import json,resource,subprocess,sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "print(json.dumps([p.returncode, p.stdout, p.stderr, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "XJR_LOG_DIR": str(path.parent)}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "xjr_excel.cli.main", "validate",
                          "--json", str(path)], cwd=path.parent, env=env, capture_output=True, text=True, timeout=600)
    secs = time.perf_counter() - t0
    rc, stdout, stderr, maxrss_kib = json.loads(out.stdout)
    assert "Traceback" not in stderr, stderr
    return rc, json.loads(stdout), maxrss_kib / 1024, secs


def _comparable(payload: dict) -> list:
    return sorted((f["rule"], f.get("sheet"), f.get("cell"), f.get("message")) for f in payload["findings"])


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    path = mc.make_city(tmp_path_factory.mktemp("plain"))
    return path, _validate_peak(path)


@pytest.mark.slow                # validates in fresh processes to measure their peak memory
@pytest.mark.parametrize("kind", ["styled_rows", "column_fill", "lying_dimension"])
def test_styled_blank_sheet_is_validated_like_the_plain_one(kind, plain, tmp_path):
    path = mc.KINDS[kind](tmp_path)
    (plain_path, (rc0, payload0, peak0, secs0)) = plain
    rc, payload, peak, secs = _validate_peak(path)
    with mc.zipfile.ZipFile(path) as z:
        inflated = sum(i.file_size for i in z.infolist())
    print(f"\n{kind}: {path.stat().st_size / 1e6:.1f} MB on disk, {inflated / 1e6:.0f} MB inflated; peak RSS {peak:.0f} MiB in {secs:.1f}s "
          f"(plain city: {peak0:.0f} MiB in {secs0:.1f}s)")
    assert rc == rc0 == 1                                  # the planted slips, nothing else
    assert _comparable(payload) == _comparable(payload0)
    assert payload["summary"] == payload0["summary"]
    assert peak < peak0 + PADDING_BOUND_MIB, f"{peak:.0f} MiB vs {peak0:.0f} MiB without the padding"


def test_far_content_is_refused_with_the_cell_and_the_numbers(tmp_path):
    """A value (not a format) at XFD1048576 is what a reader would allocate up to: refused, saying where."""
    city = mc.make_city(tmp_path)
    padded = mc.styled_blanks(city, tmp_path / "远处有值.xlsx", ["附3"], rows=1000, cells=2)
    with mc.zipfile.ZipFile(padded) as z:
        part = mc._sheet_part_of(z, "附3")
        xml = z.read(part).replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>7</v></c></row></sheetData>')
    far = mc.rewrite_zip(padded, tmp_path / "远处有值2.xlsx", {part: xml})
    with pytest.raises(SheetTooBig) as e:
        guard.check_file(far)
    assert e.value.code == "XJR-E-SHEET-TOO-BIG"
    for words in ("附3", "第1048576行", "XFD1048576", "20000行×300列"):
        assert words in e.value.message, (words, e.value.message)
    guard.check_file(padded)                               # the same blanks without that value: fine


def test_more_value_cells_than_any_submission_is_refused_with_the_numbers(tmp_path):
    city = mc.make_city(tmp_path)
    lim = {**guard.input_limits(), "max_value_cells_per_sheet": 20}
    with pytest.raises(TooManyValues) as e:
        guard.check_file(city, limits=lim)
    assert e.value.code == "XJR-E-TOO-MANY-VALUES"
    assert "超过20个" in e.value.message and "已数到" in e.value.message
    guard.check_file(city)                                 # the policy's own limit: a submission passes


@pytest.mark.slow                # the command in fresh processes, on a sheet styled to row 1,048,576
def test_marking_a_copy_is_bounded_too(tmp_path):
    """openpyxl holds every styled blank: a sheet formatted to row 1,048,576 is refused before loading
    (nothing written, no backup left), while a whole-column fill is marked like any file."""
    heavy = mc.KINDS["styled_rows"](tmp_path / "heavy")
    before = sorted(p.name for p in heavy.parent.iterdir()), heavy.read_bytes()
    with zipfile.ZipFile(heavy) as z:           # the count the message must name: every <c> in 附3's XML
        styled = z.read(read_sheet_parts(z)["附3"]).count(b"<c ")
    assert styled > 500_000
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "XJR_LOG_DIR": str(tmp_path)}
    run = lambda *a: subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", *map(str, a)], cwd=tmp_path,
                                    env=env, capture_output=True, text=True, timeout=600)
    for args in (["validate", heavy, "--annotate", heavy.parent / "标记.xlsx"], ["validate", heavy, "--in-place"],
                 ["clear", heavy]):
        proc = run(*args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert "附3" in proc.stderr and str(styled) in proc.stderr and "500000" in proc.stderr, proc.stderr
        assert (sorted(p.name for p in heavy.parent.iterdir()), heavy.read_bytes()) == before
    filled = mc.KINDS["column_fill"](tmp_path / "fill")
    out = filled.parent / "标记.xlsx"
    proc = run("validate", filled, "--annotate", out)
    assert proc.returncode == 1 and out.exists(), proc.stderr
