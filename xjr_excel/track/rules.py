"""The tracking form's own rules (ids ``track.*`` in :mod:`xjr_excel.track.spec`).

Per-field rules (every 实际值 filled, types and ranges as in 附4, the 未完成原因 limit) come from
the generated schemas like every other table; these are the rules only a tracking workbook has.
"""
from __future__ import annotations

import numpy as np

from xjr_excel.model import Finding, Unparsed
from xjr_excel.read import normalize as N
from xjr_excel.track import met
from xjr_excel.track.spec import TABLE, condition_text, period_labels
from xjr_excel.findings import make
from xjr_excel.validate.rules import Ctx, shown_value


def run_track(ctx: Ctx) -> list[Finding]:
    start = len(ctx.out)
    period(ctx)
    td = ctx.table(TABLE)
    if td is not None:
        keys = list(td.frame.columns)          # row → {key: value}: one conversion, plain dict lookups after
        rows = {r: dict(zip(keys, vals)) for r, vals in zip(td.frame.index, td.frame.to_numpy(dtype=object).tolist())}
        locked_cells(ctx, td, rows)
        missed_targets(ctx, td, rows)
        conditions(ctx, td, rows)
    return ctx.out[start:]


def period(ctx: Ctx) -> None:
    v = ctx.data.cover.get("period")
    cell = ctx.data.cover_cells.get("period")
    if v is None or cell is None:
        return          # blank: file.cover_missing says so
    written = getattr(ctx.data.record, "period", None)
    if N.squash(str(v)) not in period_labels(ctx.spec.policy):
        ctx.out.append(make(ctx.spec, "track.period", file=ctx.data.file, sheet=cell[0], cell=cell[1],
                            field="实施期", value=str(v)))
    elif written and N.squash(str(v)) != written:
        ctx.out.append(make(ctx.spec, "track.period_changed", file=ctx.data.file, sheet=cell[0], cell=cell[1],
                            field="实施期", value=str(v), expected=written))


# ---------------------------------------------------------------- locked cells

def _same(written, now) -> bool:
    if isinstance(now, Unparsed):
        now = now.text
    if written is None or written == "":
        return now is None or now == ""
    if isinstance(written, (int, float)) and isinstance(now, (int, float)) and not isinstance(now, bool):
        return abs(float(written) - float(now)) <= 1e-9 * max(1.0, abs(float(written)))
    if now is None:
        return False
    return N.name_key(shown_value(written) if not isinstance(written, str) else written) == \
        N.name_key(shown_value(now) if not isinstance(now, str) else now)


def locked_cells(ctx: Ctx, td, rows: dict) -> None:
    rec = ctx.data.record
    if rec is None:
        from xjr_excel.track.spec import RECORD_SHEET
        ctx.out.append(make(ctx.spec, "track.record_missing", file=ctx.data.file, value=RECORD_SHEET))
        return
    for row, written in rec.rows.items():
        if row not in rows:
            ctx.add("track.enterprise_missing", td, row, "name", value=shown_value(written.get("name") or ""), line=row)
            continue
        for key in rec.keys:
            if key not in td.columns:
                continue         # a deleted column: file.column_missing
            now = rows[row][key]
            if not _same(written.get(key), now):
                w = written.get(key)
                ctx.add("track.locked_changed", td, row, key, expected="（空）" if w in (None, "") else shown_value(w))
    for row in rows:
        if row not in rec.rows:
            ctx.add("track.enterprise_added", td, row, "name", line=row)


# ---------------------------------------------------------------- targets

def missed_targets(ctx: Ctx, td, rows: dict) -> None:
    """A missed target needs its reason; a 完成 cell typed over with the wrong answer is an error."""
    f = td.frame
    yes, no = ctx.spec.policy.choices["yes_no"]
    index = list(f.index)
    missed: dict[int, list] = {}
    for ind in ctx.spec.indicators:
        known, ok = met.met_columns(ctx.spec.policy, ind, f[f"{ind.key}_target"], f[f"{ind.key}_actual"])
        shown = f[f"{ind.key}_met"].to_numpy(dtype=object)
        for i in (known & ~ok).nonzero()[0]:
            missed.setdefault(index[i], []).append(ind)
        if f"{ind.key}_met" in td.columns:
            want = np.where(ok, yes, no)
            typed = np.array([v not in (None, "") for v in shown]) & known & (shown != want)
            for i in typed.nonzero()[0]:
                ctx.add("track.met_formula", td, index[i], f"{ind.key}_met", expected=want[i])
    if "reason" not in td.columns:
        return
    for row in sorted(missed):
        rec = rows[row]
        if rec["reason"] is None:
            text = "、".join(f"“{ind.short}”（目标{shown_value(rec[f'{ind.key}_target'])}，实际{shown_value(rec[f'{ind.key}_actual'])}）"
                            for ind in missed[row])
            ctx.add("track.reason_missing", td, row, "reason", value="", missed=text)


# ---------------------------------------------------------------- conditions

def lost_conditions(policy, values: dict) -> list[tuple[str, str, str]]:
    """(condition key, detail, the actual's field key) of every condition the actuals no longer meet.

    ``values``: indicator key → actual value.  Unknown (blank, not a number) actuals decide nothing.
    """
    e = policy.eligibility

    def num(k):
        v = values.get(k)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    out = []
    for key, ind, lim in (("main_rev_share", "main_rev_share", e["main_revenue_share_min"]),
                          ("rd_share", "rd_share", e["rd_share_min"]),
                          ("quality_certs", "quality_certs", e["quality_certs_min"])):
        v = num(ind)
        if key in policy.raw["tracking"]["conditions"] and v is not None and v < lim:
            out.append((key, f"实际值{shown_value(v)}，须≥{lim}", f"{ind}_actual"))
    p, r, s = num("patents"), num("rd_institutions"), num("standards")
    if "innovation" in policy.raw["tracking"]["conditions"] and None not in (p, r, s) \
            and p < e["patents_min"] and r < e["rd_institutions_min"] and s < e["standards_min"]:
        out.append(("innovation", f"专利{shown_value(p)}、研发机构{shown_value(r)}、标准{shown_value(s)}", "patents_actual"))
    return out


def conditions(ctx: Ctx, td, rows: dict) -> None:
    names = condition_text(ctx.spec.policy)
    keys = [i.key for i in ctx.spec.indicators]
    for row, rec in rows.items():
        values = {k: rec[f"{k}_actual"] for k in keys}
        for cond, detail, field_key in lost_conditions(ctx.spec.policy, values):
            ctx.add("track.condition_lost", td, row, field_key, condition=names[cond], detail=detail)
