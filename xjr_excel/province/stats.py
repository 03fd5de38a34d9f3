"""Provincial numbers: per-city counts, province totals and cross-city duplicates.

Pure functions over :class:`~xjr_excel.province.model.CityFile` records; no
I/O.  Every number the 统计 sheet and ``--json`` show is computed here, once.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from xjr_excel.spec import definition as S
from xjr_excel.province.model import CityFile, norm_code, norm_name

NOT_FOUR_BASE = "非“四基”"
NO_CATEGORY = "未填类别"
UNKNOWN = "未识别"
BLANK = "未填写"


def is_star(rec: dict) -> bool:
    """★ = 填补国内或国际空白 (anything but 否) or 关键领域补短板 = 是 (附3)."""
    gap = _text(rec.get("fill_gap"))
    short = _text(rec.get("shortboard"))
    return (gap not in ("", "否")) or short == "是"


def star_kind(rec: dict) -> str:
    parts = []
    gap = _text(rec.get("fill_gap"))
    if gap not in ("", "否"):
        parts.append(gap)
    if _text(rec.get("shortboard")) == "是":
        parts.append("补短板")
    return "、".join(parts)


def star_names(cf: CityFile) -> dict[str, str]:
    """企业名称 (normalised) → ★ kind, from the city's 附3: the one source of every ★ mark and count."""
    out = {}
    for _, rec in cf.table("a3").records():
        if is_star(rec):
            out[norm_name(rec.get("name"))] = star_kind(rec)
    return out


def _text(v) -> str:
    return "" if v is None else str(v).strip()


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class IndustryIndex:
    """GB/T 4754-2017 大类 lookup for 所属行业 as the reader left it (C34 / 34 / name)."""

    def __init__(self, spec: S.Spec):
        self.by_code = {d.code: d for d in spec.policy.industries}
        self.by_name = {d.name: d for d in spec.policy.industries}
        self.sections = {}
        for d in spec.policy.industries:
            self.sections.setdefault(d.section, d.section_name)

    def find(self, value):
        text = _text(value)
        if not text:
            return None
        m = re.search(r"(?<!\d)(\d{2})(?!\d)", text)
        if m and m.group(1) in self.by_code:
            return self.by_code[m.group(1)]
        name = re.sub(r"^[A-Za-z]?\d*\s*", "", text).strip()
        return self.by_name.get(name)


@dataclass
class CityStats:
    city: str
    file: str
    status: str
    included: bool                    # its rows are in the provincial lists
    enterprises: int = 0              # 附1 rows (the list handed up)
    star: int = 0                     # 附1 rows marked ★ (★ read from 附3 by name): as 全省附1 counts them
    detailed: int = 0                 # 附3 rows: what the breakdowns by 四基 / 规模 / 行业 count
    platforms: int = 0                # 附2 records
    errors: int = 0
    warnings: int = 0
    four_base: Counter = field(default_factory=Counter)
    size: Counter = field(default_factory=Counter)
    section: Counter = field(default_factory=Counter)     # 门类 letter
    division: Counter = field(default_factory=Counter)    # "C34"
    int_sums: dict = field(default_factory=dict)          # a4 field key → sum
    pct_sums: dict = field(default_factory=dict)          # a4 field key → (sum, n)

    def pct_mean(self, key: str):
        s, n = self.pct_sums.get(key, (0.0, 0))
        return round(s / n, 2) if n else None


def indicator_fields(spec: S.Spec, kind: str) -> list[S.Field]:
    """附4 columns of one indicator type (INT counts or PERCENT), indicator-major, period-minor."""
    a4 = spec.table("a4")
    return [f for f in a4.fields if f.indicator and f.type == kind]


