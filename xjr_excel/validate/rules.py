"""Every rule of the spec, and the code that checks it.

Each spec rule names the check that reports it (``Rule.by``, a function here
marked ``@check``; one check may report several ids) — :func:`registry` derives
rule id → check from that one declaration.  Per-field rules come from the generated
pandera schemas (:mod:`xjr_excel.validate.schemas`); row-wise, cross-field and
cross-sheet rules are vectorised pandas functions here.  Structural rules
(missing sheets/columns, hidden rows, cover) are reported while reading.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from stdnum.cn import uscc

from xjr_excel.read import normalize as N
from xjr_excel.validate import schemas as SC
from xjr_excel.spec import definition as S
from xjr_excel.findings import make
from xjr_excel.model import Finding, TableData, Unparsed, WorkbookData


@dataclass
class Ctx:
    data: WorkbookData
    names: object = None                  # names.Reference or None
    today: dt.date = field(default_factory=dt.date.today)
    out: list[Finding] = field(default_factory=list)

    @property
    def spec(self) -> S.Spec:
        return self.data.spec

    def table(self, key: str) -> TableData | None:
        td = self.data.tables.get(key)
        return td if td is not None and td.sheet else None

    def filled(self, key: str) -> TableData | None:
        """The table when it was found and has rows (most checks have nothing to say otherwise)."""
        td = self.table(key)
        return td if td is not None and not td.frame.empty else None

    def texts(self, tkey: str, key: str) -> tuple[TableData | None, pd.Series]:
        """The table and its non-blank texts in column ``key`` (none when the table has no rows)."""
        td = self.filled(tkey)
        return td, (_txt(td, key).dropna() if td is not None else pd.Series(dtype=object))

    def header(self, td: TableData, key: str) -> str:
        return td.table.field(key).label

    def raw(self, td: TableData, row: int, key: str) -> str:
        try:
            return td.raw.at[row, key]
        except KeyError:
            return ""

    def add(self, rule: str, td: TableData, row: int | None, key: str, value=None, **ph) -> None:
        if value is None:
            value = self.raw(td, row, key) if row is not None else ""
        f = td.table.field(key)
        label = f.label
        self.out.append(make(self.spec, rule, file=self.data.file, sheet=td.sheet, cell=td.cell(row, key),
                             field=self.header(td, key), value=value, field_label=label,
                             subject=self.subject(td, row), **ph))

    def subject(self, td: TableData, row: int | None) -> tuple[str, str] | None:
        """(企业|平台, name) of the record ``row`` is part of, for tables with one record per enterprise or
        platform (附1–附4 by 名称; 附5's tables by 申请单位, a platform)."""
        table = td.table
        key = getattr(table, "key_field", None)
        if row is None or not key or key not in td.columns:
            return None
        kind = "平台" if key == "unit" else table.record
        if kind not in ("企业", "平台"):
            return None
        name = self.raw(td, row, key)
        return (kind, str(name).strip()) if isinstance(name, str) and name.strip() else None

    def owners(self, td: TableData) -> pd.Series | None:
        """The workbook each row of ``td`` comes from when many are validated as one (validate.batch)."""
        return None

    def column_found(self, td: TableData, row: int, key: str) -> bool:
        """Whether the workbook holding ``row`` has the column (a stacked table has every column)."""
        return key in td.columns

    @property
    def batch(self) -> int | None:
        b = self.data.cover.get("batch")
        return b if isinstance(b, int) and not isinstance(b, bool) else None

    @property
    def year(self) -> int | None:
        y = self.data.cover.get("year")
        return y if self.spec.policy.holds_year(y) else None


READER = "reader"     # reported while reading the workbook (structure, cover, hidden rows)
# A rule whose ``by`` is its form's name (``by = "track"``) is reported by that form's own checks
# (:attr:`xjr_excel.forms.Form.checks`), not by a check here.
CHECKS: dict[str, Callable[[Ctx], None]] = {}


def check(fn: Callable[[Ctx], None] | None = None, *, per_book: bool = False):
    """Make ``fn`` a check that spec rules can name (``by="fn"``).

    ``@check(per_book=True)``: the check compares a workbook's tables with each other, reads its
    cover or follows its rows in sequence, so validating many workbooks at once runs it on each
    workbook alone (:mod:`xjr_excel.validate.batch`); the others run once over the stacked tables.
    """
    def register(f: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        f.per_book = per_book
        CHECKS[f.__name__] = f
        return f
    return register(fn) if fn is not None else register


def _num(td: TableData, key: str) -> pd.Series:
    return SC.numbers(td.frame[key])


def _txt(td: TableData, key: str) -> pd.Series:
    return SC.texts(td.frame[key])


def _key(v) -> str | None:
    """Names compared across sheets: ignoring width, spaces and bracket style."""
    if not isinstance(v, str):
        return None
    return N.name_key(v)


# ---------------------------------------------------------------- field rules (schemas)

@check
def field_rules(ctx: Ctx) -> None:
    for td in ctx.data.tables.values():
        if not td.sheet or td.frame.empty:
            continue
        owners = ctx.owners(td)
        fc = SC.failures(td.table, td.frame, owners)
        if fc.empty:
            continue
        first_seen: dict[str, dict] = {}
        for row, key, rule in fc.itertuples(index=False):
            found = ctx.column_found(td, row, key)
            if not found and rule != "field.required":
                continue
            f = td.table.field(key)
            v = td.frame.at[row, key]
            ph = {}
            if rule == "field.type":
                ph["expected"] = N.EXPECTED[f.type]
            elif rule == "field.min":
                ph["op"] = ">" if f.min_exclusive else "≥"
                ph["limit"] = shown_value(f.min)
                ph["value"] = shown_value(v)
            elif rule == "field.max":
                ph["limit"] = shown_value(f.max)
                ph["value"] = shown_value(v)
            elif rule in ("field.choice", "a1.miit_batch", "a3.industry"):
                ph["choices"] = "、".join(f.choices) if len(f.choices) <= 12 else "、".join(f.choices[:6]) + "…（见下拉列表）"
            elif rule == "field.max_len":
                ph["limit"] = f.max_len
                ph["count"] = N.count_chars(v)
            elif rule == "field.unique":
                firsts = first_seen.setdefault(key, _first_rows(td, key, owners))
                other = firsts.get((None if owners is None else owners[row], SC.unique_key(v)))
                ph["other"] = td.cell(other, key) if other is not None else ""
            if rule == "field.required" and not found:
                continue     # a missing column is reported once (file.column_missing)
            ctx.add(rule, td, row, key, **ph)


def _first_rows(td: TableData, key: str, owners: pd.Series | None = None) -> dict:
    """(workbook, value) → the first row holding it (workbook None: a single workbook)."""
    out = {}
    books = [None] * len(td.frame) if owners is None else owners.tolist()
    for (row, v), book in zip(td.frame[key].items(), books):
        k = SC.unique_key(v)
        if k is not None and (book, k) not in out:
            out[book, k] = row
    return out


def shown_value(v) -> str:
    """A value as a message shows it: a whole float without its .0 (1.0 → 1)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _text_values(values: list) -> str:
    try:
        return " ".join(values)           # the raw frame holds text only …
    except TypeError:                     # … but a frame built elsewhere may not
        return " ".join(v for v in values if isinstance(v, str))


def _has_control(text: str) -> bool:
    # every character CONTROL_RE matches is non-printable, and isprintable() runs at C speed;
    # only text with line breaks or tabs (also non-printable) needs the regular expression
    return not text.isprintable() and N.CONTROL_RE.search(text) is not None


@check
def control_chars(ctx: Ctx) -> None:
    pattern = N.CONTROL_RE.pattern
    for td in ctx.data.tables.values():
        if not td.sheet or td.raw.empty:
            continue
        # the whole table first, then its columns: almost every cell is clean
        if not _has_control(_text_values(td.raw.to_numpy(dtype=object).ravel().tolist())):
            continue
        for key in td.columns:
            s = td.raw[key]
            if not _has_control(_text_values(s.tolist())):
                continue
            hit = s.str.contains(pattern, regex=True, na=False)
            for row in s.index[hit]:
                ctx.add("cell.control_chars", td, row, key, value=N.strip_control(s[row]))


# ---------------------------------------------------------------- 封面 / 实施方案

@check(per_book=True)
def cover_rules(ctx: Ctx) -> None:
    cells = ctx.data.cover_cells
    for key, rule in (("batch", "cover.batch"), ("year", "cover.year")):
        v = ctx.data.cover.get(key)
        bad = isinstance(v, Unparsed) or (isinstance(v, int) and (
            v < 1 if key == "batch" else not ctx.spec.policy.holds_year(v)))
        if bad and key in cells:
            sheet, cell = cells[key]
            label = next(c.label for c in ctx.spec.cover if c.key == key)
            ctx.out.append(make(ctx.spec, rule, file=ctx.data.file, sheet=sheet, cell=cell, field=label, value=str(v)))


@check(per_book=True)
def plan_rules(ctx: Ctx) -> None:
    td = ctx.table("plan")
    if td is None:
        return
    counts = td.frame["text"].map(N.count_chars)
    sec = _num(td, "section")
    for section, limit in ctx.spec.plan_limits.items():
        rows = td.frame.index[sec == section]
        if len(rows) == 0:          # the section's rows were deleted: nothing written for it
            ctx.add("plan.empty", td, None, "text", value="", section=section)
            continue
        total = int(counts[rows].sum())
        if total == 0:
            ctx.add("plan.empty", td, rows[0], "text", value="", section=section)
        elif total > limit:
            longest = counts[rows].idxmax()
            ctx.add("plan.limit", td, longest, "text", value=f"{total}字", section=section, limit=limit, count=total)


# ---------------------------------------------------------------- 附1 / 附2

@check(per_book=True)
def seq_rules(ctx: Ctx) -> None:
    for tkey, rule in SC.SEQ_RULE.items():
        td = ctx.filled(tkey)
        if td is None or "seq" not in td.columns:
            continue
        n = _num(td, "seq")
        prev = n.shift(1).fillna(0)
        expected = prev + 1
        bad = ~(n == expected)
        # a wrong number is reported once: after it, counting continues from what is there
        for row in td.frame.index[bad]:
            exp = int(expected[row]) if not np.isnan(expected[row]) else None
            ctx.add(rule, td, row, "seq", expected=exp if exp is not None else "上一行序号加1")


@check(per_book=True)
def empty_lists(ctx: Ctx) -> None:
    """附1 / 附2 with no named record: a submission with only its cover and plan is not clean.
    (The later sheets need no rule of their own: cross.a1_a3 and cross.a2_a5 report every
    enterprise and platform whose 附3/附4/附5 record is missing, also when that sheet is empty.)"""
    for key, rule in (("a1", "a1.empty"), ("a2", "a2.empty")):
        td = ctx.table(key)
        if td is None or "name" not in td.columns:
            continue        # a missing sheet or column is reported while reading
        if td.frame["name"].map(_key).dropna().empty:
            ctx.add(rule, td, (td.header_row or 1) + 1, "name", value="")


@check
def miit_batch_normalised(ctx: Ctx) -> None:
    td = ctx.filled("a1")
    if td is None:
        return
    v = _txt(td, "miit_batch")
    changed = v.notna() & (td.raw["miit_batch"].map(N.squash) != v)      # written otherwise than read
    for row in td.frame.index[changed]:
        ctx.add("a1.miit_batch_normalised", td, row, "miit_batch", expected=v[row])


_DOC_NO = re.compile(r"^(?P<issuer>.*?\D)(?P<open>[〔\[（(【［〖{｛])(?P<year>(19|20)\d{2})(?P<close>[〕\]）)】］〗}｝])"
                     r"第?(?P<num>\d+)号$")


@check
def doc_no(ctx: Ctx) -> None:
    td, texts = ctx.texts("a2", "doc_no")
    for row, v in texts.items():
        t = N.squash(v)
        m = _DOC_NO.match(N.squash(N.half_width(t)).replace("(", "（").replace(")", "）")) or _DOC_NO.match(t)
        if not m or not m["issuer"].strip():
            ctx.add("a2.doc_no", td, row, "doc_no")
            continue
        if m["open"] != "〔" or m["close"] != "〕":
            fixed = f"{m['issuer']}〔{m['year']}〕{m['num']}号"
            ctx.add("a2.doc_no_brackets", td, row, "doc_no", brackets=f"“{m['open']}{m['close']}”", expected=fixed)


@check
def legal_entity(ctx: Ctx) -> None:
    td = ctx.filled("a2")
    if td is None:
        return
    suffixes = tuple(ctx.spec.policy.raw["platform"]["legal_entity_suffixes"])
    names = _txt(td, "name").dropna()
    core = names.map(lambda t: re.sub(r"[（(][^（）()]*[）)]$", "", N.squash(t)))
    bad = ~core.str.endswith(suffixes)
    for row in names.index[bad]:
        ctx.add("a2.legal_entity", td, row, "name")


# ---------------------------------------------------------------- 附3

@check
def credit_code(ctx: Ctx) -> None:
    td, texts = ctx.texts("a3", "credit_code")
    for row, v in texts.items():
        reason = None
        if len(v) != 18:
            reason = f"应为18位，当前为{len(v)}位"
        elif not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}", v):
            bad = "".join(sorted({ch for ch in v if not re.match(r"[0-9A-HJ-NPQRTUWXY]", ch)}))
            reason = f"含有不允许的字符“{bad}”（不使用I、O、Z、S、V）"
        else:
            try:
                expect = uscc.calc_check_digit(v[:17])
            except Exception:  # noqa: BLE001 - stdnum rejects some region/organisation parts
                expect = None
            if expect is None:
                reason = "不符合GB 32100-2015编码规则"
            elif expect != v[17]:
                reason = f"校验位不正确（按GB 32100-2015，第18位应为“{expect}”）"
        if reason:
            ctx.add("a3.credit_code", td, row, "credit_code", reason=reason)


@check
def reg_date_future(ctx: Ctx) -> None:
    td = ctx.filled("a3")
    if td is None:
        return
    s = td.frame["reg_date"]
    future = s.map(lambda d: isinstance(d, dt.date) and d > ctx.today)
    for row in s.index[future]:
        ctx.add("a3.reg_date_future", td, row, "reg_date", value=s[row].isoformat())


@check
def size_staff(ctx: Ctx) -> None:
    td = ctx.filled("a3")
    if td is None:
        return
    pol = ctx.spec.policy
    staff = _num(td, "staff")
    size = _txt(td, "size")
    ind = _txt(td, "industry")
    known = staff.notna() & ind.notna()
    if not known.any():
        return
    # one size band per industry division (a handful of distinct values), then whole-column comparisons
    codes = ind.str.split(" ").str[0]
    bands = {code: pol.size_band(code[1:]) for code in codes[known].unique()}
    band = codes.map(bands)
    upper = band.map(lambda b: b.upper if b is not None and not isinstance(b, float) else None).astype(float)
    need = pd.Series(np.nan, index=td.frame.index)
    for label, attr in (("中型", "medium_min"), ("小型", "small_min")):
        m = known & (size == label)
        if m.any():
            need[m] = band[m].map(lambda b: getattr(b, attr)).astype(float)
    # size by revenue/assets only (农林牧渔、建筑、房地产) has no staff bounds: upper is NaN there
    for row in td.frame.index[known & upper.notna() & (staff >= upper)]:
        b = band[row]
        ctx.add("a3.size_large", td, row, "staff", staff=int(staff[row]), industry_group=b.group, limit=b.upper)
    for row in td.frame.index[known & upper.notna() & (staff < need)]:
        b = band[row]
        ctx.add("a3.size_staff", td, row, "size", staff=int(staff[row]), industry_group=b.group, size=size[row],
                limit=int(need[row]))


_CODE = re.compile(r"\d{4,}")


@check
def product_category(ctx: Ctx) -> None:
    td, texts = ctx.texts("a3", "product_category")
    for row, v in texts.items():
        t = N.half_width(v)
        codes = _CODE.findall(t)
        bad = [c for c in codes if len(c) not in (8, 10)]
        if bad:
            ctx.add("a3.product_code", td, row, "product_category", value=bad[0])
        elif not codes and "新产品" not in t:
            ctx.add("a3.product_category", td, row, "product_category", reason="未填写8位或10位产品代码")
        elif codes and not re.search(r"[\u4e00-\u9fff]", _CODE.sub("", t)):
            ctx.add("a3.product_category", td, row, "product_category", reason="只有代码，缺少类别名称")


@check
def conditional_fields(ctx: Ctx) -> None:
    """四基 → 具体类别; 填补空白 → 具体领域; 补短板 → 具体领域和环节; and the reverse conflicts."""
    td = ctx.filled("a3")
    if td is None:
        return
    f = td.frame
    fb, fbc = f["four_base"], f["four_base_category"]
    fbc_filled = fbc.notna()
    for row in f.index[(fb == "是") & ~fbc_filled]:
        ctx.add("a3.four_base_category", td, row, "four_base_category",
                choices="、".join(td.table.field("four_base_category").choices))
    for row in f.index[(fb == "否") & fbc_filled]:
        ctx.add("a3.four_base_conflict", td, row, "four_base_category")
    gap, gapf = f["fill_gap"], f["fill_gap_field"]
    gap_set = gap.map(lambda v: isinstance(v, str) and v != "否")
    for row in f.index[gap_set & gapf.isna()]:
        ctx.add("a3.gap_field", td, row, "fill_gap_field", expected=gap[row])
    for row in f.index[(gap == "否") & gapf.notna()]:
        ctx.add("a3.gap_conflict", td, row, "fill_gap_field")
    sb, sbf = f["shortboard"], f["shortboard_field"]
    for row in f.index[(sb == "是") & sbf.isna()]:
        ctx.add("a3.shortboard_field", td, row, "shortboard_field")
    for row in f.index[(sb == "否") & sbf.notna()]:
        ctx.add("a3.shortboard_conflict", td, row, "shortboard_field")
    none = (fb == "否") & (gap == "否") & (sb == "否")
    for row in f.index[none]:
        ctx.add("a3.orientation", td, row, "four_base")


# ---------------------------------------------------------------- cross-sheet

def _name_sets(td: TableData, key: str) -> tuple[pd.Series, set]:
    keys = td.frame[key].map(_key)
    return keys, set(keys.dropna())


@check(per_book=True)
def enterprise_names(ctx: Ctx) -> None:
    """附1 ↔ 附3 ↔ 附4: the same enterprises on all three."""
    found = [(k, ctx.table(k)) for k in ("a1", "a3", "a4")]
    found = [(k, td) for k, td in found if td is not None and "name" in td.columns]
    if len(found) < 2:
        return
    sets = {k: _name_sets(td, "name") for k, td in found}
    label = {k: ctx.spec.sheet(k).label for k, _ in found}
    for k, td in found:
        keys = sets[k][0].dropna()
        others = [o for o, _ in found if o != k]
        absent = {o: ~keys.isin(sets[o][1]).to_numpy(dtype=bool) for o in others}    # whole-column lookups
        for i in np.flatnonzero(np.logical_or.reduce([absent[o] for o in others])):
            missing = [label[o] for o in others if absent[o][i]]
            ctx.add("cross.a1_a3", td, keys.index[i], "name", here=label[k], there="、".join(missing))


@check(per_book=True)
def platform_names(ctx: Ctx) -> None:
    """附2 ↔ 附5: every 附2 platform has an application; every 附5 unit is a 附2 platform."""
    a2, basic = ctx.table("a2"), ctx.table("a5_basic")
    if a2 is None or basic is None:
        return
    k2, s2 = _name_sets(a2, "name")
    kb, sb = _name_sets(basic, "unit")
    for row, name in k2.dropna().items():
        if name not in sb:
            ctx.add("cross.a2_a5", a2, row, "name", here="附2", there="附5申请表")
    for tkey in ("a5_basic", "a5_ops", "a5_res", "a5_tot", "a5_srv"):
        td = ctx.filled(tkey)
        if td is None:
            continue
        keys = td.frame["unit"].map(_key)
        for row, name in keys.dropna().items():
            if name not in s2:
                ctx.add("cross.a2_a5", td, row, "unit", here=f"附5“{td.table.title}”", there="附2")


@check(per_book=True)
def platform_years(ctx: Ctx) -> None:
    """附5 years: the two years before the submission year, for every platform."""
    if ctx.year is None:
        return
    years = ctx.spec.policy.history_years(ctx.year)
    years_text = "、".join(str(y) for y in years)
    basic = ctx.table("a5_basic")
    platforms = []
    if basic is not None:
        platforms = list(dict.fromkeys(basic.frame["unit"].map(_key).dropna()))
    a2 = ctx.table("a2")
    if a2 is not None:       # a unit missing from 附2 is already an error (cross.a2_a5); don't pile on
        listed = set(a2.frame["name"].map(_key).dropna())
        platforms = [p for p in platforms if p in listed]
    names = {}
    if basic is not None:
        for v in _txt(basic, "unit").dropna():
            names.setdefault(_key(v), v)
    for tkey in ("a5_ops", "a5_tot"):
        td = ctx.table(tkey)
        if td is None:
            continue
        yr = _num(td, "year")
        bad = yr.notna() & ~yr.isin(years)
        for row in td.frame.index[bad]:
            ctx.add("cross.a5_year_value", td, row, "year", years=years_text)
        units = td.frame["unit"].map(_key)
        first_row = {}
        have: dict = {}
        for row, u, y in zip(td.frame.index, units, yr):
            if u is None:
                continue
            first_row.setdefault(u, row)
            if y == y:     # not NaN
                have.setdefault(u, set()).add(int(y))
        for p in platforms:
            for y in years:
                if y not in have.get(p, ()):
                    at = first_row.get(p)
                    ctx.add("cross.a5_years", td, at, "year" if at is not None else "unit", value=names.get(p, p),
                            table=td.table.title, expected=y, years=years_text)


# ---------------------------------------------------------------- 附4

@check
def eligibility(ctx: Ctx) -> None:
    td = ctx.filled("a4")
    if td is None:
        return
    e = ctx.spec.policy.eligibility
    for key, rule, lim in (("main_rev_share_i0", "a4.main_rev_share", e["main_revenue_share_min"]),
                           ("rd_share_i0", "a4.rd_share", e["rd_share_min"]),
                           ("quality_certs_i0", "a4.quality_certs", e["quality_certs_min"])):
        v = _num(td, key)
        for row in td.frame.index[v < lim]:
            ctx.add(rule, td, row, key, value=shown_value(v[row]))
    p, r, s = _num(td, "patents_i0"), _num(td, "rd_institutions_i0"), _num(td, "standards_i0")
    ok = (p >= e["patents_min"]) | (r >= e["rd_institutions_min"]) | (s >= e["standards_min"])
    known = p.notna() & r.notna() & s.notna()
    for row in td.frame.index[known & ~ok]:
        ctx.add("a4.innovation", td, row, "patents_i0", patents=shown_value(p[row]), institutions=shown_value(r[row]),
                standards=shown_value(s[row]))
    batch = ctx.batch
    if batch is not None and batch >= ctx.spec.policy.growth_from_batch:
        g = _num(td, "growth_i0")
        plan = _txt(td, "ipo_plan_i0")
        counts = tuple(N.squash(x) for x in e["ipo_plans_that_count"])
        has_plan = plan.map(lambda t: isinstance(t, str) and N.squash(t).startswith(counts))
        grew = g > e["growth_rate_min_exclusive"]
        known = g.notna() | has_plan
        for row in td.frame.index[known & ~grew & ~has_plan]:
            ctx.add("a4.growth", td, row, "growth_i0", value=shown_value(g[row]) if g.notna()[row] else "（未填）",
                    batch=batch, plan=plan[row] if isinstance(plan[row], str) else "")


@check
def targets(ctx: Ctx) -> None:
    td = ctx.filled("a4")
    if td is None:
        return
    for ind in ctx.spec.indicators:
        if ind.type != S.INT:
            continue
        i0 = _num(td, f"{ind.key}_i0")
        for period in ("y1", "y2"):
            key = f"{ind.key}_{period}"
            v = _num(td, key)
            for row in td.frame.index[v < i0]:
                ctx.add("a4.target_below_initial", td, row, key, value=shown_value(v[row]), limit=shown_value(i0[row]))


@check
def ipo_plan(ctx: Ctx) -> None:
    td = ctx.filled("a4")
    if td is None:
        return
    allowed = tuple(N.squash(c) for c in ctx.spec.policy.choices["ipo_plan"])
    for period, _ in ctx.spec.periods:
        key = f"ipo_plan_{period}"
        t = _txt(td, key).dropna()
        bad = ~t.map(lambda x: N.squash(N.half_width(x)).startswith(allowed))
        for row in t.index[bad]:
            ctx.add("a4.ipo_plan", td, row, key)


# ---------------------------------------------------------------- 附5

_POSTCODE = re.compile(r"^\d{6}$")
_MOBILE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
_PHONE = re.compile(r"^(\(?0\d{2,3}\)?-?)?[2-9]\d{6,7}(-\d{1,6})?$|^(\+?86)?1[3-9]\d{9}$|^(400|800)-?\d{3}-?\d{4}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")


def _pattern(ctx: Ctx, tkey: str, key: str, rule: str, pattern: re.Pattern, clean=lambda t: t) -> None:
    td = ctx.filled(tkey)
    if td is None:
        return
    t = _txt(td, key).dropna()
    ok = t.map(lambda x: bool(pattern.match(clean(N.squash(N.half_width(x))))))
    for row in t.index[~ok]:
        ctx.add(rule, td, row, key)


@check
def contact_formats(ctx: Ctx) -> None:
    _pattern(ctx, "a5_basic", "postcode", "a5.postcode", _POSTCODE)
    _pattern(ctx, "a5_basic", "mobile", "a5.mobile", _MOBILE, lambda t: t.replace("-", ""))
    _pattern(ctx, "a5_basic", "email", "a5.email", _EMAIL)
    for tkey in ("a5_basic", "a5_srv"):
        _pattern(ctx, tkey, "phone", "a5.phone", _PHONE, lambda t: t.replace("—", "-").replace("－", "-"))


@check
def service_revenue(ctx: Ctx) -> None:
    td = ctx.filled("a5_ops")
    if td is None:
        return
    rev, srv = _num(td, "revenue"), _num(td, "service_revenue")
    for row in td.frame.index[srv > rev]:
        ctx.add("a5.service_revenue", td, row, "service_revenue", value=shown_value(srv[row]), limit=shown_value(rev[row]))


@check
def reference_names(ctx: Ctx) -> None:
    if ctx.names is None:
        return
    for tkey in ("a1", "a3"):
        td = ctx.filled(tkey)
        if td is None:
            continue
        for row, v in _txt(td, "name").dropna().items():
            suggestion = ctx.names.explain(v)
            if suggestion is not None:
                ctx.add("names.not_published", td, row, "name", suggestion=suggestion)


def registry(spec: S.Spec) -> dict[str, Callable | str]:
    """Rule id → the check that reports it, from each rule's one declaration in the spec (``by=``)."""
    elsewhere = (READER, spec.form)
    missing = sorted(f"{r.id} (by={r.by!r})" for r in spec.rules if r.by not in CHECKS and r.by not in elsewhere)
    if missing:
        raise LookupError(f"spec rules without a check in validate/rules.py: {', '.join(missing)}")
    return {r.id: r.by if r.by in elsewhere else CHECKS[r.by] for r in spec.rules}


def implementations(spec: S.Spec | None = None) -> list[Callable]:
    """Each check once, in the order the spec declares its rules (the order findings are made in);
    ``spec``: the submission's when not given."""
    return list(dict.fromkeys(impl for impl in registry(spec or S.get_spec()).values() if callable(impl)))


def run_all(ctx: Ctx) -> list[Finding]:
    N.name_key.cache_clear()      # the memo serves one validation (names across sheets), not the next file
    try:
        for impl in implementations(ctx.spec):
            impl(ctx)
    finally:
        N.name_key.cache_clear()
    return ctx.out
