"""Every command over every foreign or damaged workbook: a coded refusal or findings, never a crash.

The corpus: the city workbook as other programs write it, with truncated and bit-flipped copies
(tests/foreign_corpus.py), and the hostile corpus (tests/hostile/make_corpus.py) but for the kinds
that are slow by design and have their own tests in tests/hostile/test_hostile.py.  All files lie in
one inbox folder, as a province receives them.  Each command runs as the real command line in a
process of its own: ``validate --json``, ``validate --annotate``, ``clear -o``, ``track`` on each
file (forked by tests/cli_runs.py from a Python that imported the package once, two drivers at a
time, so hundreds of runs take a few minutes), and one ``consolidate --json`` over the folder in a
fresh Python (its worker processes included).  Each run must exit 0, 1 or 2, print no traceback
and no internal error (no log written), and its --json must parse; a refusal carries an XJR-E code
that is not XJR-E-INTERNAL.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import foreign_corpus as fc
import make_corpus as mc

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# hostile kinds left out here (each has its own test in tests/hostile/test_hostile.py): they take
# seconds to minutes each by design (inflating a 1 GiB bomb, 20,000 zip members, a 1,048,576-row sheet …)
SLOW_KINDS = {"too_large", "zip_bomb", "zip_bomb_ratio", "zip_bomb_lying", "many_members", "styled_rows",
              "column_fill", "duplicate"}
INTERNAL = ("程序内部出错", "XJR-E-INTERNAL", "Traceback")


@pytest.fixture(scope="session")
def inbox(tmp_path_factory, corpus) -> Path:
    """One folder with every file of the corpus (names prefixed by what made them, so none collide)."""
    folder = tmp_path_factory.mktemp("foreign") / "收件箱"
    folder.mkdir()
    for name, path in fc.build(tmp_path_factory.mktemp("foreign_made")).items():
        shutil.copyfile(path, folder / f"{name.replace('~', '-')}-{path.name}")
    for kind in sorted(set(mc.KINDS) - SLOW_KINDS):
        path = corpus(kind)
        shutil.copyfile(path, folder / f"hostile-{kind}-{path.name}")
    return folder


def run(args: list, cwd: Path) -> dict:
    logs = cwd / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XJR_LOG_DIR": str(logs), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    return {"args": [str(a) for a in args], "rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
            "logs": [p.name for p in logs.iterdir()]}


def crashed(r: dict) -> str | None:
    """Why a run is not a coded refusal or findings (None when it is)."""
    if r["rc"] not in (0, 1, 2):
        return f"exit code {r['rc']}"
    for word in INTERNAL:
        if word in r["stdout"] + r["stderr"]:
            return f"{word}: {r['stderr'][-600:]}"
    if r["logs"]:
        return f"internal-error log written: {r['logs']}"
    return None


def each_file(inbox: Path, tmp_path: Path, args_for) -> list[tuple[str, dict]]:
    """Run ``xjr args_for(file, workdir)`` for every file (tests/cli_runs.py, two drivers); (file name, result)."""
    files = sorted(p for p in inbox.iterdir() if p.is_file())
    assert len(files) >= 60, len(files)
    jobs = []
    for i, f in enumerate(files):
        work = tmp_path / f"{i:03d}"
        (work / "logs").mkdir(parents=True)
        jobs.append({"argv": [str(a) for a in args_for(f, work)], "cwd": str(work), "stdout": str(work / "stdout"),
                     "stderr": str(work / "stderr"), "logs": str(work / "logs")})
    halves = [jobs[0::2], jobs[1::2]]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}

    def drive(n: int) -> list[int]:
        spec = tmp_path / f"jobs{n}.json"
        spec.write_text(json.dumps(halves[n], ensure_ascii=False), encoding="utf-8")
        out = subprocess.run([sys.executable, str(ROOT / "tests" / "cli_runs.py"), str(spec)], capture_output=True,
                             text=True, env=env, timeout=1200)
        assert out.returncode == 0, out.stderr[-2000:]
        return json.loads(out.stdout.splitlines()[-1])
    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = list(pool.map(drive, (0, 1)))
    results = []
    for job, rc in zip(halves[0] + halves[1], codes[0] + codes[1]):
        work = Path(job["cwd"])
        results.append((Path(job["argv"][1]).name, {
            "args": job["argv"], "rc": rc, "stdout": (work / "stdout").read_text(encoding="utf-8", errors="replace"),
            "stderr": (work / "stderr").read_text(encoding="utf-8", errors="replace"),
            "logs": [p.name for p in (work / "logs").iterdir()]}))
    return results


def test_the_corpus_holds_every_writer_and_damage(inbox):
    names = [p.name for p in inbox.iterdir()]
    for writer in ("openpyxl", "xlsxwriter", "pandas_openpyxl", "pandas_xlsxwriter", "xlwt", "libreoffice_xlsx",
                   "libreoffice_xls", "libreoffice_ods", "openpyxl_styled_blanks", "xls_broken_directory", "xlsb"):
        for variant in ("", "-truncated", "-flipped", "-flipped_end"):
            assert any(n.startswith(f"{writer}{variant}-") for n in names), writer + variant
    assert sum(n.startswith("hostile-") for n in names) == len(set(mc.KINDS) - SLOW_KINDS)


def test_validate_json(inbox, tmp_path):
    bad = []
    for name, r in each_file(inbox, tmp_path, lambda f, w: ["validate", f, "--json"]):
        why = crashed(r)
        if why is None:
            try:
                payload = json.loads(r["stdout"])
            except ValueError:
                why = f"stdout is not JSON: {r['stdout'][:300]!r}"
            else:
                if r["rc"] == 2 and not str(payload.get("code", "")).startswith("XJR-E-"):
                    why = f"a refusal without its code: {payload}"
                elif r["rc"] in (0, 1) and "findings" not in payload:
                    why = f"no findings: {payload}"
        if why:
            bad.append((name, why))
    assert not bad, bad


def test_foreign_writers_read_like_the_city_they_copy(inbox, tmp_path):
    """Intact copies by other writers are read, and give the findings of the city they carry."""
    intact = [p for p in inbox.iterdir() if p.name.split("-")[0] in (
        "openpyxl", "xlsxwriter", "pandas_openpyxl", "pandas_xlsxwriter", "xlwt", "libreoffice_xlsx",
        "libreoffice_xls", "libreoffice_ods", "openpyxl_styled_blanks") and p.name.split("-")[1] == fc.CITY]
    assert len(intact) == 9
    rules = {}
    for f in intact:
        r = run(["validate", f, "--json"], tmp_path / f.stem)
        assert r["rc"] == 1, (f.name, r["stderr"][-500:])
        rules[f.name] = {x["rule"] for x in json.loads(r["stdout"])["findings"]}
    assert all(found == {"a5.postcode", "a3.size_staff"} for found in rules.values()), rules


def test_validate_annotate(inbox, tmp_path):
    bad = []
    for name, r in each_file(inbox, tmp_path, lambda f, w: ["validate", f, "--annotate", w / "标记.xlsx"]):
        why = crashed(r)
        if why:
            bad.append((name, why))
    assert not bad, bad


def test_clear(inbox, tmp_path):
    bad = [(name, why) for name, r in each_file(inbox, tmp_path, lambda f, w: ["clear", f, "-o", w / "清除.xlsx"])
           if (why := crashed(r))]
    assert not bad, bad


def test_track(inbox, tmp_path):
    bad = [(name, why) for name, r in each_file(
        inbox, tmp_path, lambda f, w: ["track", f, "-o", w / "跟踪表.xlsx", "--period", "1"]) if (why := crashed(r))]
    assert not bad, bad


def test_consolidate_json_over_the_whole_inbox(inbox, tmp_path):
    before = {p.name: p.stat().st_mtime_ns for p in inbox.iterdir()}
    r = run(["consolidate", inbox, "-o", tmp_path / "全省汇总.xlsx", "--province", "江苏省", "--json", "--jobs", "2"],
            tmp_path)
    assert crashed(r) is None, crashed(r)
    payload = json.loads(r["stdout"])                  # nothing a library printed is mixed in
    assert r["rc"] == 1, r["stderr"][-500:]
    skipped = {Path(s["file"]).name: s for s in payload["skipped"]}
    assert all(s["code"].startswith(("XJR-E-", "XJR-I-")) for s in skipped.values()), skipped
    listed = set(skipped) | {c["file"] for c in payload["cities"]}
    assert listed == set(before), set(before) ^ listed   # every file merged or set aside with its reason
    assert skipped[f"xlsb-{fc.CITY}.xlsb"]["reason"].startswith("该文件是Excel二进制工作簿"), skipped   # validate's words
    assert {p.name: p.stat().st_mtime_ns for p in inbox.iterdir()} == before
