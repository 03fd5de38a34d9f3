"""Helpers for the validation tests: a clean city submission as 2-D grids (one per sheet,
laid out like the master template), ways to break one cell, and writing it to .xlsx.

Imported explicitly by tests/test_reader*.py, test_rules*.py, test_validate*.py.
"""
from __future__ import annotations

import copy
import datetime as dt

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from xjr_excel.spec.definition import get_spec
from samples_src.codes import credit_code  # noqa: F401 - tests import it from here

SPEC = get_spec()
YEAR = 2026
HIST = SPEC.policy.history_years(YEAR)          # [2025, 2024]
ENTERPRISES = ["南京精工机械股份有限公司", "江苏恒远新材料科技有限公司", "南京中科微电子（集团）有限公司"]
PLATFORMS = ["江苏省中小企业公共服务中心有限公司", "南京智能制造创新服务中心"]


def enterprise_a3(i: int, name: str) -> dict:
    return {
        "name": name, "legal_rep": f"张{i}", "credit_code": credit_code(i), "staff": 350 + i,
        "reg_date": dt.date(2010, 3, 2 + i), "capital": 1000.5, "size": "中型", "ownership": "民营",
        "industry": "C34 通用设备制造业", "segment": "高端压缩机", "product_category": "3441020100 气体压缩机",
        "product_name": "螺杆空气压缩机", "four_base": "是", "four_base_category": "关键基础材料",
        "fill_gap": "填补国内空白", "fill_gap_field": "高端压缩机", "shortboard": "否", "shortboard_field": None,
        "intro": "企业主营空气压缩机的研发、生产和销售，在细分领域居国内前列。",
    }


def enterprise_a4(name: str) -> dict:
    vals = {"main_rev_share": (85, 86, 88), "export_share": (12.5, 13, 15), "foreign_certs": (2, 3, 4),
            "rd_share": (5.2, 5.5, 6), "patents": (3, 4, 5), "rd_institutions": (1, 1, 2), "standards": (1, 2, 2),
            "rd_conversions": (5, 6, 8), "quality_certs": (2, 2, 3), "standard_level": ("是", "是", "是"),
            "digital": ("否", "是", "是"), "ipo_plan": ("已进入辅导期", "已递交申请书", "已递交申请书"),
            "growth": (12.3, 15, 18)}
    row = {"name": name}
    for ind, triple in vals.items():
        for (period, _), v in zip(SPEC.periods, triple):
            row[f"{ind}_{period}"] = v
    return row


def records() -> dict[str, list[dict]]:
    recs = {
        "plan": [{"section": p.section, "item": p.item, "guidance": p.guidance,
                  "text": f"第{p.section}部分{p.item}的正文内容，说明本市工作基础和举措。"} for p in SPEC.plan_items],
        "a1": [{"seq": i + 1, "name": n, "miit_batch": "第三批"} for i, n in enumerate(ENTERPRISES)],
        "a2": [{"seq": i + 1, "name": n, "content": "技术创新服务、融资服务、数字化改造服务",
                "doc_no": f"工信部企业函〔2020〕{120 + i}号"} for i, n in enumerate(PLATFORMS)],
        "a3": [enterprise_a3(i + 1, n) for i, n in enumerate(ENTERPRISES)],
        "a4": [enterprise_a4(n) for n in ENTERPRISES],
        "a5_basic": [{"unit": n, "reg_date": dt.date(2012, 6, 18), "nature": "企业法人", "legal_rep": "李四",
                      "address": "南京市玄武区中山路1号", "postcode": "210000", "contact": "王五",
                      "phone": "025-83331234", "mobile": "13912345678", "website": "www.example.cn",
                      "email": "info@example.cn"} for n in PLATFORMS],
        "a5_ops": [{"unit": n, "year": y, "revenue": 1200.5, "service_revenue": 800, "assets": 5000,
                    "profit": -20.5, "tax": 30} for n in PLATFORMS for y in HIST],
        "a5_res": [{"unit": n, "resource": "南京大学", "field": "技术"} for n in PLATFORMS],
        "a5_tot": [{"unit": n, "year": y, "activities": 12, "enterprise_visits": 80, "agreements": 20,
                    "agreement_amount": 300} for n in PLATFORMS for y in HIST],
        "a5_srv": [{"unit": n, "seq": 1, "enterprise": ENTERPRISES[0], "contact": "赵六", "phone": "13812345678",
                    "summary": "数字化改造诊断服务", "satisfaction": "满意"} for n in PLATFORMS],
    }
    return recs


def cover_rows(city="南京市", batch=3, year=YEAR) -> list[list]:
    rows = [["封面（填报信息）", "", ""], ["", "", ""], ["说明", "", ""], ["项目", "填写内容", "说明"]]
    values = {"city": city, "batch": batch, "year": year, "department": "南京市工业和信息化局",
              "contact": "王五", "phone": "025-83331234", "filled_on": dt.date(2026, 5, 20)}
    for cf in SPEC.cover:
        rows.append([cf.label, values[cf.key], cf.hint])
    return rows


def build_grids(recs: dict[str, list[dict]] | None = None, **cover) -> dict[str, list[list]]:
    """Sheets → 2-D arrays from A1, tables placed where the template puts them."""
    recs = recs if recs is not None else records()
    grids: dict[str, list[list]] = {"填报说明": [["填报说明"]], "封面": cover_rows(**cover)}
    for sheet in SPEC.sheets:
        if sheet.key in ("guide", "cover"):
            continue
        tables = SPEC.tables_on(sheet.key)
        width = max(t.last_col for t in tables)
        height = max(t.header_row + len(recs.get(t.key, [])) for t in tables)
        grid = [[""] * width for _ in range(height)]
        grid[0][0] = sheet.label or sheet.name
        grid[1][0] = f"南京市第3批{sheet.title}"
        for t in tables:
            for i, f in enumerate(t.fields):
                grid[t.header_row - 1][t.first_col - 1 + i] = f.header
            for r, rec in enumerate(recs.get(t.key, [])):
                for i, f in enumerate(t.fields):
                    v = rec.get(f.key)
                    grid[t.header_row + r][t.first_col - 1 + i] = "" if v is None else v
        grids[sheet.name] = grid
    return grids


def cell_of(table_key: str, index: int, field_key: str) -> str:
    """A1 address of record ``index`` (0-based) of a table, in grids from build_grids."""
    t = SPEC.table(table_key)
    col = t.first_col + [f.key for f in t.fields].index(field_key)
    return f"{get_column_letter(col)}{t.header_row + 1 + index}"


def with_value(table_key: str, index: int, field_key: str, value, recs=None) -> dict:
    recs = copy.deepcopy(recs or records())
    recs[table_key][index][field_key] = value
    return recs


def write_xlsx(grids: dict[str, list[list]], path, *, hidden_rows=None, percent_cells=None, merges=None) -> str:
    """Write grids with openpyxl (hidden rows, %-formatted cells and merges as asked)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, grid in grids.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(grid, start=1):
            for c, v in enumerate(row, start=1):
                if v not in ("", None):
                    ws.cell(r, c, v)
        for r in (hidden_rows or {}).get(name, ()):
            ws.row_dimensions[r].hidden = True
        for ref in (percent_cells or {}).get(name, ()):
            ws[ref].number_format = "0%"
        for ref in (merges or {}).get(name, ()):
            ws.merge_cells(ref)
    wb.save(path)
    return str(path)
