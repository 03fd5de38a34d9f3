"""The whole inbox, through the real command line: nothing crashes, hangs, leaks, runs or is harmed.

Every kind of hostile or damaged file from make_corpus.py goes through ``python -m
xjr_excel.cli.main validate FILE`` (or ``consolidate``) in a subprocess, with the file in a
folder of its own as the working directory.  Each test asserts the exit code, the
Chinese message, no traceback, no internal-error log, the input's bytes unchanged and
no stray file next to it.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import make_corpus as mc  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# kind → words the one-line refusal must contain (exit code 2)
REFUSED = {
    "empty": ["空的", "0字节"],
    "truncated": ["文件已损坏", "截断"],
    "renamed_csv": ["不是Excel工作簿", "CSV", "请在Excel中另存为.xlsx后重新提交"],
    "html_xls": ["网页文件", "请在Excel中另存为.xlsx后重新提交"],
    "pdf": ["PDF"],
    "png": ["图片"],
    "docx": ["Word文档"],
    "ods": ["OpenDocument电子表格"],
    "lock_file": ["锁定文件"],
    "too_large": ["超过上限"],
    "zip_bomb": ["压缩炸弹"],
    "zip_bomb_ratio": ["压缩比"],
    "zip_bomb_lying": ["文件已损坏", "校验失败"],
    "many_members": ["部件"],
    "entity_expansion": ["DTD", "实体膨胀"],
    "external_entity": ["DTD"],
    "many_rows": ["延伸到第", "20000行"],
    "far_cell": ["第1048576行"],
    "implicit_columns": ["第1000列"],
    "xls_far_cell": ["第60000行"],
    "string_count": ["共享字符串表"],
    "xls_bad_record": ["文件已损坏"],
    "encrypted": ["文件已加密，请去除密码后重新提交"],
    "encrypted_xls": ["文件已加密，请去除密码后重新提交"],
    "wrong_template": ["不是本填报模板", "“附1”", "“企业统计”", "最新模板"],
}

# partial damage → the rule that reports it (exit code 1; the rest is still checked)
DAMAGE = {
    "missing_sheet": "file.sheet_missing",
    "renamed_column": "file.column_missing",
    "long_cell": "field.max_len",
    "odd_text": "cell.control_chars",
    "formula_errors": "cell.formula_error",
}
# slips left in every filled city on purpose (make_corpus.city_rows), far from the damage
BASE_SLIPS = {"a5.postcode", "a3.size_staff"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    made: dict[str, Path] = {}

    def get(kind: str) -> Path:
        if kind not in made:
            made[kind] = mc.KINDS[kind](tmp_path_factory.mktemp(kind))
        return made[kind]
    return get


@pytest.fixture()
def logdir(tmp_path):
    d = tmp_path / "logs"
    d.mkdir()
    return d


def xjr(*args, cwd: Path, logdir: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XJR_LOG_DIR": str(logdir), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its sha256 (what 'nothing else was harmed' means)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            out[str(p.relative_to(folder))] = h.hexdigest()
    return out


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]


def findings_of(proc: subprocess.CompletedProcess) -> list[dict]:
    payload = json.loads(proc.stdout)
    return payload["findings"] if isinstance(payload, dict) else payload


# --------------------------------------------------------------------------
# 1. Refused at the door: exit 2, one Chinese sentence, nothing harmed
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_refused(corpus, kind, logdir):
    path = corpus(kind)
    before = snapshot(path.parent)
    proc = xjr("validate", path, "--json", cwd=path.parent, logdir=logdir)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    no_traceback(proc)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("错误：")]
    assert len(errors) == 1, proc.stderr
    for w in REFUSED[kind]:
        assert w in errors[0], (w, errors[0])
    payload = json.loads(proc.stdout)                  # machines get the refusal's stable code
    assert payload["code"].startswith("XJR-E-") and payload["error"] in errors[0], payload
    assert path.name in errors[0]                      # says which file
    assert snapshot(path.parent) == before             # input unchanged, nothing created next to it
    assert not list(logdir.iterdir()), "a refusal is not an internal error"


@pytest.mark.parametrize("kind", ["zip_bomb", "entity_expansion", "encrypted", "far_cell", "renamed_csv"])
def test_clear_refuses_the_same_files_and_touches_nothing(corpus, kind, logdir):
    """``xjr clear`` rewrites a file in place: the door must stand before it too (no backup, no temp)."""
    path = corpus(kind)
    before = snapshot(path.parent)
    proc = xjr("clear", path, cwd=path.parent, logdir=logdir)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    no_traceback(proc)
    assert REFUSED[kind][0] in proc.stderr
    assert snapshot(path.parent) == before


def test_missing_file_and_folder(tmp_path, logdir):
    proc = xjr("validate", tmp_path / "没有.xlsx", cwd=tmp_path, logdir=logdir)
    assert proc.returncode == 2 and "找不到" in proc.stderr
    no_traceback(proc)
    proc = xjr("validate", tmp_path, cwd=tmp_path, logdir=logdir)
    assert proc.returncode == 2 and "文件夹" in proc.stderr
    no_traceback(proc)


def _peak_child_rss(args: list, cwd: Path, logdir: Path) -> tuple[int, str, int]:
    """Run ``xjr args`` from a fresh parent so RUSAGE_CHILDREN is this run's peak alone."""
    code = ("import json,os,resource,subprocess,sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "print(json.dumps([p.returncode, p.stderr, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XJR_LOG_DIR": str(logdir), "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "xjr_excel.cli.main", *map(str, args)],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    rc, stderr, maxrss_kib = json.loads(out.stdout)
    return rc, stderr, maxrss_kib


@pytest.mark.parametrize("kind", ["zip_bomb", "zip_bomb_lying"])
def test_zip_bomb_peak_memory_under_500_mib(corpus, kind, logdir):
    path = corpus(kind)
    t0 = time.perf_counter()
    rc, stderr, maxrss_kib = _peak_child_rss(["validate", path], path.parent, logdir)
    elapsed = time.perf_counter() - t0
    print(f"{kind}: peak RSS {maxrss_kib / 1024:.0f} MiB, {elapsed:.1f}s")
    assert rc == 2 and "Traceback" not in stderr
    assert maxrss_kib < 500 * 1024, f"peak {maxrss_kib / 1024:.0f} MiB"


def test_mutated_workbooks_never_abort_hang_or_exhaust_memory(tmp_path):
    """A fixed sample of attribute mutations through the door and the reader (see fuzz_reader.py)."""
    import fuzz_reader
    result = fuzz_reader.run(seed=2026, count=60, work=tmp_path, timeout=180)
    print(result["stats"])
    assert not result["bad"], result["bad"]
    assert sum(result["stats"].values()) == 60


# --------------------------------------------------------------------------
# 2. Partial damage is findings, not failure
# --------------------------------------------------------------------------

def test_clean_base_city_has_only_the_planted_slips(corpus, logdir):
    path = corpus("city")
    proc = xjr("validate", path, "--json", cwd=path.parent, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    assert {f["rule"] for f in findings_of(proc)} == BASE_SLIPS


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_partial_damage_is_reported_and_the_rest_checked(corpus, kind, logdir):
    path = corpus(kind)
    before = snapshot(path.parent)
    proc = xjr("validate", path, "--json", cwd=path.parent, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    rules = {f["rule"] for f in findings_of(proc)}
    assert DAMAGE[kind] in rules, rules
    assert BASE_SLIPS <= rules, f"the rest of the workbook was not checked: {rules}"
    assert snapshot(path.parent) == before


def test_legacy_xls_saved_by_libreoffice_is_read(corpus, logdir):
    path = corpus("xls_city")
    proc = xjr("validate", path, "--json", cwd=path.parent, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    assert {f["rule"] for f in findings_of(proc)} == BASE_SLIPS     # read like the .xlsx it came from


def test_empty_template_xls_is_read(corpus, logdir):
    path = corpus("xls")
    proc = xjr("validate", path, cwd=path.parent, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode in (0, 1), proc.stderr


# --------------------------------------------------------------------------
# 3. Nothing lost, nothing overwritten
# --------------------------------------------------------------------------

def test_in_place_keeps_a_backup_first(corpus, tmp_path, logdir):
    src = corpus("city")
    work = tmp_path / "inbox"
    work.mkdir()
    path = work / src.name
    path.write_bytes(src.read_bytes())
    original = path.read_bytes()
    proc = xjr("validate", path, "--in-place", cwd=work, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    backups = [p for p in work.iterdir() if p != path and not p.name.startswith(".")]
    assert len(backups) == 1 and backups[0].read_bytes() == original, [p.name for p in work.iterdir()]
    assert not [p for p in work.iterdir() if p.name.endswith(".tmp")]


def test_output_that_is_an_input_is_refused(corpus, tmp_path, logdir):
    src = corpus("city")
    before = snapshot(src.parent)
    proc = xjr("consolidate", src, "-o", src, "--province", "江苏省", cwd=src.parent, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert "输入文件相同" in proc.stderr + proc.stdout, "must say why: the output is one of the inputs"
    assert snapshot(src.parent) == before


def test_annotate_onto_the_input_is_refused(corpus, logdir):
    src = corpus("city")
    before = snapshot(src.parent)
    proc = xjr("validate", src, "--annotate", src, cwd=src.parent, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode == 2 and "输入文件相同" in proc.stderr, proc.stderr
    assert snapshot(src.parent) == before


def test_merge_keeps_readable_cities_when_others_are_bad(corpus, tmp_path, logdir):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    good = corpus("city")
    (inbox / good.name).write_bytes(good.read_bytes())
    bad = ["zip_bomb", "encrypted", "truncated", "renamed_csv", "entity_expansion", "wrong_template", "lock_file"]
    for kind in bad:
        p = corpus(kind)
        (inbox / p.name).write_bytes(p.read_bytes())
    before = snapshot(inbox)
    out = tmp_path / "全省汇总.xlsx"
    proc = xjr("consolidate", inbox, "-o", out, "--province", "江苏省", "--json", cwd=tmp_path, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    assert snapshot(inbox) == before
    payload = proc.stdout
    for kind in bad:
        assert corpus(kind).name in payload, f"{kind} not reported"
    wb = openpyxl.load_workbook(out, read_only=True)
    values = {c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert mc.ENTERPRISE in values                     # the readable city is merged


def test_duplicate_city_file_is_merged_once(corpus, tmp_path, logdir):
    folder = corpus("duplicate")
    before = snapshot(folder)
    out = tmp_path / "全省汇总.xlsx"
    proc = xjr("consolidate", folder, "-o", out, "--province", "江苏省", "--json", cwd=tmp_path, logdir=logdir)
    no_traceback(proc)
    assert snapshot(folder) == before
    assert "南京市(1).xlsx" in proc.stdout or "南京市.xlsx" in proc.stdout
    wb = openpyxl.load_workbook(out, read_only=True)
    a1 = wb[[n for n in wb.sheetnames if "附1" in n][0]]
    names = [c for row in a1.iter_rows(values_only=True) for c in row if c == mc.ENTERPRISE]
    assert len(names) == 1, names


def test_killed_consolidation_leaves_the_previous_output_intact(corpus, tmp_path, logdir):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    cities = ["南京市", "无锡市", "徐州市", "常州市"]
    for city in cities:
        mc.fill_city(inbox / f"{city}.xlsx", city=city)
    outdir = tmp_path / "汇总"
    outdir.mkdir()
    out = outdir / "全省汇总.xlsx"
    first = xjr("consolidate", inbox, "-o", out, "--province", "江苏省", "--jobs", "1", cwd=tmp_path, logdir=logdir)
    assert first.returncode in (0, 1) and out.exists(), first.stderr
    previous = out.read_bytes()

    env = {**os.environ, "PYTHONPATH": str(ROOT), "XJR_LOG_DIR": str(logdir)}
    proc = subprocess.Popen([sys.executable, "-m", "xjr_excel.cli.main", "consolidate", str(inbox), "-o", str(out),
                             "--province", "江苏省", "--jobs", "1"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    killed_at = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        # wait until the temporary has bytes in it: the writer is half-way through the file
        temps = {}
        for p in outdir.iterdir():
            try:
                if p.name != out.name:
                    temps[p.name] = p.stat().st_size
            except FileNotFoundError:     # renamed into place meanwhile
                pass
        if any(temps.values()):
            os.killpg(proc.pid, signal.SIGKILL)        # the group we started: the CLI and any workers
            killed_at = temps
            break
        time.sleep(0.001)
    proc.wait(timeout=60)
    assert killed_at is not None, "the run ended before it started writing; cannot test the kill"
    print("killed while writing:", killed_at)
    assert out.read_bytes() == previous                 # the previous output is byte-identical
    left = [p.name for p in outdir.iterdir() if p.name != out.name]
    # A SIGKILL cannot be cleaned up after: the half-written temporary stays, but hidden
    # (".name.*.tmp") so nobody takes it for a result, and the next run ignores it.
    assert all(n.startswith(".") and n.endswith(".tmp") for n in left), left
    again = xjr("consolidate", inbox, "-o", out, "--province", "江苏省", "--jobs", "1", cwd=tmp_path, logdir=logdir)
    assert again.returncode in (0, 1), again.stderr
    openpyxl.load_workbook(out, read_only=True).close()


# --------------------------------------------------------------------------
# 4. Nothing executed, nothing injected
# --------------------------------------------------------------------------

def _formula_cells(path: Path) -> list[tuple[str, str, str]]:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def _text_cells(path: Path, wanted: set[str]) -> dict[str, list]:
    wb = openpyxl.load_workbook(path)
    found: dict[str, list] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value in wanted:
                    found.setdefault(c.value, []).append((c.data_type, bool(c.quotePrefix)))
    return found


INJECTED = {mc.INJECTION, "@SUM(1,2)", "+1+1", "-1+1 服务"}


def test_formula_injection_validates_without_harm(corpus, logdir):
    path = corpus("formula_injection")
    before = snapshot(path.parent)
    proc = xjr("validate", path, "--json", cwd=path.parent, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode == 1
    assert snapshot(path.parent) == before


def test_formula_injection_stays_text_in_the_annotated_copy(corpus, tmp_path, logdir):
    path = corpus("formula_injection")
    out = tmp_path / "苏州市_已标记.xlsx"
    proc = xjr("validate", path, "--annotate", out, cwd=tmp_path, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode == 1 and out.exists(), proc.stderr
    assert not [f for f in _formula_cells(out) if "evil" in str(f[2]) or "SUM(1,2)" in str(f[2])]
    found = _text_cells(out, INJECTED)
    assert mc.INJECTION in found and all(t == "s" for kinds in found.values() for t, _ in kinds)


def test_formula_injection_is_text_in_the_provincial_workbook(corpus, tmp_path, logdir):
    inj, good = corpus("formula_injection"), corpus("city")
    out = tmp_path / "全省汇总.xlsx"
    proc = xjr("consolidate", inj, good, "-o", out, "--province", "江苏省", cwd=tmp_path, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode in (0, 1) and out.exists(), proc.stderr
    bad = [f for f in _formula_cells(out) if "evil" in str(f[2]) or "SUM(1,2)" in str(f[2]) or f[2] in INJECTED]
    assert not bad, bad
    found = _text_cells(out, INJECTED)
    assert mc.INJECTION in found, "the city's text must still be there, as text"
    for value, kinds in found.items():
        assert all(t == "s" and quoted for t, quoted in kinds), (value, kinds)
    # a second reader agrees: calamine sees the text, not a computed value
    from python_calamine import CalamineWorkbook
    book = CalamineWorkbook.from_path(str(out))
    texts = {c for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for c in row}
    assert mc.INJECTION in texts


def test_city_xlsm_with_vba_is_merged_as_data_with_a_warning(corpus, tmp_path, logdir):
    path = corpus("xlsm_vba")
    before = snapshot(path.parent)
    out = tmp_path / "全省汇总.xlsx"
    proc = xjr("consolidate", path, "-o", out, "--province", "江苏省", "--json", cwd=tmp_path, logdir=logdir)
    no_traceback(proc)
    assert proc.returncode in (0, 1), proc.stderr
    assert snapshot(path.parent) == before
    assert "宏" in json.dumps(json.loads(proc.stdout), ensure_ascii=False), "no warning about the macros"
    wb = openpyxl.load_workbook(out, read_only=True)
    values = {c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert mc.ENTERPRISE in values


# --------------------------------------------------------------------------
# 5. No tracebacks for users
# --------------------------------------------------------------------------

def _crash_run(path: Path, cwd: Path, logdir: Path, *extra) -> subprocess.CompletedProcess:
    """The real CLI with a bug planted in the door (check_file raises an unexpected error)."""
    code = ("import sys; import xjr_excel.guard.check as g\n"
            "def boom(*a, **k): raise ZeroDivisionError('planted bug')\n"
            "g.check_file = boom\n"
            "from xjr_excel.cli.main import main; sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XJR_LOG_DIR": str(logdir), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-c", code, "validate", str(path), *extra], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_unexpected_error_is_one_sentence_and_a_log(corpus, logdir):
    path = corpus("city")
    proc = _crash_run(path, path.parent, logdir)
    assert proc.returncode == 2
    no_traceback(proc)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "程序内部出错" in lines[0] and "--debug" in lines[0], proc.stderr
    logs = list(logdir.iterdir())
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    assert "ZeroDivisionError: planted bug" in logs[0].read_text(encoding="utf-8")

    proc = _crash_run(path, path.parent, logdir, "--debug")
    assert proc.returncode == 2 and "Traceback (most recent call last)" in proc.stderr
    assert "ZeroDivisionError: planted bug" in proc.stderr