def city_stats(cf: CityFile, spec: S.Spec, industries: IndustryIndex, *, included: bool) -> CityStats:
    st = CityStats(cf.city, cf.name, cf.status, included, errors=cf.errors, warnings=cf.warnings)
    st.enterprises = len(cf.table("a1"))
    stars = star_names(cf)
    st.star = sum(1 for _, rec in cf.table("a1").records() if norm_name(rec.get("name")) in stars)
    st.platforms = len(cf.table("a2"))
    for _, rec in cf.table("a3").records():
        st.detailed += 1
        fb = _text(rec.get("four_base"))
        if fb == "是":
            st.four_base[_text(rec.get("four_base_category")) or NO_CATEGORY] += 1
        else:
            st.four_base[NOT_FOUR_BASE] += 1
        st.size[_text(rec.get("size")) or BLANK] += 1
        ind = industries.find(rec.get("industry"))
        if ind is None:
            st.section[UNKNOWN if _text(rec.get("industry")) else BLANK] += 1
            st.division[UNKNOWN if _text(rec.get("industry")) else BLANK] += 1
        else:
            st.section[ind.section] += 1
            st.division[f"{ind.section}{ind.code}"] += 1
    ints = indicator_fields(spec, S.INT)
    pcts = indicator_fields(spec, S.PERCENT)
    st.int_sums = {f.key: 0 for f in ints}
    st.pct_sums = {f.key: (0.0, 0) for f in pcts}
    for _, rec in cf.table("a4").records():
        for f in ints:
            v = rec.get(f.key)
            if _is_number(v):
                st.int_sums[f.key] += v
        for f in pcts:
            v = rec.get(f.key)
            if _is_number(v):
                s, n = st.pct_sums[f.key]
                st.pct_sums[f.key] = (s + float(v), n + 1)
    return st


def province_total(stats: list[CityStats], spec: S.Spec) -> CityStats:
    """Sum of the included cities (the rows that are in the lists)."""
    tot = CityStats("全省合计", "", "", True)
    tot.int_sums = {f.key: 0 for f in indicator_fields(spec, S.INT)}
    tot.pct_sums = {f.key: (0.0, 0) for f in indicator_fields(spec, S.PERCENT)}
    for st in stats:
        if not st.included:
            continue
        for attr in ("enterprises", "star", "detailed", "platforms", "errors", "warnings"):
            setattr(tot, attr, getattr(tot, attr) + getattr(st, attr))
        for attr in ("four_base", "size", "section", "division"):
            getattr(tot, attr).update(getattr(st, attr))
        for k, v in st.int_sums.items():
            tot.int_sums[k] += v
        for k, (s, n) in st.pct_sums.items():
            ts, tn = tot.pct_sums[k]
            tot.pct_sums[k] = (ts + s, tn + n)
    return tot


def ordered_keys(counters, preferred, *, always: bool = False) -> list[str]:
    """Column order for a breakdown: the policy's values first (all of them when ``always``),
    then other values seen, then blanks."""
    seen = set()
    for c in counters:
        seen.update(k for k, v in c.items() if v)
    tail = [BLANK, UNKNOWN, NO_CATEGORY, NOT_FOUR_BASE]
    first = [k for k in preferred if always or k in seen]
    rest = sorted(k for k in seen if k not in preferred and k not in tail)
    return first + rest + [k for k in tail if k in seen]


# --------------------------------------------------------------------------
# 附1 against 附3: where the list and the details disagree
# --------------------------------------------------------------------------

def list_mismatches(cf: CityFile) -> list[dict]:
    """The enterprises of one city whose 附1 rows and 附3 rows do not pair one to one (by the
    validator's name rule): missing from one of them, or listed more times in one than the other.
    Each: city, file, name, the 附1 and 附3 sheet rows, and what differs (Chinese)."""
    rows: dict[str, dict] = {}
    for key in ("a1", "a3"):
        t = cf.table(key)
        for row, rec in t.records():
            nn = norm_name(rec.get("name"))
            if not nn:
                continue
            e = rows.setdefault(nn, {"city": cf.city, "file": cf.name, "name": _text(rec.get("name")),
                                     "a1": [], "a3": [], "a1_sheet": cf.table("a1").sheet,
                                     "a3_sheet": cf.table("a3").sheet})
            e[key].append(row)
    out = []
    for e in rows.values():
        n1, n3 = len(e["a1"]), len(e["a3"])
        if n1 == n3 == 1:
            continue
        if n3 == 0:
            why = "附1有、附3无：没有附3详细信息，不计入按附3的分类统计（二至五），也不能标★"
        elif n1 == 0:
            why = "附3有、附1无：不在附1名单中，但计入按附3的分类统计（二至五）"
        elif n1 > 1 and n3 > 1:
            why = f"附1中列出{n1}次、附3中列出{n3}次：重复填报，请删去多余的行"
        elif n1 > 1:
            why = f"附1中列出{n1}次、附3中{n3}次：附1重复填报，请删去多余的行"
        else:
            why = f"附3中列出{n3}次、附1中{n1}次：附3重复填报，请删去多余的行"
        out.append(e | {"problem": why})
    return out


