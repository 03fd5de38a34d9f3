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

from xjr_excel import errors
from xjr_excel.guard.check import sha256_of
from xjr_excel.atomic import atomic_path, check_output, is_temporary, written_for
from xjr_excel.session import FileCache
from xjr_excel.province.model import (AS_IS, MACRO_NOTE, STATUS_ERRORS, STATUS_OK, STATUS_UNREADABLE, CityFile, Rows, city_from_filename,
                             norm_city, plain)
from xjr_excel.province.stats import IndustryIndex, CityStats, city_stats, find_duplicates, province_total
from xjr_excel.spec.definition import Spec, attachment_tables, get_spec

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xltx", ".xltm", ".ods"}
LOCK_REASON = ("Excel打开工作簿时生成的临时锁定文件（以“~$”开头），不是工作簿，已忽略。"
               "无需处理；如对应的工作簿还开着，请在Excel中保存并关闭后再合并，以免合并到未保存的旧内容。")
PROGRESS_MIN_FILES = 20
PROVINCE_SHEETS = ("统计", "合并记录")      # only our provincial workbook has both


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
        elif (p.suffix or p.name).lower() in PLAINLY_NOT_WORKBOOKS or p.name.lower() in ("thumbs.db", "desktop.ini"):
            skipped.append({"file": str(p), "reason": errors.Ignored(suffix=p.suffix or p.name).message,
                            "code": errors.Ignored.code})
        elif not explicit and p.suffix.lower() not in WORKBOOK_SUFFIXES:
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


# ----------------------------------------------------------------------------- one file (worker process)

def _load_names(path: str):
    from xjr_excel.read.names import load
    return load(path)


_NAMES = FileCache(_load_names)


def _names(names_path):
    """The MIIT reference list, loaded once per process (again when the file changes)."""
    if not names_path:
        return None
    return _NAMES.get(names_path)


def read_city_file(path: str, names_path: str | None = None, policy_path: str | None = None) -> CityFile:
    """Read and validate one city workbook; never raises (the reason is kept instead)."""
    cf, data = open_city_file(path, policy_path)
    if data is None:
        return cf
    try:
        from xjr_excel.validate import run as validate
        findings = list(validate.validate(data, names=_names(names_path)))
    except Exception as e:  # noqa: BLE001 - one broken file must not stop the merge
        return internal_error(cf, e)
    return finish_city_file(cf, data, findings)


def open_city_file(path: str, policy_path: str | None = None):
    """``(CityFile, WorkbookData)`` of one city workbook, read but not validated; the data is None
    when the file cannot be read (the CityFile says why). Never raises."""
    p = Path(path)
    try:
        st = p.stat()
        cf = CityFile(path=str(p), name=p.name, sha256=sha256_of(p), mtime=st.st_mtime)
    except OSError as e:
        return CityFile(path=str(p), name=p.name, sha256="", mtime=0.0,
                        reason=f"无法读取该文件（{e.strerror}）。请检查文件权限后重试。", kind="unreadable"), None
    spec = get_spec(policy_path)
    try:
        from xjr_excel.read import workbook as reader
        return cf, reader.read_workbook(p, spec=spec)
    except errors.UserError as e:
        cf.reason, cf.kind = e.message, e.kind
    except Exception as e:  # noqa: BLE001 - one broken file must not stop the merge
        internal_error(cf, e)
    return cf, None


def internal_error(cf: CityFile, e: Exception) -> CityFile:
    cf.reason = (f"读取或校验时程序内部出错（{type(e).__name__}：{e}）。该文件未合并；"
                 f"请单独运行 xjr validate 查看，或将文件发给技术支持。")
    cf.kind = "internal"
    return cf


def finish_city_file(cf: CityFile, data, findings) -> CityFile:
    """The CityFile of a workbook read and validated: counts, records, cover (or why it is skipped)."""
    if take_records(cf, data):
        count_findings(cf, findings)
    return cf


def take_records(cf: CityFile, data) -> bool:
    """The records and the cover into ``cf`` (no findings needed: a worker does it while reading).
    False when the file is no city workbook (the province's own output): nothing taken."""
    if set(PROVINCE_SHEETS) <= set(data.sheet_names):
        cf.reason = ("这是全省汇总工作簿（xjr consolidate 的输出），不是城市工作簿，已跳过。"
                     "请不要把汇总文件与城市文件放在同一文件夹中合并。")
        cf.kind = "province_output"
        return False
    _fill_from_data(cf, data, data.spec)     # the form the reader recognised (申报 or 跟踪表)
    return True


def count_findings(cf: CityFile, findings) -> None:
    """Counts of the findings (validate() includes the reader's) and the status they give."""
    cf.errors = sum(1 for f in findings if f.severity == "error")
    cf.warnings = sum(1 for f in findings if f.severity == "warning")
    cf.findings_by_rule = dict(sorted(Counter(f.rule for f in findings).items()))
    if not cf.reason:          # a file refused while its records were taken stays refused
        cf.status = STATUS_ERRORS if cf.errors else STATUS_OK


