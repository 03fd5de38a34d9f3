"""What a tracking workbook is made from: a city's approved submission (附3 codes, 附4 values)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xjr_excel.errors import UserError
from xjr_excel.read import normalize as N
from xjr_excel.spec.definition import Spec


@dataclass
class Enterprise:
    name: str
    credit_code: str | None
    values: dict[str, object] = field(default_factory=dict)    # indicator key + "_i0"/"_y1"/"_y2" → value


@dataclass
class Source:
    file: str
    cover: dict                     # city, batch, year, department, contact, phone
    enterprises: list[Enterprise]


def _fold(v) -> str | None:
    return N.name_key(v) if isinstance(v, str) else None


def from_submission(path, spec: Spec) -> Source:
    """Read a city submission; refuse one without 附4 enterprises (nothing to track)."""
    from xjr_excel.read.workbook import read_workbook
    data = read_workbook(path, spec=spec)
    if data.spec.form != "submission":
        raise UserError(f"“{Path(path).name}”已是跟踪表，不是申报工作簿。请用城市报送的申报工作簿生成跟踪表。",
                        file=str(path), kind="not_submission")
    a4, a3 = data.tables.get("a4"), data.tables.get("a3")
    if a4 is None or a4.sheet is None or a4.frame.empty:
        raise UserError(f"“{Path(path).name}”的附4（企业目标表）没有企业，无法生成跟踪表。请确认这是批准的申报工作簿。",
                        file=str(path), kind="no_targets")
    codes = {}
    if a3 is not None and a3.sheet is not None and "credit_code" in a3.frame:
        for name, code in zip(a3.frame["name"], a3.frame["credit_code"]):
            if _fold(name) and isinstance(code, str):
                codes.setdefault(_fold(name), code)
    keys = [f.key for f in a4.table.fields if f.indicator]
    out = []
    for rec in a4.frame.to_dict("records"):
        name = rec.get("name")
        if not isinstance(name, str):
            continue
        out.append(Enterprise(name, codes.get(_fold(name)), {k: _plain(rec.get(k)) for k in keys}))
    cover = {k: data.cover.get(k) for k in ("city", "batch", "year", "department", "contact", "phone")}
    return Source(str(path), cover, out)


def _plain(v):
    """Unparsed values are written back as the text the user typed."""
    return v if v is None or isinstance(v, (int, float, str)) else str(v)


# ---------------------------------------------------------------- a provincial merge (--split)

def from_province(path, spec: Spec) -> list[Source]:
    """One source per city of a provincial workbook (``xjr consolidate`` output): 附4 by city,
    codes from 附3, batch and year per city from 合并记录."""
    import os

    from python_calamine import CalamineWorkbook

    from xjr_excel.guard.check import check_file
    from xjr_excel.province.book import RECORD_HEADERS, SOURCE_HEADERS
    from xjr_excel.province.city import PROVINCE_SHEETS
    check_file(path)
    name = Path(path).name
    book = CalamineWorkbook.from_path(os.fspath(path))
    try:
        if not set(PROVINCE_SHEETS) <= set(book.sheet_names):
            raise UserError(f"“{name}”不是全省汇总工作簿（xjr consolidate 的输出）。--split 只用于全省汇总；"
                            "城市申报工作簿请直接作为输入、用 -o 指定输出。", file=str(path), kind="not_province")

        def grid(key):
            return book.get_sheet_by_name(spec.sheet(key).name).to_python(skip_empty_area=False)
        a3, a4 = grid("a3"), grid("a4")
        runs = book.get_sheet_by_name(PROVINCE_SHEETS[1]).to_python(skip_empty_area=False)
    finally:
        book.close()
    inds = [f.key for f in spec.table("a4").fields if f.indicator]
    head = next((i for i, r in enumerate(a4) if r[:2] == ["市", "企业名称"]), None)
    if head is None or len(a4[head]) < 2 + len(inds) + len(SOURCE_HEADERS):
        raise UserError(f"“{name}”的附4不是 xjr consolidate 写出的格式（找不到“市、企业名称”表头）。请重新合并后再拆分。",
                        file=str(path), kind="not_province")
    codes = {}
    h3 = next((i for i, r in enumerate(a3) if r[:2] == ["市", "企业名称"]), None)
    if h3 is not None and "统一社会信用代码" in a3[h3]:
        c = a3[h3].index("统一社会信用代码")
        codes = {(r[0], _fold(r[1])): r[c] for r in a3[h3 + 1:] if r[0] and isinstance(r[c], str) and r[c]}
    cover: dict[str, dict] = {}
    h = next((i for i, r in enumerate(runs) if r[:len(RECORD_HEADERS)] == RECORD_HEADERS), None)
    if h is not None:
        col = {k: RECORD_HEADERS.index(k) for k in ("城市", "批次", "申报年度", "处理")}
        for r in runs[h + 1:]:
            if r[col["处理"]] == "已合并" and r[col["城市"]]:
                cover[r[col["城市"]]] = {"batch": _int(r[col["批次"]]), "year": _int(r[col["申报年度"]])}
    by_city: dict[str, list[Enterprise]] = {}
    for r in a4[head + 2:]:                 # two header rows: indicator, then period
        city, ent = r[0], r[1]
        if not city or not isinstance(ent, str):
            continue
        values = {k: (None if v == "" else v) for k, v in zip(inds, r[2:2 + len(inds)])}
        by_city.setdefault(city, []).append(Enterprise(ent, codes.get((city, _fold(ent))), values))
    if not by_city:
        raise UserError(f"“{name}”的附4没有企业，无法拆分跟踪表。", file=str(path), kind="no_targets")
    return [Source(str(path), {"city": city, **cover.get(city, {}), "department": None, "contact": None,
                               "phone": None}, ents)
            for city, ents in by_city.items()]


def _int(v):
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
