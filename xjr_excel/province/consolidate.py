"""``xjr consolidate``: merge the cities' workbooks into the provincial workbook (省汇总).

Steps: find the input files (files or folders) → read and validate each one in a
worker process (a broken file never stops the merge) → keep the newest file of
each city → count, order, find duplicates → write the provincial workbook
atomically → return the ``--json`` payload.

Exit codes of the command: 0 every city 合格 and nothing skipped; 1 some city
has errors, or some file was skipped (unreadable, lock file, not a workbook,
older copy of a city); 2 no city workbook could be read at all.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections import Counter
from pathlib import Path

from xjr_excel import errors, forms
from xjr_excel.guard.check import SPREADSHEET_SUFFIXES, sha256_of
from xjr_excel.atomic import atomic_path, check_output, is_temporary, written_for
from xjr_excel.province.model import (MACRO_NOTE, STATUS_ERRORS, STATUS_OK, STATUS_UNREADABLE, CityFile, MergeRun,
                                      city_from_filename)
from xjr_excel.province.stats import (IndustryIndex, CityStats, city_stats, find_duplicates, list_mismatches,
                                      ordered_keys, province_total)
from xjr_excel.spec.definition import get_spec
from xjr_excel.province.city import reference_names

LOCK_REASON = ("Excel打开工作簿时生成的临时锁定文件（以“~$”开头），不是工作簿，已忽略。"
               "无需处理；如对应的工作簿还开着，请在Excel中保存并关闭后再合并，以免合并到未保存的旧内容。")
PROGRESS_MIN_FILES = 20


def collate(city: str) -> tuple:
    """The fixed order of cities in every list: by the name's code points (same on every machine)."""
    return (city,)


# ----------------------------------------------------------------------------- finding the files

# Files no city sends as its submission: scripts, data and notes lying in an inbox.  They are listed as
# ignored and do not make the merge exit 1 (a .pdf or .docx may be a city's mistake, so those still count).
PLAINLY_NOT_WORKBOOKS = {".py", ".pyc", ".json", ".txt", ".md", ".toml", ".yaml", ".yml", ".ini", ".cfg",
                         ".log", ".sh", ".bat", ".ps1", ".db", ".ds_store"}


def is_ignored(skip: dict) -> bool:
    """A skipped entry that is only listed (plainly not a workbook), not a reason to exit 1."""
    return skip.get("code") == errors.Ignored.code


def discover(inputs, output=None) -> tuple[list[Path], list[dict]]:
    """Workbook candidates (sorted, unique) and the files skipped without reading them.

    A folder contributes the files directly inside it.  Given files are always
    tried (the reader sniffs what they really are); inside folders only Excel
    extensions are, the rest is listed as not a workbook.  The output file is
    never an input: named as an input, or found in a folder (unless it is our own
    previous provincial workbook there, which is replaced), it is refused.
    Each skipped entry carries the ``code`` of its refusal class.
    """
    out = Path(output).resolve() if output else None
    seen: set[Path] = set()
    files: list[Path] = []
    skipped: list[dict] = []

    def consider(p: Path, explicit: bool):
        rp = p.resolve()
        if out is not None and rp == out:
            if explicit or written_for(p) != "province":
                raise errors.OutputIsInput(
                    f"输出文件与{'' if explicit else '输入文件夹中的一个'}输入文件相同"
                    f"{'' if explicit else '（它不是本工具生成的全省汇总表）'}。"
                    f"为避免覆盖城市报送的原始数据，请换一个输出文件名（如放在收件文件夹之外）。", file=str(p))
            return                   # our own previous output lying in the inbox folder: replaced, not read
        if rp in seen:
            return
        seen.add(rp)
        if p.name.startswith("~$"):
            skipped.append({"file": str(p), "reason": LOCK_REASON, "code": errors.LockFile.code})
        elif is_temporary(p) or (p.name.startswith(".") and p.name.endswith(".tmp")):
            return                   # our own atomic-write temporaries
        elif p.name.endswith("-问题清单.xlsx") and written_for(p) == "issues":
            return                   # a 问题清单 we wrote (--issues-dir into the inbox): no city workbook
        elif (p.suffix or p.name).lower() in PLAINLY_NOT_WORKBOOKS or p.name.lower() in ("thumbs.db", "desktop.ini"):
            skipped.append({"file": str(p), "reason": errors.Ignored(suffix=p.suffix or p.name).message,
                            "code": errors.Ignored.code})
        elif not explicit and p.suffix.lower() not in SPREADSHEET_SUFFIXES:   # .xlsb, .et: the door words them
            skipped.append({"file": str(p), "reason": f"不是Excel工作簿（扩展名为“{p.suffix or '无'}”），已跳过。"
                                                      "如这是城市报送的申报文件，请让该市用模板另存为 .xlsx 后重新报送；"
                                                      "否则无需处理（也可移出该文件夹）。",
                            "code": errors.NotWorkbook.code})
        else:
            files.append(p)

    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for child in sorted(p.iterdir(), key=lambda c: c.name):
                if child.is_file():
                    consider(child, explicit=False)
        elif p.exists():
            consider(p, explicit=True)
        else:
            skipped.append({"file": str(p), "reason": "找不到该文件或文件夹。请检查路径和文件名（可直接给出文件夹，"
                                                      "合并其中所有工作簿）后重新运行。", "code": errors.MissingFile.code})
    return files, skipped


