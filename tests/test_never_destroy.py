"""Nothing we did not write is ever overwritten; leftovers of interrupted writes are cleaned.

Through the real command line: an existing output is replaced only when this tool wrote it
for the same purpose and nobody saved it since, or with ``--force``.  A city workbook in
the inbox named as the provincial output is refused and left byte for byte as it was.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus as mc  # noqa: E402
import office  # noqa: E402

from xjr_excel import atomic  # noqa: E402
from xjr_excel.errors import OutputExists, OutputIsInput  # noqa: E402

# Each test runs the command in a fresh process (what a user runs): slow.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def xjr(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XJR_LOG_DIR": str(cwd / ".logs"), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def refusal(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("错误：")]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    return mc.make_city(tmp_path_factory.mktemp("city"))


@pytest.fixture()
def inbox(tmp_path, city) -> Path:
    d = tmp_path / "收件箱"
    d.mkdir()
    shutil.copy(city, d / "南京市.xlsx")
    mc.fill_city(d / "无锡市.xlsx", city="无锡市")
    return d


# ---------------------------------------------------------------- consolidate

def test_city_workbook_in_the_inbox_named_as_output_is_refused_and_unchanged(inbox):
    target = inbox / "无锡市.xlsx"
    before = {p.name: sha(p) for p in inbox.iterdir()}
    for extra in ([], ["--force"]):            # an input is never an output, forced or not
        line = refusal(xjr("consolidate", inbox, "-o", target, *extra, cwd=inbox.parent))
        assert "无锡市.xlsx" in line and "输入文件" in line, line
        assert {p.name: sha(p) for p in inbox.iterdir()} == before


def test_our_previous_provincial_workbook_in_the_inbox_is_replaced(inbox):
    out = inbox / "全省汇总.xlsx"
    first = xjr("consolidate", inbox, "-o", out, "--json", cwd=inbox.parent)
    assert first.returncode == 1, first.stderr        # the planted slips: errors, still merged
    assert atomic.written_for(out) == "province"
    old = sha(out)
    time.sleep(1.1)                                   # a new save time, so a new file
    second = xjr("consolidate", inbox, "-o", out, "--json", cwd=inbox.parent)
    assert second.returncode == 1, second.stderr
    import json
    payload = json.loads(second.stdout)
    assert payload["province"]["files"] == 2 and payload["skipped"] == []   # not read as a city either
    assert sha(out) != old and atomic.written_for(out) == "province"


def test_provincial_workbook_saved_by_someone_is_theirs(inbox, tmp_path):
    """Opened and saved in an office suite (LibreOffice here): their edits are not ours to replace."""
    out = tmp_path / "全省汇总.xlsx"
    assert xjr("consolidate", inbox, "-o", out, cwd=tmp_path).returncode == 1
    saved = office.convert(out, tmp_path / "lo", "xlsx")
    assert atomic.written_for(saved) is None
    shutil.copy(saved, out)
    before = sha(out)
    line = refusal(xjr("consolidate", inbox, "-o", out, cwd=tmp_path))
    assert "全省汇总.xlsx" in line and "--force" in line, line
    assert sha(out) == before
    assert xjr("consolidate", inbox, "-o", out, "--force", cwd=tmp_path).returncode == 1
    assert atomic.written_for(out) == "province"


def test_existing_file_not_ours_is_refused_then_forced(inbox, tmp_path, city):
    out = tmp_path / "汇总.xlsx"
    shutil.copy(city, out)                            # a city workbook outside the inbox
    line = refusal(xjr("consolidate", inbox, "-o", out, cwd=tmp_path))
    assert "汇总.xlsx" in line and "已存在" in line and "--force" in line, line
    assert sha(out) == sha(city)
    proc = xjr("consolidate", inbox, "-o", out, "--force", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert atomic.written_for(out) == "province"


# ---------------------------------------------------------------- annotate, clear, template

def test_annotated_copy_replaces_only_our_annotated_copy(inbox, tmp_path):
    src, other = inbox / "南京市.xlsx", inbox / "无锡市.xlsx"
    out = tmp_path / "南京市_标记.xlsx"
    assert xjr("validate", src, "--annotate", out, cwd=tmp_path).returncode == 1
    assert atomic.written_for(out) == "annotated"
    assert xjr("validate", src, "--annotate", out, cwd=tmp_path).returncode == 1     # ours: replaced
    before = sha(other)
    line = refusal(xjr("validate", src, "--annotate", other, cwd=tmp_path))
    assert "无锡市.xlsx" in line and "--force" in line
    assert sha(other) == before
    assert xjr("validate", src, "--annotate", other, "--force", cwd=tmp_path).returncode == 1
    assert atomic.written_for(other) == "annotated"


def test_cleared_file_is_the_citys_again(inbox, tmp_path):
    """clear drops our mark: a later template or annotate run cannot take the cleaned submission."""
    src = inbox / "南京市.xlsx"
    marked, cleared = tmp_path / "标记.xlsx", tmp_path / "清除.xlsx"
    assert xjr("validate", src, "--annotate", marked, cwd=tmp_path).returncode == 1
    assert xjr("clear", marked, "-o", cleared, cwd=tmp_path).returncode == 0
    assert atomic.written_for(cleared) is None
    before = sha(cleared)
    refusal(xjr("clear", marked, "-o", cleared, cwd=tmp_path))          # exists, not ours
    refusal(xjr("template", "-o", cleared, cwd=tmp_path))
    refusal(xjr("validate", src, "--annotate", cleared, cwd=tmp_path))
    assert sha(cleared) == before
    assert xjr("clear", marked, "-o", cleared, "--force", cwd=tmp_path).returncode == 0


def test_template_replaces_only_a_template_nobody_filled(inbox, tmp_path):
    out = tmp_path / "模板.xlsx"
    assert xjr("template", "-o", out, cwd=tmp_path).returncode == 0
    assert atomic.written_for(out) == "template"
    assert xjr("template", "-o", out, "--city", "南京市", cwd=tmp_path).returncode == 0
    city = inbox / "南京市.xlsx"
    before = sha(city)
    line = refusal(xjr("template", "-o", city, cwd=tmp_path))
    assert "南京市.xlsx" in line and "填报模板" in line
    assert sha(city) == before
    assert xjr("template", "-o", city, "--force", cwd=tmp_path).returncode == 0
    assert atomic.written_for(city) == "template"


def test_in_place_annotation_stays_the_users_file(inbox, tmp_path):
    src = inbox / "南京市.xlsx"
    assert xjr("validate", src, "--in-place", cwd=tmp_path).returncode == 1
    assert atomic.written_for(src) is None


def test_check_output_classes(tmp_path, city):
    with pytest.raises(OutputIsInput):
        atomic.check_output(city, (city,), purpose="province", force=True)
    with pytest.raises(OutputExists) as e:
        atomic.check_output(city, (), purpose="template")
    assert e.value.code == "XJR-E-OUTPUT-EXISTS" and "填报模板" in e.value.message
    atomic.check_output(tmp_path / "新文件.xlsx", (city,), purpose="province")     # nothing there: fine


# ---------------------------------------------------------------- temporaries of interrupted writes

def test_stale_temporaries_of_the_same_output_are_cleaned_only_ours(tmp_path):
    out = tmp_path / "模板.xlsx"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()     # a pid no longer running
    alive = str(os.getpid())
    files = {
        "dead_writer": tmp_path / f".模板.xlsx.xjr-{dead}-k2j3.tmp",
        "old_alive_writer": tmp_path / f".模板.xlsx.xjr-{alive}-a1b2.tmp",
        "fresh_alive_writer": tmp_path / f".模板.xlsx.xjr-{alive}-c3d4.tmp",
        "other_output": tmp_path / f".别的.xlsx.xjr-{dead}-e5f6.tmp",
        "not_our_pattern": tmp_path / ".模板.xlsx.abc.tmp",
        "user_file": tmp_path / "模板.xlsx.tmp",
    }
    for p in files.values():
        p.write_bytes(b"half-written")
    hour_ago = time.time() - 3600
    os.utime(files["old_alive_writer"], (hour_ago, hour_ago))
    proc = xjr("template", "-o", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    left = {k for k, p in files.items() if p.exists()}
    assert left == {"fresh_alive_writer", "other_output", "not_our_pattern", "user_file"}
    assert not [p for p in tmp_path.iterdir() if atomic.is_temporary(p) and "模板" in p.name
                and p != files["fresh_alive_writer"]]


def test_tracking_workbook_replaces_only_an_unsaved_tracking_workbook(inbox, tmp_path):
    src, other = inbox / "南京市.xlsx", inbox / "无锡市.xlsx"
    out = tmp_path / "南京市-跟踪表.xlsx"
    for _ in range(2):                                   # the second run replaces our own first one
        proc = xjr("track", src, "-o", out, "--period", "1", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert atomic.written_for(out) == "track"
    before = sha(other)
    line = refusal(xjr("track", src, "-o", other, "--period", "1", cwd=tmp_path))
    assert "无锡市.xlsx" in line and "跟踪表" in line, line
    assert sha(other) == before
