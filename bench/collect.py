"""Benchmark: collecting returned fill-in forms into a city workbook.

Makes one city workbook with N enterprises (default 200, valid data, from the real master template,
bench/consolidate.py's generator), sends the forms out (``fillin.build``: each prefilled with its
enterprise's answers, i.e. as returned), clears the city's 附3/附4 answers, then times in the same run:

  ours      xjr collect: every form through the guard, read by its labels (python-calamine, one
            read per sheet), validated with the city workbook's rules, worker processes, the answers
            written into a copy of the city workbook with the 回收情况 sheet;
  baseline  what a user would write merely to *read* the same files: pandas.read_excel(sheet_name=None,
            engine="openpyxl") for every form — no validation, no merge, nothing written.

Runs both --repeat times interleaved and prints the medians and the ratio (baseline / ours; > 1 means
ours is faster; goal ≥ 5x), with the load average (the machine is shared).
Usage:  python bench/collect.py [--forms 200] [--jobs 0] [--repeat 3] [--keep DIR]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import consolidate as B  # noqa: E402  (bench/consolidate.py: the city generator)

from xjr_excel.spec import definition as S  # noqa: E402


def make_inputs(work: Path, n: int) -> tuple[Path, list[Path]]:
    """(the city workbook with 附3/附4 cleared, the N returned enterprise forms)."""
    from openpyxl import load_workbook

    from xjr_excel.fillin.build import build_forms
    from xjr_excel.read.workbook import read_workbook
    from xjr_excel.template import build as template
    spec = S.get_spec()
    master = work / "master.xlsx"
    template.build_workbook(master)
    year = spec.policy.raw["submission"]["default_year"]
    wb = load_workbook(master)
    B.fill_workbook(wb, spec, city="测试市", batch=3, year=year, filled_on=dt.date(year, 5, 20),
                    data=B.city_data(spec, "测试市", n, 0, 11))
    full = work / "测试市-完整.xlsx"
    wb.save(full)
    result = build_forms(full, work / "交回")
    forms = [p for f, p in result.written if f.kind == "enterprise"]
    data = read_workbook(full)
    wb = load_workbook(full)
    for tkey in ("a3", "a4"):
        td = data.tables[tkey]
        ws = wb[td.sheet]
        for row in td.frame.index:
            for c in td.columns.values():
                ws.cell(row, c).value = None
    book = work / "测试市.xlsx"
    wb.save(book)
    return book, forms


def ours(book: Path, forms: list[Path], out: Path, jobs: int) -> tuple[float, dict]:
    from xjr_excel.fillin.collect import collect
    t0 = time.perf_counter()
    payload = collect(book, [str(f) for f in forms], out, jobs=jobs, force=True)
    return time.perf_counter() - t0, payload


def baseline(forms: list[Path]) -> float:
    import pandas as pd
    t0 = time.perf_counter()
    for f in forms:
        pd.read_excel(f, sheet_name=None, engine="openpyxl")
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forms", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="keep the generated files in this folder")
    a = ap.parse_args(argv)
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="xjr-bench-collect-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        book = work / "测试市.xlsx"
        forms = sorted((work / "交回").rglob("附3附4-*.xlsx")) if a.keep and book.exists() else []
        if len(forms) != a.forms:              # --keep DIR from an earlier run with as many forms: reused
            book, forms = make_inputs(work, a.forms)
        print(f"{len(forms)} returned forms, city workbook {book.name}")
        # interleaved (ours, baseline, ours, baseline …) so both see the same machine load; medians
        t_ours, t_base, payload = [], [], None
        for _ in range(a.repeat):
            t, payload = ours(book, forms, work / "回收.xlsx", a.jobs)
            t_ours.append(t)
            t_base.append(baseline(forms))
        med_ours, med_base = statistics.median(t_ours), statistics.median(t_base)
        ratios = sorted(b / o for o, b in zip(t_ours, t_base))
        s = payload["summary"]
        assert s["merged"] == len(forms), s
        print(f"ours     (xjr collect: guard, read, validate, merge, write): {med_ours:7.2f} s"
              f"  merged {s['merged']}, errors {s['errors']}, warnings {s['warnings']}")
        print(f"baseline (pandas + openpyxl, merely reading the same files): {med_base:7.2f} s")
        print(f"ratio baseline/ours: {med_base / med_ours:.1f}x (medians of {a.repeat} interleaved runs;"
              f" per-run ratios {', '.join(f'{r:.1f}' for r in ratios)}; goal >= 5x)")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f}")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
