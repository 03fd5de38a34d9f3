"""Load the policy configuration (``data/policy.toml``) and its reference tables."""
from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:                      # same API, the backport declared for 3.10
    import tomli as tomllib

CN_DIGITS = "零一二三四五六七八九"
_POLICY_REF = re.compile(r"\{policy\.([\w.]+)\}")


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (batch numbers stay below 100)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class Industry:
    section: str        # 门类 letter
    section_name: str
    code: str           # 大类, two digits
    name: str


@dataclass(frozen=True)
class SizeBand:
    group: str          # 行业类别
    codes: frozenset[str] | None   # None: every division not listed elsewhere
    upper: int | None   # 中小微型 staff ceiling (exclusive)
    medium_min: int | None
    small_min: int | None


class Policy:
    def __init__(self, raw: dict, data_dir: Path, file: Path | None = None):
        self.raw = raw
        self.data_dir = data_dir
        self.file = file

    @property
    def files(self) -> list[Path]:
        """What the policy is read from: its file and its reference tables."""
        tables = [self.data_dir / self.raw[k]["table"] for k in ("industry", "size_standard")]
        return ([self.file] if self.file else []) + tables

    # plain sections
    @property
    def choices(self) -> dict:
        return self.raw["choices"]

    @property
    def limits(self) -> dict:
        return self.raw["limits"]

    @property
    def eligibility(self) -> dict:
        return self.raw["eligibility"]

    @property
    def template_rows(self) -> dict:
        return self.raw["template"]["rows"]

    @property
    def input_limits(self) -> dict:
        return self.raw["limits_input"]

    @property
    def serve(self) -> dict:
        """Limits of ``xjr serve`` (upload size, files per merge, workers, queue, timeouts)."""
        return self.raw["serve"]

    @property
    def growth_from_batch(self) -> int:
        return int(self.raw["growth"]["required_from_batch"])

    @property
    def miit_batch_names(self) -> list[str]:
        return [f"第{chinese_number(i)}批" for i in range(1, int(self.raw["miit"]["published_batches"]) + 1)]

    @property
    def year_range(self) -> tuple[int, int]:
        """(earliest, latest) year a form may hold."""
        y = self.raw["years"]
        return int(y["earliest"]), int(y["latest"])

    # values rule messages name as {policy.PATH} (data/rules.toml)
    @cached_property
    def message_values(self) -> dict[str, str]:
        """Every value of the policy by its dotted path (lists joined with "/"), and the few that
        messages need in another shape."""
        flat: dict[str, str] = {}

        def walk(prefix: str, value) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(f"{prefix}{k}.", v)
            else:
                flat[prefix[:-1]] = "/".join(map(str, value)) if isinstance(value, list) else str(value)
        walk("", self.raw)
        flat["miit.last_batch_name"] = self.miit_batch_names[-1]
        flat["tracking.period_choices"] = "或".join(p["label"] for p in self.raw["tracking"]["periods"].values())
        return flat

    def fill(self, text: str) -> str:
        """``text`` with each {policy.PATH} replaced by that policy value; other {…} stay for later."""
        def value(m: re.Match) -> str:
            try:
                return self.message_values[m.group(1)]
            except KeyError:
                raise KeyError(f"{{policy.{m.group(1)}}} names no value of the policy ({self.file})") from None
        return _POLICY_REF.sub(value, text)

    def holds_year(self, year) -> bool:
        lo, hi = self.year_range
        return isinstance(year, int) and not isinstance(year, bool) and lo <= year <= hi

    def history_years(self, year: int) -> list[int]:
        """The two years before the submission year, newest first (seed: 2020, 2019)."""
        return [year - d for d in self.raw["submission"]["history_years_before"]]

    # reference tables
    @cached_property
    def industries(self) -> list[Industry]:
        with open(self.data_dir / self.raw["industry"]["table"], encoding="utf-8") as fh:
            return [Industry(r["门类"], r["门类名称"], r["大类"].zfill(2), r["大类名称"]) for r in csv.DictReader(fh)]

    @cached_property
    def size_bands(self) -> list[SizeBand]:
        bands = []
        with open(self.data_dir / self.raw["size_standard"]["table"], encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                spec = r["GB/T 4754-2017 大类"].strip()
                codes = None if spec == "其余" else frozenset(_expand_codes(spec))

                def num(col):
                    v = r[col].strip()
                    return int(v) if v else None
                bands.append(SizeBand(r["行业类别"], codes, num("中小微型企业从业人员上限（人，不含）"),
                                      num("中型从业人员下限（人）"), num("小型从业人员下限（人）")))
        return bands

    def size_band(self, division: str) -> SizeBand:
        fallback = None
        for b in self.size_bands:
            if b.codes is None:
                fallback = b
            elif division in b.codes:
                return b
        assert fallback is not None, "size standard needs a row for 其余"
        return fallback


def _expand_codes(spec: str) -> list[str]:
    out = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-")
            out += [f"{i:02d}" for i in range(int(lo), int(hi) + 1)]
        else:
            out.append(part.zfill(2))
    return out


@lru_cache(maxsize=1)
def default_data_dir() -> Path:
    return Path(str(resources.files("xjr_excel") / "data"))


def read_toml(path: Path) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def load_policy(path: str | Path | None = None) -> Policy:
    """Read the policy; ``path`` overrides the packaged file (a new year's batch)."""
    file = Path(path) if path else default_data_dir() / "policy.toml"
    raw = read_toml(file)
    data_dir = file.parent if (file.parent / raw["industry"]["table"]).exists() else default_data_dir()
    return Policy(raw, data_dir, file)
