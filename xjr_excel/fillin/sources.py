"""What each fill-in form is prefilled with: one ``Form`` per 附1 enterprise / 附2 platform of a
city workbook, or per enterprise of a tracking workbook, from the reader's frames.

Matching is by the one name key (:func:`xjr_excel.read.normalize.name_key`), as the validator
matches 附1↔附3; values are the normalised ones, or the user's text where it did not parse (a
form going out for corrections shows what the city typed).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from xjr_excel.errors import UserError
from xjr_excel.fillin.layout import ENTERPRISE, PARAMS, PLATFORM, TRACK
from xjr_excel.model import Unparsed, WorkbookData
from xjr_excel.read.normalize import name_key


@dataclass
class Form:
    kind: str
    name: str                                   # enterprise / platform as listed in 附1 / 附2
    row: int                                    # its row in 附1 / 附2 / the tracking sheet
    values: dict[tuple[str, str], object] = field(default_factory=dict)   # (table, field) → value
    rows: dict[str, list[dict]] = field(default_factory=dict)              # 附5 sub-table → row dicts
    marker: dict = field(default_factory=dict)


def plain(v):
    """A frame value as a cell value: text for what did not parse, None for blank."""
    if v is None or isinstance(v, Unparsed):
        return None if v is None else str(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, dt.date)):      # numpy scalar
        v = v.item()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    return v


def _records(data: WorkbookData, key: str) -> list[tuple[int, dict]]:
    t = data.tables.get(key)
    if t is None or t.sheet is None or t.frame.empty:
        return []
    return [(int(row), {k: plain(v) for k, v in rec.items()})
            for row, rec in zip(t.frame.index, t.frame.to_dict("records"))]


def _by_name(records, key_field: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for _row, rec in records:
        name = rec.get(key_field)
        if isinstance(name, str) and name.strip():
            out.setdefault(name_key(name), rec)       # the first row wins, as the validator reports the rest
    return out


def sound_code(code) -> bool:
    """A 统一社会信用代码 the enterprise need not correct (GB 32100-2015 check digit right): only such a
    code is locked on the form; a mistyped one is prefilled but left open."""
    from stdnum.cn import uscc
    if not isinstance(code, str) or not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}", code):
        return False
    try:
        return uscc.calc_check_digit(code[:17]) == code[17]
    except Exception:  # noqa: BLE001 - stdnum rejects some region/organisation parts
        return False


def params(data: WorkbookData) -> dict:
    return {k: data.cover.get(k) for k in ("city", "batch", "year")}


def _marker(kind: str, data: WorkbookData, name: str, **more) -> dict:
    return {"form": kind, **params(data), "name": name, "source": Path(data.file).name,
            "written": dt.datetime.now().isoformat(timespec="seconds"), **more}


def city_forms(data: WorkbookData) -> tuple[list[Form], list[Form], list[str]]:
    """(enterprise forms, platform forms, notes about rows skipped) of a city workbook."""
    if data.spec.form != "submission":
        raise UserError(f"“{Path(data.file).name}”是目标完成情况跟踪表，不是城市申报工作簿。", file=data.file,
                        kind="not_submission")
    missing = [c.label for c in data.spec.cover if c.key in ("city", "batch", "year") and data.cover.get(c.key) in (None, "")]
    if missing:
        raise UserError(f"“{Path(data.file).name}”的封面缺少{'、'.join(missing)}：填报表标题和锁定的城市、批次、"
                        "年度由封面生成。请先在封面填写后再生成填报表。", file=data.file, kind="no_cover")
    notes: list[str] = []
    a3 = _by_name(_records(data, "a3"), "name")
    a4 = _by_name(_records(data, "a4"), "name")
    enterprises = []
    for row, rec in _records(data, "a1"):
        name = rec.get("name")
        if not isinstance(name, str) or not name.strip():
            notes.append(f"附1第{row}行没有企业名称，未生成填报表。")
            continue
        name = name.strip()
        f = Form(ENTERPRISE, name, row)
        for table, src in (("a3", a3), ("a4", a4)):
            for k, v in src.get(name_key(name), {}).items():
                if v is not None:
                    f.values[(table, k)] = v
        f.values[("a3", "name")] = f.values[("a4", "name")] = name
        f.values.update({(PARAMS, k): v for k, v in params(data).items()})
        f.marker = _marker(ENTERPRISE, data, name, credit_code=f.values.get(("a3", "credit_code")))
        enterprises.append(f)
    basic = _by_name(_records(data, "a5_basic"), "unit")
    subs = {k: _records(data, k) for k in ("a5_ops", "a5_res", "a5_tot", "a5_srv")}
    platforms = []
    for row, rec in _records(data, "a2"):
        name = rec.get("name")
        if not isinstance(name, str) or not name.strip():
            notes.append(f"附2第{row}行没有平台名称，未生成填报表。")
            continue
        name = name.strip()
        f = Form(PLATFORM, name, row)
        for k, v in basic.get(name_key(name), {}).items():
            if v is not None:
                f.values[("a5_basic", k)] = v
        f.values[("a5_basic", "unit")] = name
        if rec.get("doc_no") is not None:
            f.values[("a2", "doc_no")] = rec["doc_no"]
        f.values.update({(PARAMS, k): v for k, v in params(data).items()})
        key = name_key(name)
        f.rows = {t: [r for _row, r in rows if isinstance(r.get("unit"), str) and name_key(r["unit"]) == key]
                  for t, rows in subs.items()}
        f.marker = _marker(PLATFORM, data, name, doc_no=rec.get("doc_no"))
        platforms.append(f)
    return enterprises, platforms, notes


def track_forms(data: WorkbookData) -> tuple[list[Form], list[str]]:
    """One tracking form per enterprise of a tracking workbook (initial values and targets as written)."""
    notes: list[str] = []
    out = []
    for row, rec in _records(data, "track"):
        name = rec.get("name")
        if not isinstance(name, str) or not name.strip():
            notes.append(f"跟踪表第{row}行没有企业名称，未生成填报表。")
            continue
        name = name.strip()
        f = Form(TRACK, name, row)
        for k, v in rec.items():
            if v is not None and not k.endswith("_met"):
                f.values[("track", k)] = v
        f.values[("track", "name")] = name
        f.values.update({(PARAMS, k): data.cover.get(k) for k in ("city", "batch", "year", "period")})
        f.marker = {**_marker(TRACK, data, name, credit_code=rec.get("credit_code")),
                    "period": data.cover.get("period")}
        out.append(f)
    return out, notes
