"""Generate the sample tracking workbooks (跟踪表) (samples/track/) and their answer key samples_src/track_manifest.json (deterministic).

Each sample city submission in samples/ goes through ``xjr track`` (the package's own
``build_tracking``); then the city's "actuals" are filled in with openpyxl, as an official would type
them.  南京市 and 扬州市 (.xlsm, 满两年) are clean: every target met, every condition kept.  苏州市,
无锡市 and 常州市 carry planted misses and mistakes, each listed in the manifest with the sheet, cell
and rule id the validator must report (the answer key).

Run:  python samples_src/generate_track.py [OUTDIR]   (default: samples/track/; the manifest beside this script)
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xjr_excel.spec.definition import get_spec  # noqa: E402
from xjr_excel.track import met  # noqa: E402
from xjr_excel.track.command import output_name  # noqa: E402
from xjr_excel.track.source import from_submission  # noqa: E402
from xjr_excel.track.spec import TABLE, period_label, track_spec_for  # noqa: E402
from xjr_excel.track.template import build_tracking  # noqa: E402

SAMPLES = ROOT / "samples"
CITIES = (("南京市.xlsx", 1), ("苏州市.xlsx", 1), ("无锡市.xlsx", 1), ("常州市.xlsx", 1), ("扬州市.xlsm", 2))
FILLED_ON = dt.date(2027, 6, 30)


def columns(spec) -> dict[str, int]:
    t = spec.table(TABLE)
    return {f.key: t.first_col + i for i, f in enumerate(t.fields)}


def fill(path, out, *, actuals: dict[int, dict], reasons: dict[int, str] | None = None,
         locked: dict[tuple[int, str], object] | None = None, cover: dict | None = None) -> Path:
    """Type values into a tracking workbook like a user would (openpyxl; macros kept).

    ``actuals``: sheet row → indicator key → 实际值; ``reasons``: row → 未完成原因;
    ``locked``: (row, field key) → a value overwriting a locked cell (a planted mistake);
    ``cover``: cover label → value.
    """
    spec = track_spec_for(get_spec())
    cols = columns(spec)
    wb = openpyxl.load_workbook(path, keep_vba=str(path).lower().endswith(".xlsm"))
    ws = wb[spec.sheet(TABLE).name]
    for row, vals in actuals.items():
        for ind, v in vals.items():
            ws.cell(row, cols[f"{ind}_actual"], v)
    for row, text in (reasons or {}).items():
        ws.cell(row, cols["reason"], text)
    for (row, key), v in (locked or {}).items():
        ws.cell(row, cols[key], v)
    cs = wb[spec.sheet("cover").name]
    for r in range(1, cs.max_row + 1):
        label = cs.cell(r, 1).value
        if label in (cover or {}):
            cs.cell(r, 2, cover[label])
    wb.save(out)
    return Path(out)


def meeting_actuals(spec, values: dict) -> dict:
    """Actuals that meet every target and keep every condition: the target, or the threshold."""
    e = spec.policy.eligibility
    floor = {"main_rev_share": e["main_revenue_share_min"], "rd_share": e["rd_share_min"],
             "quality_certs": e["quality_certs_min"], "patents": e["patents_min"]}
    out = {}
    for ind in spec.indicators:
        target = values.get(f"{ind.key}_target")
        items = met.order(spec.policy, ind)
        if items is not None:
            out[ind.key] = target if met.rank(items, target) else items[-1]
        else:
            t = target if isinstance(target, (int, float)) else 0
            out[ind.key] = max(t, floor.get(ind.key, t))
    return out


def plant(spec, city: str, rows: list[int], targets: dict[int, dict], actuals: dict[int, dict]):
    """The planted misses and mistakes of a faulty city: (reasons, locked edits, expected findings)."""
    sheet = spec.sheet(TABLE).name
    cols = columns(spec)
    expect, reasons, locked = [], {}, {}

    def at(row, key, rule):
        expect.append({"sheet": sheet, "cell": f"{get_column_letter(cols[key])}{row}", "rule": rule,
                       "severity": spec.rule(rule).severity})

    def miss(row, ind, by=1):
        t = targets[row][f"{ind}_target"]
        actuals[row][ind] = round(t - by, 2)

    if city == "苏州市":
        r = rows[0]                        # three misses, no reason → one error at 未完成原因
        miss(r, "export_share", 2)
        miss(r, "rd_conversions", 1)
        actuals[r]["digital"] = "否" if targets[r]["digital_target"] == "是" else actuals[r]["digital"]
        at(r, "reason", "track.reason_missing")
        r = rows[1]                        # a miss with its reason: nothing to report
        miss(r, "foreign_certs", 1)
        reasons[r] = "受海外认证机构排期影响，UL认证推迟至下半年。"
        r = rows[2]                        # 专业化 lost (and the target missed, with a reason)
        actuals[r]["main_rev_share"] = 65
        reasons[r] = "新增贸易业务摊薄主营业务收入占比。"
        at(r, "main_rev_share_actual", "track.condition_lost")
    elif city == "无锡市":
        r = rows[0]                        # the name edited in the protected column
        locked[(r, "name")] = targets[r]["name"] + "（新）"
        at(r, "name", "track.locked_changed")
        r = rows[1]                        # one actual left blank
        del actuals[r]["standards"]
        at(r, "standards_actual", "field.required")
        r = rows[2]                        # 研发 lost, missed without a reason
        actuals[r]["rd_share"] = 3.5
        at(r, "rd_share_actual", "track.condition_lost")
        at(r, "reason", "track.reason_missing")
        r = rows[3]                        # 创新 lost (none of the three), with a reason
        actuals[r].update(patents=0, rd_institutions=0, standards=0)
        reasons[r] = "核心研发团队流失，专利到期未续，研发中心撤销。"
        at(r, "patents_actual", "track.condition_lost")
    elif city == "常州市":
        r = rows[0]                        # a target edited
        locked[(r, "growth_target")] = 1
        at(r, "growth_target", "track.locked_changed")
        r = rows[1]                        # a percentage out of range
        actuals[r]["export_share"] = 120
        at(r, "export_share_actual", "field.max")
        r = rows[2]                        # 质量认证 lost, with a reason
        actuals[r]["quality_certs"] = 0
        reasons[r] = "ISO9001证书到期，换证审核中。"
        at(r, "quality_certs_actual", "track.condition_lost")
        r = rows[3]                        # 上市计划 below its target, without a reason
        if met.rank(met.order(spec.policy, next(i for i in spec.indicators if i.key == "ipo_plan")),
                    targets[r]["ipo_plan_target"]) > 1:
            actuals[r]["ipo_plan"] = "无"
        else:
            miss(r, "patents", 1)
        at(r, "reason", "track.reason_missing")
    return reasons, locked, expect


def build_city(spec, tspec, file: str, period: int, outdir: Path) -> dict:
    src = from_submission(SAMPLES / file, spec)
    label = period_label(spec.policy, period)
    suffix = Path(file).suffix
    blank = outdir / f".blank-{Path(file).stem}{suffix}"
    build_tracking(blank, src, period, tspec)
    first = tspec.table(TABLE).header_row + 1
    rows = list(range(first, first + len(src.enterprises)))
    target_key = spec.policy.raw["tracking"]["periods"][str(period)]["target"]
    targets = {r: {"name": e.name, **{f"{i.key}_target": e.values.get(f"{i.key}_{target_key}")
                                      for i in spec.indicators}}
               for r, e in zip(rows, src.enterprises)}
    actuals = {r: meeting_actuals(tspec, targets[r]) for r in rows}
    reasons, locked, expect = plant(tspec, src.cover["city"], rows, targets, actuals)
    out = outdir / output_name(src.cover["city"], label, suffix)
    fill(blank, out, actuals=actuals, reasons=reasons, locked=locked, cover={"填报日期": FILLED_ON})
    blank.unlink()
    return {"file": out.name, "source": file, "city": src.cover["city"], "period": period,
            "enterprises": len(rows), "clean": not expect, "expected_findings": expect}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    outdir = Path(argv[0]) if argv else SAMPLES / "track"
    manifest_path = outdir / "manifest.json" if argv else Path(__file__).resolve().parent / "track_manifest.json"
    outdir.mkdir(parents=True, exist_ok=True)
    spec = get_spec()
    tspec = track_spec_for(spec)
    manifest = {"files": [build_city(spec, tspec, f, p, outdir) for f, p in CITIES]}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for f in manifest["files"]:
        print(f"{f['file']}: {f['enterprises']}家企业，应报问题{len(f['expected_findings'])}个")
    return 0


if __name__ == "__main__":
    sys.exit(main())
