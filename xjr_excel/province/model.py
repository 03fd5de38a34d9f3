"""What one city file contributes to the provincial merge, in plain picklable data.

A worker process reads and validates one workbook and sends back a
:class:`CityFile`: the cover, the record rows of every table (normalised
values, each with its sheet row) and the finding counts.  The parent never
sees pandas frames or the spec, so results cross process boundaries cheaply.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from xjr_excel.read.normalize import code_key, name_key, squash, half_width

STATUS_OK, STATUS_ERRORS, STATUS_UNREADABLE = "合格", "有错误", "无法读取"
MACRO_NOTE = "文件含宏（VBA），已只按数据读取，宏未运行。"

@dataclass
class Rows:
    """One spec table of one city: ``values[i]`` is the record at sheet row ``rows[i]``."""
    sheet: str                    # the sheet name as found in the file (e.g. 附件3)
    columns: list[str]            # spec field keys present, in spec order
    rows: list[int]
    values: list[tuple]

    def records(self):
        """``(sheet_row, {key: value})`` for each record."""
        for r, vals in zip(self.rows, self.values):
            yield r, dict(zip(self.columns, vals))

    def __len__(self) -> int:
        return len(self.rows)

@dataclass
class CityFile:
    """One input file after reading and validation (or the reason it could not be read)."""
    path: str                     # as found (absolute)
    name: str                     # file name shown to users and written in source columns
    sha256: str
    mtime: float
    status: str = STATUS_UNREADABLE
    reason: str = ""              # why it was not read (Chinese), empty when read
    kind: str = ""                # machine tag of the rejection (encrypted, not_workbook, …)
    city: str = ""
    city_from: str = ""           # 封面 / 文件名
    batch: int | None = None
    year: int | None = None
    filled_on: dt.date | None = None
    department: str = ""
    errors: int = 0
    warnings: int = 0
    has_macros: bool = False      # a VBA project was in the file: read as data, never run
    form: str = "submission"      # which form of the family (submission / track: 跟踪表)
    period: str = ""              # track: 实施期 from the cover (满一年 / 满两年)
    tables: dict[str, Rows] = field(default_factory=dict)
    findings_by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return self.status != STATUS_UNREADABLE

    @property
    def rows_read(self) -> int:
        return sum(len(t) for t in self.tables.values())

    def table(self, key: str) -> Rows:
        return self.tables.get(key) or Rows(sheet="", columns=[], rows=[], values=[])

# Values plain() returns unchanged (the reader's usual output): skipped without a call.
AS_IS = frozenset({str, int, bool, type(None), dt.date, dt.datetime})


def plain(value: Any) -> Any:
    """A normalised frame value as a plain Python value (no numpy / pandas types).

    :class:`~xjr_excel.model.Unparsed` keeps the user's text: the province
    sees what the city typed, and the city's status already says it is wrong.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return value
    # numpy scalars, pandas Timestamp / NaT / NA, Unparsed
    try:
        import pandas as pd
        if value is pd.NaT or value is pd.NA:
            return None
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
    except Exception:  # pragma: no cover - pandas is a dependency
        pass
    if hasattr(value, "item") and callable(value.item):
        v = value.item()
        return None if isinstance(v, float) and math.isnan(v) else v
    return str(value)

def norm_name(name: Any) -> str:
    """Enterprise name for matching across cities: the validator's one name rule."""
    return "" if name is None else name_key(str(name))

def norm_code(code: Any) -> str:
    """统一社会信用代码 for matching: NFKC, upper case, no spaces or separators."""
    return "" if code is None else code_key(str(code))

def norm_city(city: Any) -> str:
    if city is None:
        return ""
    return squash(half_width(str(city)))

# 泰州市 must not stop at 泰州: try the longer endings first
_CITY_IN_NAME = [re.compile(r"[\u4e00-\u9fff]{1,10}?" + end) for end in ("自治州", "市", "地区", "盟", "州")]

def city_from_filename(stem: str) -> str:
    """The first city-like word in a file name (南京市-2026-第3批 → 南京市), else ""."""
    stem = half_width(stem)
    for pattern in _CITY_IN_NAME:
        m = pattern.search(stem)
        if m:
            return m.group(0)
    return ""


@dataclass
class MergeRun:
    """What a form's province merge (:attr:`xjr_excel.forms.Form.merge`) is given: every file read and
    validated (files of other forms already set aside), the files skipped unread, and the options."""
    read: list[CityFile]
    files: list
    skipped: list[dict]
    output: object
    province: str
    spec: object                      # the merged form's spec
    strict: bool = False
    force: bool = False
    run_time: object = None           # datetime written to 合并记录 (default now)
    timings: dict | None = None
    started: float = 0.0              # perf_counter when the command started (for timings)