# --------------------------------------------------------------------------
# Enterprises listed more than once: within one city or across cities
# --------------------------------------------------------------------------

@dataclass
class Occurrence:
    city: str
    file: str
    name: str
    code: str
    sources: list[tuple[str, int]]      # (sheet, row) in that city's file


def occurrences(cf: CityFile) -> list[Occurrence]:
    """The listings of one city: 附3 records (name + credit code) joined with 附1 names.  The k-th
    附1 row of a name joins the k-th 附3 row of that name, so a name listed twice in one table is
    two listings (a duplicate within the city), not one."""
    by_name: dict[str, list[Occurrence]] = {}
    out: list[Occurrence] = []
    for key in ("a3", "a1"):
        t = cf.table(key)
        seen: Counter = Counter()
        for row, rec in t.records():
            name = _text(rec.get("name"))
            code = norm_code(rec.get("credit_code")) if key == "a3" else ""
            nn = norm_name(name)
            if not nn and not code:
                continue
            listed = by_name.setdefault(nn, []) if nn else []
            k = seen[nn]
            seen[nn] += 1
            if nn and k < len(listed):
                occ = listed[k]
                if code and not occ.code:
                    occ.code = code
            else:
                occ = Occurrence(cf.city, cf.name, name, code, [])
                out.append(occ)
                listed.append(occ)
            occ.sources.append((t.sheet, row))
    return out


SCOPE_WITHIN, SCOPE_ACROSS = "同一城市内", "多个城市间"


def find_duplicates(cities: list[CityFile], collate) -> list[dict]:
    """Groups of listings that share a 统一社会信用代码 or a normalised name: within one city (the
    city listed the enterprise twice) or across cities.  ``scope`` says which."""
    occs = [o for cf in cities for o in occurrences(cf)]
    parent = list(range(len(occs)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    links: dict[int, set[str]] = {}
    for label, keyf in (("统一社会信用代码", lambda o: o.code), ("企业名称", lambda o: norm_name(o.name))):
        first: dict[str, int] = {}
        for i, o in enumerate(occs):
            k = keyf(o)
            if not k:
                continue
            if k in first:
                j = first[k]
                links.setdefault(i, set()).add(label)
                links.setdefault(j, set()).add(label)
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first[k] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(occs)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        cities_in = {occs[i].city for i in members}
        members.sort(key=lambda i: (collate(occs[i].city), occs[i].sources[0][1] if occs[i].sources else 0))
        matched = set().union(*(links.get(i, set()) for i in members))
        out.append({
            "scope": SCOPE_WITHIN if len(cities_in) == 1 else SCOPE_ACROSS,
            "match": "、".join(m for m in ("统一社会信用代码", "企业名称") if m in matched),
            "name": occs[members[0]].name,
            "credit_code": next((occs[i].code for i in members if occs[i].code), ""),
            "cities": sorted(cities_in, key=collate),
            "sources": [{"city": occs[i].city, "file": occs[i].file, "name": occs[i].name,
                         "credit_code": occs[i].code,
                         "sheet": s, "row": r} for i in members for s, r in occs[i].sources],
        })
    out.sort(key=lambda d: (collate(d["cities"][0]), norm_name(d["name"]), d["credit_code"]))
    return out
