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
    return N.fold(v).replace("(", "（").replace(")", "）") if isinstance(v, str) else None


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