def _fill_from_data(cf: CityFile, data, spec: Spec) -> None:
    """The records, the cover."""
    cf.has_macros = bool(data.has_macros)

    found_any = False
    cf.form = spec.form
    for t in (attachment_tables(spec) if spec.form == "submission" else spec.tables):
        td = data.tables.get(t.key)
        if td is None or td.sheet is None:
            continue
        found_any = True
        cols = [f.key for f in t.fields if f.key in td.frame.columns]
        content = [i for i, k in enumerate(cols) if k != "seq"]
        rows, values = [], []
        if cols and len(td.frame):
            matrix = td.frame[cols].to_numpy(dtype=object)
            for r, vals in zip(td.frame.index, matrix):
                vals = tuple(v if type(v) in AS_IS else plain(v) for v in vals)
                if any(vals[i] is not None and vals[i] != "" for i in content):
                    rows.append(int(r))
                    values.append(vals)
        cf.tables[t.key] = Rows(sheet=td.sheet, columns=cols, rows=rows, values=values)
    if not found_any:
        from xjr_excel.guard.check import reject_not_template
        e = reject_not_template(spec, cf.path, data.sheet_names)
        cf.status, cf.reason, cf.kind, cf.tables = STATUS_UNREADABLE, e.message, e.kind, {}
        return

    cover = data.cover or {}
    city = norm_city(plain(cover.get("city")))
    if city and "×" not in city:
        cf.city, cf.city_from = city, "封面"
    else:
        cf.city = city_from_filename(Path(cf.name).stem) or Path(cf.name).stem
        cf.city_from = "文件名"
    cf.batch = _int_or_none(cover.get("batch"))
    cf.year = _int_or_none(cover.get("year"))
    filled = plain(cover.get("filled_on"))
    cf.filled_on = filled.date() if isinstance(filled, dt.datetime) else filled if isinstance(filled, dt.date) else None
    cf.department = str(plain(cover.get("department")) or "")
    cf.period = str(plain(cover.get("period")) or "")


def _int_or_none(v):
    v = plain(v)
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None


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


def _superseded_reason(old: CityFile, new: CityFile) -> str:
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
                timings: dict | None = None, force: bool = False) -> dict:
    """Merge the city workbooks in ``inputs`` into ``output``; return the ``--json`` payload.

    ``run_time`` (default now) is written to 合并记录 only; ``timings``, when given, receives the
    seconds spent reading + validating and writing (for the benchmark).
    """
    t0 = time.perf_counter()
    spec = get_spec(policy_path)
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    if Path(output).suffix.lower() != ".xlsx":
        raise errors.BadOutputName(f"全省汇总文件应以.xlsx结尾（当前为“{Path(output).name}”），请修改输出文件名。")
    if names_path:
        _names(names_path)      # a bad reference list stops here, once, not in every city; workers inherit it
    files, skipped = discover(inputs, output)
    check_output(output, files, purpose="province", force=force)     # before the reading, not after it
    read = read_all(files, names_path=names_path, policy_path=policy_path, jobs=jobs, progress=progress)
    from xjr_excel.track import province as track_province
    if track_province.tracking_run(read):      # 跟踪表 in: the provincial 完成情况 instead
        return track_province.consolidate(read, files, skipped, output, province=province, spec=spec, force=force)
    track_province.set_aside(read)             # a 跟踪表 among submissions is not merged into the lists
    t1 = time.perf_counter()
    chosen, superseded = choose_per_city(read)
    included = [cf for cf in chosen if not strict or cf.status == STATUS_OK]
    inc_ids = {id(cf) for cf in included}

    for cf in read:
        if not cf.readable:
            skipped.append({"file": cf.path, "reason": cf.reason, "code": _code(cf.kind)})
    for old, new in superseded:
        skipped.append({"file": old.path, "reason": _superseded_reason(old, new), "code": errors.Superseded.code})

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

    batch, batch_note = _consensus({cf.city: cf.batch for cf in included}, "批次", "第{}批")
    year, year_note = _consensus({cf.city: cf.year for cf in included}, "申报年度", "{}年")
    notices = [n for n in (batch_note, year_note) if n]
    if strict:
        left_out = [cf.city for cf in chosen if id(cf) not in inc_ids]
        if left_out:
            notices.append(f"按 --strict，有错误的城市未纳入名单：{'、'.join(left_out)}。")

    record_rows = _record_rows(read, skipped, chosen, included, superseded, strict)
    notices += [f"{cf.name}：{MACRO_NOTE}" for cf in read if cf.has_macros]
    payload = {
        "cities": [{"city": s.city, "file": s.file, "status": s.status, "enterprises": s.enterprises,
                    "platforms": s.platforms, "star": s.star, "errors": s.errors, "warnings": s.warnings}
                   for s in stats],
        "province": _province_json(spec, province, batch, year, total, stats, included, read, notices, strict),
        "duplicates": duplicates,
        "skipped": skipped,
    }
    if not chosen:
        payload["province"]["output"] = None
        return payload

    from xjr_excel.province.book import BookInput, write_book
    now = (run_time or dt.datetime.now()).replace(microsecond=0)
    book = BookInput(spec=spec, province=province, batch=batch, year=year, cities=included, stats=stats, total=total,
                     duplicates=duplicates, files=record_rows, notices=notices,
                     run_time=now.strftime("%Y-%m-%d %H:%M:%S"), collate=collate)
    all_inputs = tuple(files) + tuple(Path(s["file"]) for s in skipped)
    with atomic_path(output, inputs=all_inputs, purpose="province", force=force) as tmp:
        write_book(tmp, book)
    payload["province"]["output"] = str(output)
    if timings is not None:
        timings.update(read_validate=t1 - t0, merge_write=time.perf_counter() - t1)
    return payload


def _code(kind: str | None) -> str:
    """The refusal code of a file set aside for ``kind``."""
    return errors.REFUSALS.get(kind or "", errors.InputRejected).code


def _record_rows(read, skipped, chosen, included, superseded, strict) -> list[dict]:
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