# ----------------------------------------------------------------------------- all files

def read_all(files: list[Path], *, names_path=None, policy_path=None, jobs: int = 0, progress: bool | None = None
             ) -> list[CityFile]:
    """Read every file (in parallel processes) and validate them together; results in the order of ``files``."""
    jobs = jobs or os.cpu_count() or 1
    jobs = max(1, min(jobs, len(files) or 1))
    show = progress if progress is not None else (sys.stderr.isatty() or len(files) >= PROGRESS_MIN_FILES)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from xjr_excel.province.intake import read_and_validate
    with Progress(TextColumn("读取并校验"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=Console(stderr=True), transient=True,
                  disable=not show) as bar:
        task = bar.add_task("", total=len(files))
        return read_and_validate(files, names_path=names_path, policy_path=policy_path, jobs=jobs,
                                 advance=lambda f: bar.update(task, advance=1, description=f.name))


def choose_per_city(read: list[CityFile]) -> tuple[list[CityFile], list[tuple[CityFile, CityFile]]]:
    """The newest readable file of each city (填报日期, then modification time, then name),
    and the (older, newer) pairs that were set aside."""
    groups: dict[str, list[CityFile]] = {}
    for cf in read:
        if cf.readable:
            groups.setdefault(cf.city, []).append(cf)
    chosen, superseded = [], []
    for city in sorted(groups, key=collate):
        files = sorted(groups[city], key=lambda c: (c.filled_on or dt.date.min, c.mtime, c.name, c.sha256))
        newest = files[-1]
        chosen.append(newest)
        superseded += [(old, newest) for old in files[:-1]]
    return chosen, superseded


def superseded_reason(old: CityFile, new: CityFile) -> str:
    if (old.filled_on or dt.date.min) != (new.filled_on or dt.date.min):
        why = f"填报日期{new.filled_on}较新" if new.filled_on else "填报日期较新"
    elif old.mtime != new.mtime:
        why = "填报日期相同，文件修改时间较新"
    else:
        why = "填报日期和修改时间相同，按文件名取后者"
    return (f"同一城市“{new.city}”收到多个文件，已采用“{new.name}”（{why}）；本文件未合并。"
            f"如应以本文件为准，请核对两份文件封面的填报日期，或把“{new.name}”移出后重新合并。")


def _consensus(values: dict[str, int | None], what: str, fmt: str) -> tuple[int | None, str | None]:
    """The value most cities gave (ties: the smaller), and a notice when cities disagree."""
    counts = Counter(v for v in values.values() if v is not None)
    if not counts:
        return None, None
    best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    if len(counts) == 1:
        return best, None
    detail = "、".join(f"{c}{fmt.format(v)}" for c, v in sorted(values.items(), key=lambda kv: collate(kv[0]))
                      if v is not None)
    return best, f"各市封面的{what}不一致（{detail}），标题按多数城市的{fmt.format(best)}；请与相关城市核实。"


# ----------------------------------------------------------------------------- the command

def consolidate(inputs, output, *, province: str, names_path=None, strict: bool = False, jobs: int = 0,
                policy_path=None, progress: bool | None = None, run_time: dt.datetime | None = None,
                timings: dict | None = None, force: bool = False, department: str = "",
                issues_dir=None) -> dict:
    """Merge the city workbooks in ``inputs`` into ``output``; return the ``--json`` payload.

    ``department`` (省级中小企业主管部门) goes on every list; ``issues_dir``, when given, receives one
    问题清单 workbook per city with errors (their paths are in the payload's ``issues``).

    ``run_time`` (default now) is written to 合并记录 only; ``timings``, when given, receives the
    seconds spent reading + validating and writing (for the benchmark).
    """
    t0 = time.perf_counter()
    spec = get_spec(policy_path)
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    if Path(output).suffix.lower() != ".xlsx":
        raise errors.BadOutputName(f"全省汇总文件应以.xlsx结尾（当前为“{Path(output).name}”），请修改输出文件名。")
    if names_path:
        reference_names(names_path)      # a bad reference list stops here, once, not in every city; workers inherit it
    files, skipped = discover(inputs, output)
    check_output(output, files, purpose="province", force=force)     # before the reading, not after it
    read = read_all(files, names_path=names_path, policy_path=policy_path, jobs=jobs, progress=progress)
    form = forms.merged_form([cf.form for cf in read if cf.readable])     # 跟踪表 in: the provincial 完成情况
    set_aside(read, form)              # a file of another form is not merged into this form's lists
    run = MergeRun(read=read, files=files, skipped=skipped, output=output, province=province,
                   spec=form.spec_for(spec), strict=strict, force=force, run_time=run_time, timings=timings, started=t0,
                   department=department, issues_dir=issues_dir)
    return form.merge(run)


def set_aside(read: list[CityFile], kept) -> None:
    """Files of a form other than ``kept`` (a :class:`~xjr_excel.forms.Form`) are not merged: they
    become unreadable, with the reason why."""
    for cf in read:
        if cf.readable and cf.form != kept.name:
            cf.status, cf.kind = STATUS_UNREADABLE, "other_form"
            cf.reason = forms.lookup(cf.form).reason_aside(kept)


def merge_submission(run: MergeRun) -> dict:
    """The submission form's merge: the provincial lists, totals and merge record; the ``--json`` payload."""
    read, files, skipped, output, spec = run.read, run.files, run.skipped, run.output, run.spec
    strict, province, force, run_time, timings, t0 = (run.strict, run.province, run.force, run.run_time,
                                                      run.timings, run.started)
    t1 = time.perf_counter()
    chosen, superseded = choose_per_city(read)
    included = [cf for cf in chosen if not strict or cf.status == STATUS_OK]
    inc_ids = {id(cf) for cf in included}

    for cf in read:
        if not cf.readable:
            skipped.append({"file": cf.path, "reason": cf.reason, "code": refusal_code(cf.kind)})
    for old, new in superseded:
        skipped.append({"file": old.path, "reason": superseded_reason(old, new), "code": errors.Superseded.code})

    industries = IndustryIndex(spec)
    stats: list[CityStats] = [city_stats(cf, spec, industries, included=id(cf) in inc_ids) for cf in chosen]
    # A broken file whose name says which city it is, with no readable file of that city: the official must ask again.
    known = {cf.city for cf in chosen}
    for cf in read:
        guess = city_from_filename(Path(cf.name).stem)
        if not cf.readable and guess and guess not in known:
            known.add(guess)
            stats.append(CityStats(guess, cf.name, STATUS_UNREADABLE, False))
    stats.sort(key=lambda s: collate(s.city))
    total = province_total(stats, spec)
    duplicates = find_duplicates(chosen, collate)
    mismatches = [m for cf in included for m in list_mismatches(cf)]
    fb_keys = ordered_keys([s.four_base for s in stats], spec.policy.choices["four_base_category"], always=True)
    size_keys = ordered_keys([s.size for s in stats], spec.policy.choices["enterprise_size"], always=True)

    batch, batch_note = _consensus({cf.city: cf.batch for cf in included}, "批次", "第{}批")
    year, year_note = _consensus({cf.city: cf.year for cf in included}, "申报年度", "{}年")
    notices = [n for n in (batch_note, year_note) if n]
    strict_note = None
    if strict:
        left_out = [cf.city for cf in chosen if id(cf) not in inc_ids]
        if left_out:
            strict_note = f"按 --strict，有错误的城市未纳入名单：{'、'.join(left_out)}。"
            notices.append(strict_note)

    rows = record_rows(read, skipped, chosen, included, superseded, strict)
    notices += [f"{cf.name}：{MACRO_NOTE}" for cf in read if cf.has_macros]
    from xjr_excel.province import summary
    text = summary.paragraph(province=province, batch=batch, stats=stats, total=total, cities=chosen,
                             four_base_keys=fb_keys, size_keys=size_keys, mismatches=mismatches,
                             duplicates=duplicates, strict=strict)
    payload = {
        "cities": [{"city": s.city, "file": s.file, "status": s.status, "enterprises": s.enterprises,
                    "platforms": s.platforms, "star": s.star, "errors": s.errors, "warnings": s.warnings}
                   for s in stats],
        "province": _province_json(spec, province, batch, year, total, stats, included, read, notices, strict),
        "duplicates": duplicates,
        "mismatches": mismatches,
        "skipped": skipped,
        "issues": [],
    }
    payload["province"].update(summary=text, department=run.department)
    if not chosen:
        payload["province"]["output"] = None
        return payload

    from xjr_excel.province.book import BookInput, write_book
    now = (run_time or dt.datetime.now()).replace(microsecond=0)
    book = BookInput(spec=spec, province=province, batch=batch, year=year, cities=included, stats=stats, total=total,
                     duplicates=duplicates, files=rows,
                     notices=[n for n in notices if n != strict_note],     # 统计 says it in its own words
                     run_time=now.strftime("%Y-%m-%d %H:%M:%S"), collate=collate, reported=chosen,
                     mismatches=mismatches, summary=text, four_base_keys=fb_keys, size_keys=size_keys, strict=strict,
                     department=run.department)
    all_inputs = tuple(files) + tuple(Path(s["file"]) for s in skipped)
    from xjr_excel.province import issues
    issues_dir = run.issues_dir
    lists = [(cf, issues.city_path(issues_dir, cf.city)) for cf in chosen if cf.errors] if issues_dir else []
    for _, path in lists:            # every output refused before any is written
        check_output(path, all_inputs + (Path(output),), purpose="issues", force=force)
    with atomic_path(output, inputs=all_inputs, purpose="province", force=force) as tmp:
        write_book(tmp, book)
    payload["province"]["output"] = str(output)
    if lists:
        Path(issues_dir).mkdir(parents=True, exist_ok=True)
    for cf, path in lists:
        with atomic_path(path, inputs=all_inputs + (Path(output),), purpose="issues", force=force) as tmp:
            issues.write_city(tmp, cf, province)
        payload["issues"].append({"city": cf.city, "file": cf.name, "path": str(path), "errors": cf.errors,
                                  "warnings": cf.warnings})
    if timings is not None:
        timings.update(read_validate=t1 - t0, merge_write=time.perf_counter() - t1)
    return payload


def refusal_code(kind: str | None) -> str:
    """The refusal code of a file set aside for ``kind``."""
    return errors.REFUSALS.get(kind or "", errors.InputRejected).code


def record_rows(read, skipped, chosen, included, superseded, strict) -> list[dict]:
    """One 合并记录 row per input file (read or not), in a fixed order."""
    older = {id(old) for old, _ in superseded}
    inc_ids, chosen_ids = {id(cf) for cf in included}, {id(cf) for cf in chosen}
    by_path = {cf.path: cf for cf in read}
    rows = []
    for cf in read:
        if id(cf) in inc_ids:
            action = "已合并"
        elif id(cf) in chosen_ids:
            action = "未纳入名单（--strict：有错误）" if strict else "已合并"
        elif id(cf) in older:
            action = "未合并（同城市有较新文件）"
        else:
            action = "未合并（无法读取）"
        reason = next((s["reason"] for s in skipped if s["file"] == cf.path), "")
        if cf.has_macros:
            reason = f"{reason} {MACRO_NOTE}".strip()
        rows.append({"file": cf.name, "sha256": cf.sha256, "city": cf.city or city_from_filename(Path(cf.name).stem),
                     "city_from": cf.city_from, "filled_on": cf.filled_on, "batch": cf.batch, "year": cf.year,
                     "rows": cf.rows_read if cf.readable else 0, "status": cf.status, "errors": cf.errors,
                     "warnings": cf.warnings, "action": action, "reason": reason})
    for s in skipped:
        if s["file"] in by_path:
            continue
        p = Path(s["file"])
        sha = sha256_of(p) if p.is_file() else ""
        rows.append({"file": p.name, "sha256": sha, "city": "", "city_from": "", "filled_on": None, "batch": None,
                     "year": None, "rows": 0, "status": STATUS_UNREADABLE, "errors": 0, "warnings": 0,
                     "action": "已跳过", "reason": s["reason"]})
    rows.sort(key=lambda r: (0 if r["city"] else 1, collate(r["city"]), r["file"], r["sha256"]))
    return rows


def _province_json(spec, province, batch, year, total: CityStats, stats, included, read, notices, strict) -> dict:
    periods = dict(spec.periods)
    ind_by_key = {i.key: i for i in spec.indicators}
    a4 = spec.table("a4")
    sums, means = {}, {}
    for f in a4.fields:
        if f.key in total.int_sums:
            sums.setdefault(f.indicator, {"indicator": ind_by_key[f.indicator].short})[f.period] = total.int_sums[f.key]
        if f.key in total.pct_sums:
            means.setdefault(f.indicator, {"indicator": ind_by_key[f.indicator].short})[f.period] = total.pct_mean(f.key)
    return {
        "province": province, "batch": batch, "year": year, "strict": strict,
        "files": len(read), "cities": len(included),
        "cities_ok": sum(1 for s in stats if s.status == STATUS_OK),
        "cities_with_errors": sum(1 for s in stats if s.status == STATUS_ERRORS),
        "cities_unreadable": sum(1 for s in stats if s.status == STATUS_UNREADABLE),
        "enterprises": total.enterprises, "platforms": total.platforms, "star": total.star,
        "a3_enterprises": total.detailed,
        "errors": total.errors, "warnings": total.warnings,
        "by_four_base": dict(total.four_base), "by_size": dict(total.size),
        "by_section": dict(total.section), "by_division": dict(total.division),
        "indicator_sums": sums, "percent_means": means,
        "periods": periods, "notices": notices,
    }


def exit_code(payload: dict) -> int:
    cities = payload["cities"]
    if not any(c["status"] != STATUS_UNREADABLE for c in cities):
        return errors.EXIT_UNREADABLE
    if any(not is_ignored(s) for s in payload["skipped"]) or any(c["status"] != STATUS_OK for c in cities):
        return errors.EXIT_FINDINGS
    return errors.EXIT_OK
