"""Benchmark: provincial consolidation of many city workbooks.

Generates N city workbooks (default 100 and 1,000 × ≈50 enterprises, from the real
master template, valid data), then times in the same run, for each N:

  ours      xjr consolidate: python-calamine reads, full validation, worker
            processes, the provincial workbook written (统计, lists, 重复, 合并记录);
  baseline  what a user would write: pandas.read_excel(sheet_name=None,
            engine="openpyxl") for every file, pd.concat per sheet, DataFrame.to_excel
            of the merged sheets — no validation, no statistics.

Prints both times, the ratio (baseline / ours; > 1 means ours is faster; goal ≥ 5x) and the peak
memory of ours in a fresh process (main process and largest worker).
Usage:  python bench/consolidate.py [--cities 100,1000] [--enterprises 50] [--jobs 0] [--repeat 1] [--keep DIR]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl.utils import get_column_letter  # noqa: E402

from xjr_excel.spec import definition as S
from samples_src.codes import credit_code  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
WORDS = ["精密", "智能", "新材料", "传感", "数控", "流体", "光电", "微电子", "动力", "液压", "轴承", "密封",
         "涂层", "齿轮", "芯片", "医疗器械", "环保", "声学", "激光", "复合材料", "工业软件", "机器人", "测控", "模具"]
SUFFIX = ["科技股份有限公司", "技术有限公司", "装备有限公司", "材料股份有限公司", "电子有限公司"]
PRODUCTS = ["3441020100 气体压缩机", "3481010100 滚动轴承", "3969010100 传感器", "3976010100 电子元件", "新产品"]
PLATFORM_SUFFIX = ["中小企业公共服务中心", "产业技术研究院", "科技服务有限公司", "生产力促进中心"]


def _staff_for(rnd: random.Random, size: str, band) -> int:
    lo_mid, lo_small = band.medium_min or 300, band.small_min or 20
    upper = band.upper or 1000
    if size == "中型":
        return rnd.randint(lo_mid, upper - 1)
    if size == "小型":
        return rnd.randint(lo_small, lo_mid - 1)
    return rnd.randint(3, max(lo_small - 1, 3))


def city_data(spec: S.Spec, city: str, n: int, n_platforms: int, seed: int) -> dict[str, list[dict]]:
    """Valid records for every attachment table of one city."""
    rnd = random.Random(seed)
    pol = spec.policy
    year = pol.raw["submission"]["default_year"]
    years = pol.history_years(year)
    manuf = [c for c in spec.table("a3").field("industry").choices if c.startswith("C")]
    names = []
    while len(names) < n:
        nm = f"{city[:-1] if city.endswith('市') else city}{rnd.choice(WORDS)}{rnd.choice(WORDS)}{rnd.choice(SUFFIX)}"
        nm = nm if nm not in names else nm.replace("有限公司", f"{len(names)}有限公司")
        names.append(nm)
    out: dict[str, list[dict]] = {k: [] for k in ("plan", "a1", "a2", "a3", "a4", "a5_basic", "a5_ops", "a5_res",
                                                  "a5_tot", "a5_srv")}
    for item in spec.plan_items:
        out["plan"].append({"section": item.section, "item": item.item, "guidance": item.guidance,
                            "text": f"{city}围绕{item.guidance[:20]}开展工作，成效明显。" * 3})
    batches = pol.miit_batch_names
    for i, name in enumerate(names, start=1):
        out["a1"].append({"seq": i, "name": name, "miit_batch": rnd.choice(batches)})
        industry = rnd.choice(manuf)
        band = pol.size_band(industry[1:3])
        size = rnd.choice(["中型", "小型", "小型", "微型"])
        four = rnd.random() < 0.4
        gap = rnd.choice(["否", "否", "填补国内空白", "填补国际空白"])
        short = rnd.random() < 0.3
        out["a3"].append({
            "name": name, "legal_rep": rnd.choice(SURNAMES) + rnd.choice("伟芳娜敏静丽强磊军洋勇艳杰涛明超"),
            "credit_code": credit_code(rnd, area="3205"), "staff": _staff_for(rnd, size, band),
            "reg_date": dt.date(rnd.randint(1995, 2018), rnd.randint(1, 12), rnd.randint(1, 28)),
            "capital": round(rnd.uniform(100, 20000), 2), "size": size,
            "ownership": rnd.choice(["民营", "民营", "国有", "合资", "其他"]), "industry": industry,
            "segment": rnd.choice(WORDS) + "细分领域", "product_category": rnd.choice(PRODUCTS),
            "product_name": rnd.choice(WORDS) + "产品",
            "four_base": "是" if four else "否",
            "four_base_category": rnd.choice(pol.choices["four_base_category"]) if four else None,
            "fill_gap": gap, "fill_gap_field": rnd.choice(WORDS) if gap != "否" else None,
            "shortboard": "是" if short else "否", "shortboard_field": rnd.choice(WORDS) if short else None,
            "intro": f"{name}专注于{rnd.choice(WORDS)}领域，拥有自主知识产权，产品广泛应用于装备制造。",
        })
        rec = {"name": name}
        for ind in spec.indicators:
            if ind.type == S.PERCENT:
                base = {"main_rev_share": rnd.uniform(72, 99), "rd_share": rnd.uniform(4.5, 15),
                        "growth": rnd.uniform(1, 40)}.get(ind.key, rnd.uniform(0, 30))
                vals = [round(base, 1), round(min(base + 1, 100), 1), round(min(base + 2, 100), 1)]
            elif ind.type == S.INT:
                base = rnd.randint(2, 12) if ind.key in ("patents", "quality_certs", "rd_institutions") else rnd.randint(0, 6)
                vals = [base, base + rnd.randint(0, 2), base + rnd.randint(2, 4)]
            else:
                v = rnd.choice(ind.choices)
                vals = [v, v, v]
            for (period, _), v in zip(spec.periods, vals):
                rec[f"{ind.key}_{period}"] = v
        out["a4"].append(rec)
    for j in range(1, n_platforms + 1):
        unit = f"{city}{rnd.choice(WORDS)}{rnd.choice(PLATFORM_SUFFIX)}"
        unit = unit if all(p["name"] != unit for p in out["a2"]) else unit.replace("中心", f"{j}中心")
        out["a2"].append({"seq": j, "name": unit, "content": "为中小企业提供技术咨询、检验检测、融资对接等服务。",
                          "doc_no": f"工信部企业函〔{rnd.randint(2016, 2024)}〕{rnd.randint(10, 400)}号"})
        out["a5_basic"].append({"unit": unit, "reg_date": dt.date(2010, 6, 18), "nature": "企业法人",
                                "legal_rep": "张明", "address": f"{city}高新区创新路{j}号", "postcode": "210000",
                                "contact": "李华", "phone": "025-83331234", "mobile": "13812345678",
                                "website": "www.example.cn", "email": f"service{j}@example.cn"})
        for y in years:
            rev = round(rnd.uniform(500, 5000), 2)
            out["a5_ops"].append({"unit": unit, "year": y, "revenue": rev, "service_revenue": round(rev * 0.6, 2),
                                  "assets": round(rev * 2, 2), "profit": round(rev * 0.1, 2), "tax": round(rev * 0.05, 2)})
            out["a5_tot"].append({"unit": unit, "year": y, "activities": rnd.randint(5, 50),
                                  "enterprise_visits": rnd.randint(20, 300), "agreements": rnd.randint(5, 60),
                                  "agreement_amount": round(rnd.uniform(10, 500), 2)})
        for k in range(2):
            out["a5_res"].append({"unit": unit, "resource": f"{city}{rnd.choice(WORDS)}银行", "field": rnd.choice(["资金", "技术", "人才"])})
        for k, name in enumerate(names[:3], start=1):
            out["a5_srv"].append({"unit": unit, "seq": k, "enterprise": name, "contact": "王强", "phone": "025-83331234",
                                  "summary": "技术对接与融资服务", "satisfaction": "满意"})
    return out


def fill_workbook(wb, spec: S.Spec, *, city: str, batch: int, year: int, filled_on: dt.date,
                  data: dict[str, list[dict]]) -> None:
    """Write the cover and the records into a master workbook (openpyxl), growing the Excel tables."""
    cover = wb[spec.sheet("cover").name]
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    values = {"city": city, "batch": batch, "year": year, "department": f"{city}工业和信息化局",
              "contact": "陈静", "phone": "025-83331234", "filled_on": filled_on}
    for cf in spec.cover:
        ref = names[cf.defined_name].split("!")[1].replace("$", "")
        cover[ref] = values[cf.key]
    for t in spec.tables:
        ws = wb[spec.sheet(t.sheet).name]
        rows = data.get(t.key, [])
        if t.key == "plan":
            for r, rec in enumerate(rows, start=t.header_row + 1):
                ws.cell(r, t.first_col + 3, rec["text"])
            continue
        for r, rec in enumerate(rows, start=t.header_row + 1):
            for i, f in enumerate(t.fields):
                v = rec.get(f.key)
                if v is not None:
                    ws.cell(r, t.first_col + i, v)
        last = t.header_row + max(len(rows), t.template_rows)
        if t.name in ws.tables:
            ws.tables[t.name].ref = f"{get_column_letter(t.first_col)}{t.header_row}:{get_column_letter(t.last_col)}{last}"
            if ws.tables[t.name].autoFilter is not None:
                ws.tables[t.name].autoFilter.ref = ws.tables[t.name].ref


def _make_batch(args) -> list[str]:
    master, folder, jobs = args
    from openpyxl import load_workbook
    spec = S.get_spec()
    year = spec.policy.raw["submission"]["default_year"]
    out = []
    for city, n, n_platforms, seed in jobs:
        wb = load_workbook(master)
        fill_workbook(wb, spec, city=city, batch=3, year=year, filled_on=dt.date(year, 5, 20),
                      data=city_data(spec, city, n, n_platforms, seed))
        path = Path(folder) / f"{city}.xlsx"
        wb.save(path)
        out.append(str(path))
    return out


def make_city_files(folder: Path, cities: int, enterprises: int, *, jobs: int = 0) -> list[Path]:
    """``cities`` workbooks named 测试NNN市.xlsx with about ``enterprises`` enterprises each."""
    from xjr_excel.template import build as template
    folder.mkdir(parents=True, exist_ok=True)
    master = folder.parent / "master.xlsx"
    template.build_workbook(master)
    rnd = random.Random(7)
    specs = [(f"测试{i:03d}市", max(1, enterprises + rnd.randint(-5, 5)), 2, 1000 + i) for i in range(cities)]
    jobs = jobs or os.cpu_count() or 1
    chunks = [specs[i::jobs] for i in range(jobs)]
    with ProcessPoolExecutor(jobs) as pool:
        paths = [p for batch in pool.map(_make_batch, [(str(master), str(folder), c) for c in chunks if c]) for p in batch]
    return sorted(Path(p) for p in paths)


def baseline(files: list[Path], out: Path, stages: dict) -> dict:
    """The plain approach: read every sheet of every file with openpyxl, concat per sheet, write."""
    import pandas as pd
    t0 = time.perf_counter()
    per_sheet: dict[str, list] = {}
    for f in files:
        for name, df in pd.read_excel(f, sheet_name=None, engine="openpyxl").items():
            df.insert(0, "来源文件", f.name)
            per_sheet.setdefault(name, []).append(df)
    t1 = time.perf_counter()
    merged = {name: pd.concat(frames, ignore_index=True) for name, frames in per_sheet.items()}
    with pd.ExcelWriter(out, engine="openpyxl") as xw:
        for name, df in merged.items():
            df.to_excel(xw, sheet_name=name[:31], index=False)
    stages.update(read=t1 - t0, write=time.perf_counter() - t1)
    return {name: len(df) for name, df in merged.items()}


# The main process's peak is VmHWM (this process image only): ru_maxrss would also count the pages of the
# benchmark process it was forked from (Linux keeps the high-water mark across exec), which after the
# pandas baseline is most of it.
MEMORY_SCRIPT = """
import resource, sys, tempfile
from pathlib import Path
from xjr_excel.province.consolidate import consolidate
with tempfile.TemporaryDirectory() as tmp:
    consolidate([sys.argv[1]], Path(tmp) / "p.xlsx", province="测试省", jobs=int(sys.argv[2]), progress=False)
