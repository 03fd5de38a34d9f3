"""The tracking form's own rules (ids ``track.*`` in :mod:`xjr_excel.track.spec`).

Per-field rules (every 实际值 filled, types and ranges as in 附4, the 未完成原因 limit) come from
the generated schemas like every other table; these are the rules only a tracking workbook has.
"""
from __future__ import annotations

from xjr_excel.model import Finding, Unparsed
from xjr_excel.read import normalize as N
from xjr_excel.track import met
from xjr_excel.track.spec import TABLE, condition_text, period_labels
from xjr_excel.validate.findings import make
from xjr_excel.validate.rules import Ctx, _fmt


def run_track(ctx: Ctx) -> list[Finding]:
    start = len(ctx.out)
    period(ctx)
    td = ctx.table(TABLE)
    if td is not None:
        locked_cells(ctx, td)
        missed_targets(ctx, td)
        conditions(ctx, td)
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
    return N.fold(_fmt(written) if not isinstance(written, str) else written) == \
        N.fold(_fmt(now) if not isinstance(now, str) else now)


def locked_cells(ctx: Ctx, td) -> None:
    rec = ctx.data.record
    if rec is None:
        from xjr_excel.track.spec import RECORD_SHEET
        ctx.out.append(make(ctx.spec, "track.record_missing", file=ctx.data.file, value=RECORD_SHEET))
        return
    frame = td.frame
    for row, written in rec.rows.items():
        if row not in frame.index:
            ctx.add("track.enterprise_missing", td, row, "name", value=_fmt(written.get("name") or ""), line=row)
            continue
        for key in rec.keys:
            if key not in td.columns:
                continue         # a deleted column: file.column_missing
            now = frame.at[row, key]
            if not _same(written.get(key), now):
                w = written.get(key)
                ctx.add("track.locked_changed", td, row, key, expected="（空）" if w in (None, "") else _fmt(w))
    for row in frame.index:
        if row not in rec.rows:
            ctx.add("track.enterprise_added", td, row, "name", line=row)


# ---------------------------------------------------------------- targets

def _missed(ctx: Ctx, td, row) -> list[tuple]:
    out = []
    for ind in ctx.spec.indicators:
        target, actual = td.frame.at[row, f"{ind.key}_target"], td.frame.at[row, f"{ind.key}_actual"]
        ok = met.is_met(ctx.spec.policy, ind, target, actual)
        shown = td.frame.at[row, f"{ind.key}_met"]
        yes, no = ctx.spec.policy.choices["yes_no"]
        if ok is not None and shown not in (None, "") and shown != (yes if ok else no) \
                and f"{ind.key}_met" in td.columns:
            ctx.add("track.met_formula", td, row, f"{ind.key}_met", expected=yes if ok else no)
        if ok is False:
            out.append((ind, target, actual))
    return out


def missed_targets(ctx: Ctx, td) -> None:
    if "reason" not in td.columns:
        return
    for row in td.frame.index:
        missed = _missed(ctx, td, row)
        if missed and td.frame.at[row, "reason"] is None:
            text = "、".join(f"“{ind.short}”（目标{_fmt(t)}，实际{_fmt(a)}）" for ind, t, a in missed)
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
            out.append((key, f"实际值{_fmt(v)}，须≥{lim}", f"{ind}_actual"))
    p, r, s = num("patents"), num("rd_institutions"), num("standards")
    if "innovation" in policy.raw["tracking"]["conditions"] and None not in (p, r, s) \
            and p < e["patents_min"] and r < e["rd_institutions_min"] and s < e["standards_min"]:
        out.append(("innovation", f"专利{_fmt(p)}、研发机构{_fmt(r)}、标准{_fmt(s)}", "patents_actual"))
    return out


def conditions(ctx: Ctx, td) -> None:
    names = condition_text(ctx.spec.policy)
    keys = [i.key for i in ctx.spec.indicators]
    for row in td.frame.index:
        values = {k: td.frame.at[row, f"{k}_actual"] for k in keys}
        for cond, detail, field_key in lost_conditions(ctx.spec.policy, values):
            ctx.add("track.condition_lost", td, row, field_key, condition=names[cond], detail=detail)
