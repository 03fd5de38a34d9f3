"""Benchmark: our full validation vs frictionless-py on the same tables, in one run.

    python bench/validate.py [--enterprises 5000] [--repeat 3]

Setup (not timed): a city workbook with N enterprises (附1, 附3, 附4: N rows each; 附4 has
40 columns) and N/25 platforms (附2, 附5), written with openpyxl write_only in the master
template's layout, with a few mistakes sprinkled in; each table also exported to CSV with a
Table Schema carrying the equivalent constraints (types, required, enum, maxLength, pattern,
minimum/maximum, unique).

Timed (best of --repeat, all in this one run):
- ours: ``read_workbook`` on the template-layout .xlsx (guard.check_file's safety scan,
  calamine, locating tables by their headers, normalising) + ``validate`` (every rule of the
  spec: pandera field schemas, row-wise eligibility, cross-sheet name sets, check digits, ...);
- frictionless reading the same tables from an .xlsx (one sheet per table, header in row 1:
  it cannot find tables in the template's layout) — the like-for-like baseline, its ratio
  decides the exit code;
- frictionless on the same tables pre-exported to CSV (its easiest possible job: no workbook
  to parse) — printed too, for the record.
Frictionless checks only per-field constraints; it has no cross-field or cross-sheet rules.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402

from xjr_excel.spec import definition as S
from xjr_excel.spec.definition import get_spec  # noqa: E402
from samples_src.codes import credit_code  # noqa: E402

SPEC = get_spec()
YEAR = 2026


def make_records(n: int, rng: random.Random) -> dict[str, list[dict]]:
    names = [f"江苏测试{i:05d}科技有限公司" for i in range(n)]
    plats = [f"江苏省第{i:03d}中小企业服务中心" for i in range(max(2, n // 25))]
    inds = SPEC.table("a3").field("industry").choices
    hist = SPEC.policy.history_years(YEAR)
    recs: dict[str, list[dict]] = {
        "plan": [{"section": p.section, "item": p.item, "guidance": p.guidance, "text": "正文" * 100}
                 for p in SPEC.plan_items],
        "a1": [{"seq": i + 1, "name": n_, "miit_batch": SPEC.policy.miit_batch_names[i % 8]}
               for i, n_ in enumerate(names)],
        "a2": [{"seq": i + 1, "name": p, "content": "技术创新服务、融资服务", "doc_no": f"工信部企业函〔2020〕{i + 1}号"}
               for i, p in enumerate(plats)],
        "a3": [], "a4": [],
        "a5_basic": [{"unit": p, "reg_date": dt.date(2012, 6, 18), "nature": "企业法人", "legal_rep": "李四",
                      "address": "南京市玄武区中山路1号", "postcode": "210000", "contact": "王五",
                      "phone": "025-83331234", "mobile": "13912345678", "website": "", "email": "a@example.cn"}
                     for p in plats],
        "a5_ops": [{"unit": p, "year": y, "revenue": 1200.5, "service_revenue": 800, "assets": 5000,
                    "profit": -20.5, "tax": 30} for p in plats for y in hist],
        "a5_res": [{"unit": p, "resource": "南京大学", "field": "技术"} for p in plats],
        "a5_tot": [{"unit": p, "year": y, "activities": 12, "enterprise_visits": 80, "agreements": 20,
                    "agreement_amount": 300} for p in plats for y in hist],
        "a5_srv": [{"unit": p, "seq": 1, "enterprise": names[0], "contact": "赵六", "phone": "13812345678",
                    "summary": "数字化改造诊断服务", "satisfaction": "满意"} for p in plats],
    }
    for i, n_ in enumerate(names):
        staff = rng.randint(300, 900)
        recs["a3"].append({
            "name": n_, "legal_rep": "张三", "credit_code": credit_code(i), "staff": staff,
            "reg_date": dt.date(2000 + i % 20, 1 + i % 12, 1 + i % 28), "capital": 1000 + i, "size": "中型",
            "ownership": "民营", "industry": inds[30 + i % 10], "segment": "细分领域", "product_category": "3441020100 气体压缩机",
            "product_name": "压缩机", "four_base": "是", "four_base_category": "关键基础材料", "fill_gap": "填补国内空白",
            "fill_gap_field": "高端压缩机", "shortboard": "否", "shortboard_field": None,
            "intro": "企业主营空气压缩机的研发、生产和销售。" * 5})
        row = {"name": n_}
        vals = {"main_rev_share": (85, 86, 88), "export_share": (12.5, 13, 15), "foreign_certs": (2, 3, 4),
                "rd_share": (5.2, 5.5, 6), "patents": (3, 4, 5), "rd_institutions": (1, 1, 2), "standards": (1, 2, 2),
                "rd_conversions": (5, 6, 8), "quality_certs": (2, 2, 3), "standard_level": ("是", "是", "是"),
                "digital": ("否", "是", "是"), "ipo_plan": ("无", "已递交申请书", "已递交申请书"),
                "growth": (12.3, 15, 18)}
        for ind, triple in vals.items():
            for (period, _), v in zip(SPEC.periods, triple):
                row[f"{ind}_{period}"] = v
        recs["a4"].append(row)
    # sprinkle mistakes (1 in 100 rows) so both tools have something to report
    for i in range(0, n, 100):
        recs["a3"][i]["staff"] = "很多"
        recs["a3"][i + 1]["ownership"] = "私营"
        recs["a4"][i]["rd_share_i0"] = 3.5
        recs["a4"][i + 2]["export_share_y1"] = 120
    return recs


def write_workbook(recs, path: Path) -> None:
    wb = Workbook(write_only=True)
    cover = wb.create_sheet("封面")
    cover.append(["封面（填报信息）"])
    cover.append([])
    cover.append([])
    cover.append(["项目", "填写内容", "说明"])
    vals = {"city": "南京市", "batch": 3, "year": YEAR, "department": "南京市工业和信息化局", "contact": "王五",
            "phone": "025-83331234", "filled_on": dt.date(2026, 5, 20)}
    for cf in SPEC.cover:
        cover.append([cf.label, vals[cf.key], cf.hint])
    for sheet in SPEC.sheets:
        if sheet.key in ("guide", "cover"):
            continue
        ws = wb.create_sheet(sheet.name)
        tables = SPEC.tables_on(sheet.key)
        width = max(t.last_col for t in tables)
        hr = tables[0].header_row
        ws.append([sheet.label or sheet.name])
        ws.append([f"南京市第3批{sheet.title}"])
        for _ in range(3, hr):
            ws.append([])
        header = [None] * width
        for t in tables:
            for i, f in enumerate(t.fields):
                header[t.first_col - 1 + i] = f.header
        ws.append(header)
        n = max(len(recs[t.key]) for t in tables)
        for r in range(n):
            row = [None] * width
            for t in tables:
                if r < len(recs[t.key]):
                    rec = recs[t.key][r]
                    for i, f in enumerate(t.fields):
                        row[t.first_col - 1 + i] = rec.get(f.key)
            ws.append(row)
    wb.save(path)


# ---------------------------------------------------------------- the frictionless baseline

def table_schema(t: S.Table) -> dict:
    fields = []
    for f in t.fields:
        c: dict = {}
        if f.required:
            c["required"] = True
        if f.unique:
            c["unique"] = True
        ftype = {S.INT: "integer", S.YEAR: "integer", S.NUMBER: "number", S.PERCENT: "number",
                 S.DATE: "date"}.get(f.type, "string")
        if f.min is not None:
            c["minimum"] = f.min
        if f.max is not None:
            c["maximum"] = f.max
        if f.max_len:
            c["maxLength"] = f.max_len
        if f.type in (S.CHOICE, S.INDUSTRY) and f.strict_choices:
            c["enum"] = list(f.choices)
        if f.type == S.CREDIT_CODE:
            c["pattern"] = "[0-9A-HJ-NPQRTUWXY]{17}[0-9A-HJ-NPQRTUWXY]"
        if t.key == "a5_basic" and f.key == "postcode":
            c["pattern"] = "[0-9]{6}"
        if t.key == "a5_basic" and f.key == "mobile":
            c["pattern"] = "1[3-9][0-9]{9}"
        fields.append({"name": f.key, "type": ftype, "constraints": c})
    return {"fields": fields}


def export_csvs(recs, folder: Path) -> list[tuple[Path, dict]]:
    out = []
    for t in SPEC.tables:
        path = folder / f"{t.key}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([f.key for f in t.fields])
            for rec in recs[t.key]:
                w.writerow(["" if rec.get(f.key) is None else (rec[f.key].isoformat() if isinstance(rec[f.key], dt.date)
                                                                 else rec[f.key]) for f in t.fields])
        out.append((path, table_schema(t)))
    return out


def export_xlsx(recs, path: Path) -> list[tuple[Path, str, dict]]:
    """The same tables in one .xlsx, one sheet per table with its header in row 1: frictionless
    cannot find tables in the template's layout (title rows, tables side by side), so it gets
    them pre-arranged (not timed)."""
    wb = Workbook(write_only=True)
    out = []
    for t in SPEC.tables:
        ws = wb.create_sheet(t.key)
        ws.append([f.key for f in t.fields])
        for rec in recs[t.key]:
            ws.append([rec.get(f.key) for f in t.fields])
        out.append((path, t.key, table_schema(t)))
    wb.save(path)
    return out


def run_frictionless_csv(resources) -> int:
    from frictionless import Resource, Schema
    errors = 0
    for path, schema in resources:
        res = Resource(path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(schema))
        report = res.validate(limit_errors=100000)
        errors += report.stats["errors"]
    return errors


def run_frictionless_xlsx(resources) -> int:
    from frictionless import Resource, Schema, formats
    errors = 0
    for path, sheet, schema in resources:
        res = Resource(path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(schema),
                       control=formats.ExcelControl(sheet=sheet))
        report = res.validate(limit_errors=100000)
        errors += report.stats["errors"]
    return errors


def run_ours(path: Path) -> int:
    from xjr_excel.read.workbook import read_workbook
    from xjr_excel.validate.run import validate
    data = read_workbook(path)
    return len(validate(data))


def run_read_excel(path: Path) -> int:
    """pandas.read_excel(engine="openpyxl") merely reading every sheet of the same workbook."""
    import pandas as pd
    return sum(len(df) for df in pd.read_excel(path, sheet_name=None, engine="openpyxl").values())


GOAL_READ_EXCEL = 3.0       # validate ≥ 3x faster than read_excel(openpyxl) only reads the workbook


def run_guard(path: Path) -> int:
    from xjr_excel.guard import check as guard
    guard.check_file(path)
    return 0


def best_of(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--enterprises", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="xjr-bench-") as tmp:
        tmp = Path(tmp)
        recs = make_records(args.enterprises, rng)
        book = tmp / "南京市.xlsx"
        t0 = time.perf_counter()
        write_workbook(recs, book)
        csvs = export_csvs(recs, tmp)
        sheets = export_xlsx(recs, tmp / "tables.xlsx")
        setup = time.perf_counter() - t0
        cells = sum(len(recs[t.key]) * len(t.fields) for t in SPEC.tables)
        run_ours(book)                                   # warm imports (pandas, pandera) once
        ours_t, ours_n = best_of(lambda: run_ours(book), args.repeat)
        guard_t, _ = best_of(lambda: run_guard(book), args.repeat)
        rx_t, rx_rows = best_of(lambda: run_read_excel(book), max(1, args.repeat - 1))
        flx_t, flx_n = best_of(lambda: run_frictionless_xlsx(sheets), max(1, args.repeat - 1))
        flc_t, flc_n = best_of(lambda: run_frictionless_csv(csvs), args.repeat)
    result = {"enterprises": args.enterprises, "cells": cells, "setup_s": round(setup, 2),
              "ours_s": round(ours_t, 3), "ours_findings": ours_n, "of_which_guard_s": round(guard_t, 3),
              "frictionless_xlsx_s": round(flx_t, 3), "frictionless_xlsx_errors": flx_n,
              "frictionless_csv_s": round(flc_t, 3), "frictionless_csv_errors": flc_n,
              "read_excel_openpyxl_s": round(rx_t, 3), "ratio_read_excel": round(rx_t / ours_t, 2),
              "ratio_xlsx": round(flx_t / ours_t, 2), "ratio_csv": round(flc_t / ours_t, 2),
              "load_average": round(os.getloadavg()[0], 1)}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"workbook: {args.enterprises} enterprises, {cells} table cells (setup {setup:.1f}s, not timed)")
        print(f"ours: guard + read the template .xlsx + every rule   {ours_t:7.3f}s  {ours_n} findings"
              f"  (of which guard.check_file {guard_t:.3f}s)")
        print(f"pandas.read_excel(engine=openpyxl), same workbook    {rx_t:7.3f}s  (reads only, {rx_rows} rows)")
        print(f"frictionless, same .xlsx input (one sheet per table) {flx_t:7.3f}s  {flx_n} errors")
        print(f"frictionless, CSV pre-exported (export not timed)    {flc_t:7.3f}s  {flc_n} errors")
        print(f"ratio, read_excel(openpyxl) only reading / ours validating = {rx_t / ours_t:.2f}x"
              f"  (goal ≥ {GOAL_READ_EXCEL}x: {'met' if rx_t / ours_t >= GOAL_READ_EXCEL else 'NOT met'})")
        print(f"ratio, same .xlsx input:  frictionless / ours = {flx_t / ours_t:.2f}x"
              f"  ({'ours faster' if ours_t < flx_t else 'OURS SLOWER'}; decides the exit code)")
        print(f"ratio, CSV pre-exported:  frictionless / ours = {flc_t / ours_t:.2f}x"
              f"  ({'ours faster' if ours_t < flc_t else 'ours slower'}; for the record: frictionless gets"
              f" no workbook to open and runs no cross-field rules)")
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    return 0 if ours_t < flx_t else 1      # non-zero only when slower on the same .xlsx input


if __name__ == "__main__":
    sys.exit(main())