try:
    status = open("/proc/self/status").read()
    main = int(status.split("VmHWM:")[1].split()[0])
except (OSError, IndexError):
    main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(main, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_memory_mib(folder: Path, jobs: int) -> tuple[float, float]:
    """Peak resident memory of ``xjr consolidate`` over ``folder`` in a fresh process: (main, largest worker)."""
    import subprocess
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(folder), str(jobs)], capture_output=True,
                         text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, check=True)
    main_kib, child_kib = map(int, out.stdout.split()[-2:])
    return main_kib / 1024, child_kib / 1024


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes)."""
    import resource
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


GOAL = 5.0      # merge with full validation ≥ 5x faster than the plain pandas merge


def run_size(work: Path, cities: int, enterprises: int, jobs: int, repeat: int) -> dict:
    folder = work / f"cities-{cities}x{enterprises}"
    from xjr_excel.province.consolidate import consolidate
    t0 = time.perf_counter()
    files = sorted(folder.glob("*.xlsx")) if folder.exists() else []
    if len(files) != cities:
        shutil.rmtree(folder, ignore_errors=True)
        files = make_city_files(folder, cities, enterprises)
    print(f"{len(files)} city workbooks in {folder} ({time.perf_counter() - t0:.1f}s to prepare)")
    ours_runs, base_runs, ours_cpu, base_cpu = [], [], [], []
    for _ in range(repeat):
        # interleaved, so both see the same machine load; the best run of each is compared
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        stages: dict = {}
        payload = consolidate([folder], work / "province.xlsx", province="测试省", jobs=jobs,
                              progress=False, timings=stages)
        ours_runs.append(time.perf_counter() - t0)
        ours_cpu.append(cpu_seconds() - c0)
        prov = payload["province"]
        print(f"ours     : {ours_runs[-1]:7.2f}s  = read+validate {stages['read_validate']:.2f}s + merge+write "
              f"{stages['merge_write']:.2f}s  ({prov['cities']} cities, {prov['enterprises']} enterprises, "
              f"{prov['errors']} errors, {prov['warnings']} warnings, {len(payload['skipped'])} skipped)")
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        stages = {}
        rows = baseline(files, work / "baseline.xlsx", stages)
        base_runs.append(time.perf_counter() - t0)
        base_cpu.append(cpu_seconds() - c0)
        print(f"baseline : {base_runs[-1]:7.2f}s  = read {stages['read']:.2f}s + concat+write "
              f"{stages['write']:.2f}s  (pandas.read_excel engine=openpyxl, pd.concat, to_excel; "
              f"{rows.get('附1', 0)} rows in 附1 incl. titles; no validation)")
    ours, base = min(ours_runs), min(base_runs)
    cpu_ratio = min(base_cpu) / min(ours_cpu)
    main_mib, worker_mib = peak_memory_mib(folder, jobs)
    ratio = base / ours
    print(f"ratio baseline/ours = {ratio:.2f}x at {cities} files (best of {repeat}: {base:.2f}s / {ours:.2f}s; "
          f"goal ≥ {GOAL}x: {'met' if ratio >= GOAL else 'NOT met'}); CPU seconds (all processes) "
          f"{min(base_cpu):.2f} / {min(ours_cpu):.2f} = {cpu_ratio:.2f}x; peak memory: main process {main_mib:.0f} MiB, "
          f"largest worker {worker_mib:.0f} MiB; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    return {"cities": cities, "ours_s": ours, "baseline_s": base, "ratio": ratio, "cpu_ratio": cpu_ratio,
            "main_mib": main_mib, "worker_mib": worker_mib}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cities", default="100,1000", help="comma-separated numbers of city files (default 100,1000)")
    ap.add_argument("--enterprises", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=0, help="worker processes for xjr consolidate (0 = CPU count)")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved runs of each; the best is compared")
    ap.add_argument("--keep", help="keep the generated files in this folder (reused when present)")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xjr-bench-"))
    try:
        results = [run_size(work, int(n), args.enterprises, args.jobs, args.repeat) for n in args.cities.split(",")]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("files  ours(s)  pandas(s)  ratio  CPU ratio  main MiB  worker MiB")
    for r in results:
        print(f"{r['cities']:5d}  {r['ours_s']:7.2f}  {r['baseline_s']:9.2f}  {r['ratio']:5.2f}  {r['cpu_ratio']:9.2f}  "
              f"{r['main_mib']:8.0f}  {r['worker_mib']:10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
