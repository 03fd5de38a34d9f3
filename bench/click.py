"""Benchmark: one 校验 click, cold and warm, against the floors of the same run.

    python bench/click.py [--enterprises 50] [--repeat 5]

Setup (not timed): a city workbook from the master template with N enterprises (bench/consolidate.py's
generator), turned into the payload xlwings' remote engine receives (tests/ribbon_engine.py); the
package's bytecode compiled (``compileall``), as ``pip install`` does for the wheel users install
(a developer's editable install, or PYTHONDONTWRITEBYTECODE, would otherwise make every cold click
compile our sources, a cost no user pays).

Timed, all in this one run (best of --repeat, interleaved so all see the same machine load):
- mandated floor: a fresh ``python -c "import xlwings, pandera.pandas"`` — the libraries a click must
  load (the ribbon runs through xlwings, validation through the pandera schemas), before any of our code;
- pandas floor: a fresh ``python -c "import pandas, openpyxl"`` — what any click reading a workbook
  with pandas costs (the warm click is measured against it);
- cold: a fresh Python process that opens the book on the remote engine and runs
  ``xjr_excel.ribbon.validate`` (what every click costs when Python does not stay running);
- warm: the same click again in a process that already ran one (xlwings.conf ``Use UDF Server``: Python
  stays running between clicks), on a fresh copy of the book.
Goals (issue 18): cold ≤ 1.25x the mandated floor, warm ≤ 0.25x the pandas floor.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

GOAL_COLD, GOAL_WARM = 1.25, 0.25

CLICK = """
import json, os, sys, time
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
t0 = time.perf_counter()
import xlwings as xw
payload = json.load(open(sys.argv[1], encoding="utf-8"))
import xjr_excel.ribbon as ribbon
summary = ribbon.validate(xw.Book(json=payload))
answered = time.time()
assert summary is not None, "the click failed"
warm = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    ribbon.validate(xw.Book(json=payload))
    warm.append(time.perf_counter() - t)
print(json.dumps({"inside_cold": time.perf_counter() - t0 - sum(warm), "warm": warm, "summary": summary,
                  "answered": answered}))
"""


def _wall(cmd: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    _wall.launched = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    took = time.perf_counter() - t
    if out.returncode:
        raise SystemExit(f"{cmd[:3]} failed:\n{out.stderr[-3000:]}")
    return took, out.stdout


def make_payload(folder: Path, enterprises: int) -> Path:
    from consolidate import make_city_files

    import ribbon_engine as E
    path = make_city_files(folder / "cities", 1, enterprises, jobs=1)[0]
    target = folder / "payload.json"
    target.write_text(json.dumps(E.payload(E.from_file(path)), ensure_ascii=False, default=str), encoding="utf-8")
    return target


def compile_package() -> None:
    """Our bytecode, as pip writes it when it installs the wheel (kept in __pycache__, git-ignored)."""
    import compileall
    compileall.compile_dir(str(ROOT / "xjr_excel"), quiet=1, force=False)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--enterprises", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--from-source", action="store_true",
                    help="do not compile our bytecode first (what an editable install with PYTHONDONTWRITEBYTECODE pays)")
    args = ap.parse_args(argv)
    if args.from_source:
        import shutil
        for cache in (ROOT / "xjr_excel").rglob("__pycache__"):
            shutil.rmtree(cache)
    else:
        compile_package()
    with tempfile.TemporaryDirectory(prefix="xjr-click-") as tmp:
        payload = make_payload(Path(tmp), args.enterprises)
        script = Path(tmp) / "click.py"
        script.write_text(CLICK, encoding="utf-8")
        mandated, floors, colds, warms, must_ready, cold_ready = [], [], [], [], [], []
        env_key = "import os; os.environ.setdefault('XLWINGS_LICENSE_KEY', 'noncommercial'); "
        for _ in range(args.repeat):
            took, out = _wall([sys.executable, "-c", env_key + "import xlwings, pandera.pandas, time; print(time.time())"])
            mandated.append(took)
            must_ready.append(float(out.split()[-1]) - _wall.launched)
            floors.append(_wall([sys.executable, "-c", "import pandas, openpyxl"])[0])
            took, out = _wall([sys.executable, str(script), str(payload), "3"])
            result = json.loads(out.splitlines()[-1])
            colds.append(took - sum(result["warm"]))
            cold_ready.append(result["answered"] - _wall.launched)
            warms.append(min(result["warm"]))
        must, floor, cold, warm = min(mandated), min(floors), min(colds), min(warms)
        s = result["summary"]
        print(f"a {args.enterprises}-enterprise city, 校验 through xjr_excel.ribbon.validate on xlwings' remote engine "
              f"({s['errors']} errors, {s['warnings']} warnings); best of {args.repeat}")
        print(f"mandated floor (python -c 'import xlwings, pandera.pandas'): {must:6.3f}s")
        print(f"pandas floor   (python -c 'import pandas, openpyxl')       : {floor:6.3f}s")
        print(f"cold click (fresh process): {cold:6.3f}s = {cold / must:5.2f}x the mandated floor "
              f"(goal ≤ {GOAL_COLD}x: {'met' if cold / must <= GOAL_COLD else 'NOT met'}); "
              f"{cold - must:+.3f}s over it; {cold / floor:5.2f}x the pandas floor")
        # The process wall times above include Python's exit, where a final collection walks every object
        # left unless frozen: from launch to the answer (the click's return; the imports done) leaves it out.
        ready, answer = min(must_ready), min(cold_ready)
        print(f"launch to answer: cold click {answer:6.3f}s, mandated imports done {ready:6.3f}s: "
              f"{answer / ready:5.2f}x (goal ≤ {GOAL_COLD}x: {'met' if answer / ready <= GOAL_COLD else 'NOT met'})")
        print(f"warm click (Python already running): {warm:6.3f}s = {warm / floor:5.2f}x the pandas floor "
              f"(goal ≤ {GOAL_WARM}x: {'met' if warm / floor <= GOAL_WARM else 'NOT met'})")
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
