"""``xjr consolidate`` on tracking workbooks: the provincial 目标完成情况.

Sheets: 完成情况 (per city and province: targets, met, missed, rate — overall and per
indicator — and the enterprises meeting every target), 未完成清单 (every missed target with its
reason), 风险名单 (enterprises whose actuals no longer meet a condition), 合并记录.
Reading, validation and "newest file per city" are the submission merge's own
(:mod:`xjr_excel.province.consolidate`); only the counting and the sheets are the form's.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from xjr_excel.atomic import atomic_path
from xjr_excel.province.model import STATUS_ERRORS, STATUS_OK, CityFile, MergeRun
from xjr_excel.spec.definition import Spec
from xjr_excel.track import met
from xjr_excel.track.rules import lost_conditions
from xjr_excel.track.spec import FORM, TABLE, condition_text, track_spec_for

@dataclass
class Counts:
    targets: int = 0      # (enterprise, indicator) pairs with a target
    met: int = 0
    missed: int = 0

    @property
    def unfilled(self) -> int:
        return self.targets - self.met - self.missed

    @property
    def rate(self) -> float | None:
        judged = self.met + self.missed
        return round(self.met / judged, 4) if judged else None

    def add(self, other: "Counts") -> None:
        self.targets += other.targets
        self.met += other.met
        self.missed += other.missed


@dataclass
class CityTrack:
    city: str
    file: str
    status: str
    errors: int = 0
    warnings: int = 0
    enterprises: int = 0
    all_met: int = 0                       # enterprises meeting every target
    total: Counts = field(default_factory=Counts)
    by_indicator: dict[str, Counts] = field(default_factory=dict)
    misses: list[dict] = field(default_factory=list)
    risks: list[dict] = field(default_factory=list)


def city_track(cf: CityFile, spec: Spec) -> CityTrack:
    ct = CityTrack(cf.city, cf.name, cf.status, cf.errors, cf.warnings)
    ct.by_indicator = {i.key: Counts() for i in spec.indicators}
    names = condition_text(spec.policy)
    rows = cf.table(TABLE)
    for row, rec in rows.records():
        ct.enterprises += 1
        every = True
        source = {"file": cf.name, "sheet": rows.sheet, "row": row}
        for ind in spec.indicators:
            target, actual = rec.get(f"{ind.key}_target"), rec.get(f"{ind.key}_actual")
            if target is None or target == "":
                continue
            c = ct.by_indicator[ind.key]
            c.targets += 1
            ok = met.is_met(spec.policy, ind, target, actual)
            if ok:
                c.met += 1
            else:
                every = False
            if ok is False:
                c.missed += 1
                ct.misses.append({"city": cf.city, "name": rec.get("name"), "credit_code": rec.get("credit_code"),
                                  "indicator": ind.short, "initial": rec.get(f"{ind.key}_i0"), "target": target,
                                  "actual": actual, "reason": rec.get("reason") or "", **source})
        ct.all_met += every
        lost = lost_conditions(spec.policy, {i.key: rec.get(f"{i.key}_actual") for i in spec.indicators})
        for key, detail, _ in lost:
            ct.risks.append({"city": cf.city, "name": rec.get("name"), "credit_code": rec.get("credit_code"),
                             "condition": names[key], "detail": detail, "reason": rec.get("reason") or "", **source})
    for c in ct.by_indicator.values():
        ct.total.add(c)
    return ct


def province_total(cities: list[CityTrack], spec: Spec) -> CityTrack:
    tot = CityTrack("全省合计", "", "")
    tot.by_indicator = {i.key: Counts() for i in spec.indicators}
    for ct in cities:
        tot.enterprises += ct.enterprises
        tot.all_met += ct.all_met
        tot.errors += ct.errors
        tot.warnings += ct.warnings
        tot.total.add(ct.total)
        for k, c in ct.by_indicator.items():
            tot.by_indicator[k].add(c)
        tot.misses += ct.misses
        tot.risks += ct.risks
    return tot


def _counts_json(c: Counts) -> dict:
    return {"targets": c.targets, "met": c.met, "missed": c.missed, "unfilled": c.unfilled, "rate": c.rate}


def consolidate(run: MergeRun) -> dict:
    """The tracking merge, from files already read and validated (other forms set aside); the ``--json`` payload."""
    from xjr_excel import errors
    from xjr_excel.province.consolidate import choose_per_city, collate, record_rows, refusal_code, superseded_reason
    read, files, skipped, output, province, force = run.read, run.files, run.skipped, run.output, run.province, run.force
    spec = track_spec_for(run.spec)
    chosen, superseded = choose_per_city(read)
    for cf in read:
        if not cf.readable:
            skipped.append({"file": cf.path, "reason": cf.reason, "code": refusal_code(cf.kind)})
    for old, new in superseded:
        skipped.append({"file": old.path, "reason": superseded_reason(old, new), "code": errors.Superseded.code})
    cities = sorted((city_track(cf, spec) for cf in chosen), key=lambda c: collate(c.city))
    total = province_total(cities, spec)
    periods = sorted({cf.period for cf in chosen if cf.period})
    payload = {
        "form": FORM,
        "cities": [{"city": c.city, "file": c.file, "status": c.status, "enterprises": c.enterprises,
                    "errors": c.errors, "warnings": c.warnings, **_counts_json(c.total),
                    "all_met": c.all_met, "at_risk": len({r["name"] for r in c.risks})} for c in cities],
        "province": {"province": province, "period": "、".join(periods), "files": len(read), "cities": len(cities),
                     "cities_ok": sum(c.status == STATUS_OK for c in cities),
                     "cities_with_errors": sum(c.status == STATUS_ERRORS for c in cities),
                     "enterprises": total.enterprises, "errors": total.errors, "warnings": total.warnings,
                     **_counts_json(total.total), "all_met": total.all_met,
                     "at_risk": len({(r["city"], r["name"]) for r in total.risks}),
                     "by_indicator": {i.key: {"indicator": i.short, **_counts_json(total.by_indicator[i.key])}
                                      for i in spec.indicators}},
        "duplicates": [],
        "skipped": skipped,
    }
    if not chosen:
        payload["province"]["output"] = None
        return payload
    from xjr_excel.track.province_book import write_book
    rows = record_rows(read, skipped, chosen, chosen, superseded, False)
    all_inputs = tuple(files) + tuple(s["file"] for s in skipped)
    with atomic_path(output, inputs=all_inputs, purpose="province", force=force) as tmp:     # `consolidate -o`'s output
        write_book(tmp, spec, province, "、".join(periods), cities, total, rows,
                   (run.run_time or dt.datetime.now()).replace(microsecond=0))
    payload["province"]["output"] = str(output)
    return payload


def summary_table(payload: dict) -> tuple[str, list[str], list[list[str]]]:
    """The table ``xjr consolidate`` prints (cli/consolidate_cmd.print_summary): title, headers, rows."""
    prov = payload["province"]
    title = (f"{prov['province']}重点“小巨人”企业目标完成情况（实施期{prov['period']}）："
             f"{prov['cities']}个市、{prov['enterprises']}家企业，目标{prov['targets']}项，"
             f"完成{prov['met']}项、未完成{prov['missed']}项")
    headers = ["城市", "状态", "企业", "目标", "完成", "未完成", "完成率", "全部完成", "风险企业"]
    rows = [[c["city"], c["status"], str(c["enterprises"]), str(c["targets"]), str(c["met"]), str(c["missed"]),
             f"{c['rate']:.1%}" if c["rate"] is not None else "—", str(c["all_met"]), str(c["at_risk"])]
            for c in payload["cities"]]
    return title, headers, rows
