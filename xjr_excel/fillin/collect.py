"""``xjr collect``: returned forms into a copy of the city workbook (or the tracking workbook).

Every returned file goes through the guard, is read by its labels and validated with the city
workbook's rules (:mod:`xjr_excel.fillin.intake`); then, per enterprise of 附1 / platform of 附2
(tracking: per enterprise of the 目标完成情况 sheet):

* a form of another city, batch or year, a damaged, encrypted or foreign file: skipped with its
  refusal code, as ``xjr consolidate`` does;
* a form for a name not on the list: not merged, reported;
* several forms for one record: the latest (file time) wins, the others are superseded;
* the winner's answers are written (:mod:`xjr_excel.fillin.merge`), conflicts reported; a form with
  errors is still merged (the city decides), its errors listed.

OUT is written atomically, the inputs are never modified, and OUT remembers what was collected
(:mod:`xjr_excel.fillin.ledger`): collecting into OUT again with more forms gives what collecting
all at once gives.  The report: :mod:`xjr_excel.fillin.report` (回收情况 sheet, ``--json``).
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from xjr_excel import errors
from xjr_excel.fillin import layout as L
from xjr_excel.fillin import ledger
from xjr_excel.fillin.intake import Returned, read_all
from xjr_excel.fillin.merge import LISTS, Writer, compare_key
from xjr_excel.model import Unparsed
from xjr_excel.read import normalize as N
from xjr_excel.spec.definition import get_spec

PURPOSE = "collect"
BOOK_SUFFIXES = (".xlsx", ".xlsm")


def list_records(book, kind: str) -> list[dict]:
    """The records forms are collected for: 附1's enterprises, 附2's platforms or the tracking rows."""
    td = book.tables.get(LISTS[kind])
    if td is None or not td.sheet or "name" not in td.frame.columns:
        return []
    out, seen = [], set()
    codes = {}
    if kind == L.ENTERPRISE and book.tables.get("a3") is not None and book.tables["a3"].sheet:
        a3 = book.tables["a3"].frame
        for n, c in zip(a3.get("name", []), a3.get("credit_code", [])):
            if isinstance(n, str) and isinstance(c, str):
                codes[N.name_key(n)] = c
    for row, name in td.frame["name"].items():
        if not isinstance(name, str) or not name.strip():
            continue
        key = N.name_key(name)
        if key in seen:
            continue
        seen.add(key)
        code = codes.get(key)
        if kind == L.TRACK and "credit_code" in td.frame.columns:
            code = td.frame.at[row, "credit_code"] if isinstance(td.frame.at[row, "credit_code"], str) else None
        out.append({"kind": kind, "list": _list_label(book, kind), "key": key, "name": name.strip(),
                    "code": code, "row": int(row)})
    return out


def _list_label(book, kind: str) -> str:
    if kind == L.TRACK:
        return "目标完成情况"
    return book.spec.sheet(LISTS[kind]).label


def _describe(params: dict) -> str:
    city, batch, year = params.get("city"), params.get("batch"), params.get("year")
    text = f"{city or '××市'}第{batch if batch is not None else '×'}批"
    if year is not None:
        text += f"（{year}年度）"
    if params.get("period"):
        text += f"·{params['period']}"
    return f"“{text}”"


def _other_book(form, book) -> str | None:
    """Why a form belongs to another city, batch, year (or 实施期): None when it fits (or cannot tell)."""
    ours = {k: book.cover.get(k) for k in ("city", "batch", "year", "period")}
    theirs = dict(form.params)
    bad = []
    for k in ("city", "batch", "year", "period"):
        a, b = theirs.get(k), ours.get(k)
        if a is None or b is None or isinstance(a, Unparsed) or isinstance(b, Unparsed):
            continue
        if (N.name_key(str(a)) if isinstance(a, str) else a) != (N.name_key(str(b)) if isinstance(b, str) else b):
            bad.append(k)
    if not bad:
        return None
    return errors.FormOtherBook(theirs=_describe(theirs), ours=_describe(ours)).message


def match(r: Returned, book, records: dict) -> None:
    """Which record the form is for (``r.record``), or why it is not merged (``r.status``)."""
    form = r.form
    mode = book.spec.form
    if (mode == "track") != (r.kind == L.TRACK):
        which = {L.ENTERPRISE: "企业填报表（附3+附4）", L.PLATFORM: "平台填报表（附5）",
                 L.TRACK: "目标完成情况填报表"}[r.kind]
        into = "目标完成情况跟踪表" if mode == "track" else "城市申报工作簿"
        r.code, r.status = errors.OtherForm.code, "refused"
        r.reason = (f"这是{which}，不能回收到{into}中，未合并。企业和平台填报表请回收到城市申报工作簿，"
                    f"目标完成情况填报表请回收到跟踪表。")
        return
    other = _other_book(form, book)
    if other:
        r.code, r.status, r.reason = errors.FormOtherBook.code, "refused", other
        return
    marker = form.marker or {}
    sent = marker.get("name")
    typed = form.identity.get("name")
    if sent and typed and N.name_key(str(sent)) != N.name_key(str(typed)):
        e = errors.FormIdentity(sent=sent, typed=typed)
        r.code, r.status, r.reason = e.code, "refused", e.message + "请让该单位在发给它的填报表中重新填写后交回。"
        return
    name = sent or typed
    code = marker.get("credit_code") or form.identity.get("credit_code")
    recs = records.get(r.kind, {})
    key = N.name_key(str(name)) if name else None
    if key not in recs and code:
        want = N.code_key(str(code))
        key = next((k for k, rec in recs.items() if rec["code"] and N.code_key(rec["code"]) == want), key)
    if key not in recs:
        sheet = {L.ENTERPRISE: "附1", L.PLATFORM: "附2", L.TRACK: "跟踪表"}[r.kind]
        e = errors.FormNotListed(name=name or "（未填名称）", sheet=sheet)
        r.code, r.status, r.reason = e.code, "not_listed", e.message + "请核对名称，或先将其列入名单后再回收。"
        r.record_name = str(name or "")
        return
    r.record, r.record_name = key, recs[key]["name"]


def _order(r: Returned):
    return (r.mtime or 0.0, r.name, r.sha256)


def collect(book_path, inputs, output, *, prefer_forms: bool = False, jobs: int = 0, policy_path=None,
            force: bool = False, run_time: dt.datetime | None = None) -> dict:
    """Collect the returned forms in ``inputs`` into a copy of ``book_path`` written to ``output``;
    return the ``--json`` payload."""
    from xjr_excel.atomic import check_output
    from xjr_excel.fillin import report
    from xjr_excel.province.consolidate import discover
    from xjr_excel.read.workbook import read_workbook
    spec = get_spec(policy_path)
    book_path, output = Path(book_path), Path(output)
    if book_path.suffix.lower() not in BOOK_SUFFIXES:
        raise errors.BadOutputName(
            f"回收只能写入 .xlsx / .xlsm 工作簿，“{book_path.name}”不是。请先在Excel或WPS中把它另存为 .xlsx，再回收。")
    if output.suffix.lower() != book_path.suffix.lower():
        raise errors.BadOutputName(f"输出文件应与城市工作簿同为{book_path.suffix}（当前为“{output.name}”），请修改输出文件名。")
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    for p in inputs:
        if Path(p).exists() and Path(p).resolve() in (output.resolve(), book_path.resolve()) and not Path(p).is_dir():
            raise errors.OutputIsInput(f"“{Path(p).name}”既是城市工作簿或输出文件，又被当作交回的填报表。请只列出交回的填报表。",
                                       file=str(p))
    check_output(output, (book_path, *inputs), purpose=PURPOSE, force=force)
    files, skipped = discover(inputs)
    skip_paths = {book_path.resolve(), output.resolve()}
    files = [f for f in files if f.resolve() not in skip_paths]
    book = read_workbook(book_path, spec=spec)
    mode = book.spec.form
    kinds = (L.TRACK,) if mode == "track" else (L.ENTERPRISE, L.PLATFORM)
    records = {k: {rec["key"]: rec for rec in list_records(book, k)} for k in kinds}

    # what earlier collects into this workbook did
    import openpyxl  # noqa: F401 - loaded below through the annotate backend's loader
    from xjr_excel.annotate.backends.openpyxl_book import load_for_edit, save_edited
    wb = load_for_edit(book_path)
    earlier, earlier_written = ledger.read(_grid(wb, ledger.SHEET))

    returned = read_all([str(f) for f in files], policy_path=policy_path, jobs=jobs)
    for s in skipped:                               # lock files, non-workbooks found in folders
        returned.append(Returned(file=s["file"], name=Path(s["file"]).name, code=s.get("code", ""),
                                 reason=s["reason"], status="refused"))
    for r in returned:
        if r.form is not None:
            match(r, book, records)
            if r.kind == L.TRACK and r.record:
                _recheck_locked(r, book, records[L.TRACK][r.record])

    # the same file handed in again replaces its earlier entry
    new_shas = {r.sha256 for r in returned if r.sha256}
    carried = [e for e in earlier if not (e.sha256 and e.sha256 in new_shas)]

    # per record: the latest form wins
    by_record: dict = {}
    for r in carried + returned:
        if r.record and (r.form is not None or (r.carried and r.status in ("merged", "superseded"))):
            by_record.setdefault((r.kind, r.record), []).append(r)
    winners = {}
    for key, group in by_record.items():
        group.sort(key=_order)
        win = group[-1]
        winners[key] = win
        for older in group[:-1]:
            e = errors.FormSuperseded(name=win.record_name, newer=win.name)
            older.status, older.code = "superseded", e.code
            older.reason = e.message + ("（两份文件内容相同）" if older.sha256 and older.sha256 == win.sha256 else "")
            older.conflicts = []
            older.written = 0

    # write the winners (new forms; a carried winner's answers are in the workbook already)
    now = _current_keys(book, {s for s, _ in earlier_written}) if earlier_written else {}
    earlier_still = {k: v for k, v in earlier_written.items() if now.get(k) == v}
    writer = Writer(wb, book, prefer_forms=prefer_forms, earlier=earlier_still)
    for (kind, key), win in sorted(winners.items(), key=lambda kv: _record_order(records, kv[0])):
        if win.carried:
            win.status = "merged"
            continue
        rec = records[kind][key]
        win.written, win.conflicts = writer.merge(kind, win.form, key, rec["name"], rec.get("code"), win.name)
        win.status, win.code, win.reason = "merged", "", ""
    writer.extend_tables()
    all_written = {**earlier_still, **writer.written}

    everything = carried + returned
    payload = report.payload(book_path, output, book, records, everything, prefer_forms=prefer_forms,
                             run_time=run_time or dt.datetime.now())
    report.write_sheet(wb, payload)
    ledger.write(wb, [r for r in everything], all_written)
    save_edited(wb, book_path, output, PURPOSE, force)
    payload["output"] = str(output)
    return payload


def _recheck_locked(r: Returned, book, rec: dict) -> None:
    """A tracking form is checked again against the tracking workbook's approved 初始值/目标值, so a
    locked cell the enterprise changed is reported at the form's own cell."""
    from xjr_excel.fillin.read import own_record
    from xjr_excel.validate.run import validate
    td = book.tables["track"]
    values = {k: td.frame.at[rec["row"], k] for k in td.frame.columns}
    form = r.form.data
    form.record = own_record(form.tables["track"], form.cover.get("period"), values)
    try:
        r.findings = validate(form)
    except Exception:  # noqa: BLE001 - the form's own findings stand
        pass


def _grid(wb, name: str) -> list[list] | None:
    if name not in wb.sheetnames:
        return None
    return [list(r) for r in wb[name].iter_rows(values_only=True)]


def _current_keys(book, sheets: set) -> dict:
    """(sheet, A1) → compare key of every value the workbook's tables hold now on ``sheets``."""
    from xjr_excel.ooxml.cells import address
    out = {}
    for td in book.tables.values():
        if td.sheet not in sheets or td.frame.empty:
            continue
        rows = [int(r) for r in td.frame.index]
        for key, col in td.columns.items():
            for r, v in zip(rows, td.frame[key].tolist()):
                out[(td.sheet, address(r, col))] = compare_key(v)
    return out


def _record_order(records: dict, key: tuple) -> tuple:
    kind, name = key
    rec = records.get(kind, {}).get(name)
    return (list(records).index(kind) if kind in records else 9, rec["row"] if rec else 0)


def exit_code(payload: dict) -> int:
    """1 when a merged form has errors or a file was set aside; 0 otherwise."""
    s = payload["summary"]
    return errors.EXIT_FINDINGS if (s["errors"] or s["skipped"]) else errors.EXIT_OK
