"""xjr collect: returned forms back into the city workbook (issue 19).

The round trip on every sample city: its 附3–附5 answers are cleared (the names stay, as a city lists
its enterprises first), forms go out (``fillin.build``), a test types the sample's answers into them
by their printed labels (tests/forms_fill.py, not our layout code), ``collect`` brings them back, and
the compiled workbook holds exactly the sample's values and validates exactly as the sample does.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

import forms_fill as FF
from excel_limits import check_package
from xjr_excel.fillin.build import build_forms
from xjr_excel.fillin.collect import collect
from xjr_excel.read import normalize as N
from xjr_excel.read.workbook import read_workbook
from xjr_excel.spec.definition import get_spec
from xjr_excel.validate.run import validate_file

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CITIES = [f["file"] for f in json.loads((SAMPLES.parent / "samples_src" / "manifest.json").read_text(encoding="utf-8"))["files"]]
A5_LISTS = ("a5_ops", "a5_res", "a5_tot", "a5_srv")


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _load(p: Path):
    return openpyxl.load_workbook(p, keep_vba=p.suffix == ".xlsm")


def answers(city: Path) -> dict:
    """The sample's own cell values, per record: what the test will type into the forms."""
    data = read_workbook(city)
    wb = openpyxl.load_workbook(city)
    out = {"a3": {}, "a4": {}, "a5_basic": {}, **{t: {} for t in A5_LISTS}}
    for tkey in out:
        td = data.tables[tkey]
        if not td.sheet:
            continue
        ws = wb[td.sheet]
        name_key = "unit" if tkey.startswith("a5") else "name"
        for row in td.frame.index:
            name = td.frame.at[row, name_key]
            if not isinstance(name, str):
                continue
            rec = {k: ws.cell(row, c).value for k, c in td.columns.items()}
            if tkey in A5_LISTS:
                out[tkey].setdefault(N.name_key(name), []).append(rec)
            else:
                out[tkey].setdefault(N.name_key(name), rec)      # the first row of a name
    return out


def blank_answers(city: Path, dst: Path) -> Path:
    """The city workbook with the answers of its listed enterprises and platforms cleared (names kept)."""
    data = read_workbook(city)
    listed = {"a1": set(), "a2": set()}
    for k in listed:
        td = data.tables[k]
        listed[k] = {N.name_key(v) for v in td.frame["name"] if isinstance(v, str)}
    wb = _load(city)
    for tkey in ("a3", "a4", "a5_basic", *A5_LISTS):
        td = data.tables[tkey]
        if not td.sheet:
            continue
        ws = wb[td.sheet]
        name_key = "unit" if tkey.startswith("a5") else "name"
        names = listed["a2" if tkey.startswith("a5") else "a1"]
        seen = set()
        for row in td.frame.index:
            name = td.frame.at[row, name_key]
            k = N.name_key(name) if isinstance(name, str) else None
            if k not in names or (tkey not in A5_LISTS and k in seen):
                continue
            seen.add(k)
            for key, c in td.columns.items():
                if key != name_key:
                    ws.cell(row, c).value = None
    wb.save(dst)
    return dst


def fill_forms(forms, spec, ans: dict, out_dir: Path) -> list[Path]:
    """Type each listed record's sample answers into its form; records the sample lacks are not returned."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for form, path in forms:
        k = N.name_key(form.name)
        wb = openpyxl.load_workbook(path)
        if form.kind == "enterprise":
            if k not in ans["a3"] and k not in ans["a4"]:
                continue                   # the sample has no answers for it: a missing return
            FF.fill_enterprise(wb, spec, ans["a3"].get(k, {}), ans["a4"].get(k, {}))
        else:
            if k not in ans["a5_basic"]:
                continue
            FF.fill_platform(wb, spec, ans["a5_basic"][k], {t: ans[t].get(k, []) for t in A5_LISTS})
        dst = out_dir / path.name
        wb.save(dst)
        done.append(dst)
    return done


def _frames(path: Path) -> dict:
    data = read_workbook(path)
    return {t: (data.tables[t].frame.astype(str), data.tables[t].raw) for t in ("a3", "a4", "a5_basic", *A5_LISTS)}


def _findings(path: Path) -> list[tuple]:
    _, found = validate_file(path)
    return sorted((f.sheet, f.cell, f.rule, f.severity) for f in found)


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory):
    """city file → (sample, compiled OUT, payload, returned forms, inputs' hashes before)."""
    spec = get_spec()
    out = {}
    for name in CITIES:
        tmp = tmp_path_factory.mktemp("rt")
        city = SAMPLES / name
        blank = blank_answers(city, tmp / f"待回收{city.suffix}")
        result = build_forms(blank, tmp / "forms")
        assert not result.failed
        returned = fill_forms(result.written, spec, answers(city), tmp / "returned")
        before = {p: _sha(p) for p in [blank, *returned]}
        dst = tmp / f"回收{city.suffix}"
        payload = collect(blank, [tmp / "returned"], dst, jobs=1)
        out[name] = (city, dst, payload, returned, before, blank)
    return out


@pytest.mark.parametrize("name", CITIES)
def test_round_trip_values_equal_what_was_typed(round_trips, name):
    city, dst, payload, returned, _, _ = round_trips[name]
    assert returned, "the sample returns some forms"
    want, got = _frames(city), _frames(dst)
    for t in want:
        assert got[t][0].equals(want[t][0]), f"{name} {t}: values differ"
        assert got[t][1].equals(want[t][1]), f"{name} {t}: text differs"
    s = payload["summary"]
    assert s["merged"] + s["superseded"] == len(returned) and s["skipped"] == 0


@pytest.mark.parametrize("name", CITIES)
def test_round_trip_validates_as_the_sample(round_trips, name):
    city, dst, *_ = round_trips[name]
    assert _findings(dst) == _findings(city)


@pytest.mark.parametrize("name", CITIES)
def test_inputs_untouched_and_out_within_excel_limits(round_trips, name):
    city, dst, payload, returned, before, blank = round_trips[name]
    assert {p: _sha(p) for p in before} == before
    assert check_package(dst) == []
    wb = _load(dst)
    assert "回收情况" in wb.sheetnames and wb.active.title == "回收情况"
    if dst.suffix == ".xlsm":
        with __import__("zipfile").ZipFile(dst) as z:
            assert "xl/vbaProject.bin" in z.namelist()


# ---------------------------------------------------------------- the returned samples (samples/forms/)

FORMS = SAMPLES / "forms"
MANIFEST = json.loads((SAMPLES.parent / "samples_src" / "forms_manifest.json").read_text(encoding="utf-8"))


def _returned_copy(dst: Path, names=None) -> Path:
    """The returned files copied with their file times (git keeps none: the manifest does)."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in MANIFEST["returned"]:
        if names is None or f["file"] in names:
            shutil.copy(FORMS / "交回" / f["file"], dst / f["file"])
            os.utime(dst / f["file"], (f["mtime"], f["mtime"]))
    return dst


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("samples")
    book = tmp / MANIFEST["book"]
    shutil.copy(FORMS / MANIFEST["book"], book)
    back = _returned_copy(tmp / "交回")
    before = {p: _sha(p) for p in [book, *back.iterdir()]}
    out = tmp / "回收.xlsx"
    payload = collect(book, [back], out, jobs=1)
    return book, back, out, payload, before


def _by_name(payload) -> dict:
    return {f["name"]: f for f in payload["files"]}


def test_each_returned_file_ends_as_the_manifest_says(sample_run):
    files = _by_name(sample_run[3])
    for want in MANIFEST["returned"]:
        got = files[want["file"]]
        assert (got["status"], got["code"]) == (want["status"], want["code"]), want["file"]
        assert got["sha256"] == _sha(FORMS / "交回" / want["file"])
        if want["status"] != "merged":
            assert got["reason"]


def test_planted_mistakes_found_at_the_forms_cells_and_listed_in_the_report(sample_run):
    _, _, out, payload, _ = sample_run
    files = _by_name(payload)
    ws = openpyxl.load_workbook(out)["回收情况"]
    report = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    planted = [(f["file"], p) for f in MANIFEST["returned"] for p in f["findings"]]
    assert len(planted) >= 3
    for file, p in planted:
        got = {(x["sheet"], x["cell"], x["rule"]) for x in files[file]["findings"]}
        assert (p["sheet"], p["cell"], p["rule"]) in got, file
        assert any(file in row and p["cell"] in row and p["rule"] in row for row in report), (file, p)


def test_a_missing_return_is_reported_and_is_cross_a1_a3_in_the_compiled_workbook(sample_run):
    _, _, out, payload, _ = sample_run
    missing = MANIFEST["missing"][0]
    rec = next(r for r in payload["records"] if r["name"] == missing)
    assert rec["returned"] is False and rec["status"] == "未交回"
    _, found = validate_file(out)
    assert any(f.rule == "cross.a1_a3" and f.sheet == "附1" and f.value == missing for f in found)


@pytest.mark.slow
def test_reading_in_worker_processes_gives_the_same_report(sample_run, tmp_path, monkeypatch):
    """Many forms are read in chunks, the main process reading some while workers read the others: the
    report (statuses, codes, findings at their cells, conflicts) is the one a single process gives."""
    from xjr_excel.fillin import intake
    book, back, _out, serial, _ = sample_run
    monkeypatch.setattr(intake, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(intake, "CHUNK_MAX", 3)          # several chunks for the main process and the worker
    parallel = collect(book, [back], tmp_path / "并行.xlsx", jobs=2)
    drop = ("output", "collected_at")
    strip = lambda p: {k: v for k, v in p.items() if k not in drop}  # noqa: E731
    assert strip(parallel) == strip(serial)
    assert [f["name"] for f in parallel["files"]] == [f["name"] for f in serial["files"]]


def test_a_conflict_keeps_the_citys_value_unless_forms_are_preferred(sample_run, tmp_path):
    book, back, out, payload, _ = sample_run
    c = MANIFEST["conflicts"][0]
    got = [x for x in payload["conflicts"] if x["record"] == c["record"]]
    assert len(got) == 1 and got[0]["city"] == c["city"] and got[0]["kept"] == "city"
    a3 = read_workbook(out).tables["a3"]
    row = a3.frame.index[a3.frame["name"] == c["record"]][0]
    assert a3.frame.at[row, "legal_rep"] == c["city"]
    preferred = collect(book, [back], tmp_path / "以填报表为准.xlsx", prefer_forms=True, jobs=1)
    a3 = read_workbook(tmp_path / "以填报表为准.xlsx").tables["a3"]
    assert a3.frame.at[row, "legal_rep"] == got[0]["form"]
    assert preferred["conflicts"][0]["kept"] == "form"


def test_inputs_byte_identical_after_collect(sample_run):
    *_, before = sample_run
    assert {p: _sha(p) for p in before} == before


def test_collecting_again_with_more_forms_is_collecting_all_at_once(sample_run, tmp_path):
    book, _, out_all, payload_all, _ = sample_run
    names = sorted(f["file"] for f in MANIFEST["returned"])
    first, later = set(names[::2]), set(names[1::2])       # each half holds one of the duplicate pair
    b = tmp_path / book.name
    shutil.copy(book, b)
    one = collect(b, [_returned_copy(tmp_path / "first", first)], tmp_path / "一.xlsx", jobs=1)
    two = collect(tmp_path / "一.xlsx", [_returned_copy(tmp_path / "later", later)], tmp_path / "二.xlsx", jobs=1)
    assert one["summary"] != two["summary"]
    # the same records with the same values (rows written by the second run come after the first's)
    want, got = _frames(out_all), _frames(tmp_path / "二.xlsx")
    for t in want:
        order = lambda f: f.sort_values(list(f.columns)).reset_index(drop=True)  # noqa: E731
        assert order(got[t][0]).equals(order(want[t][0])), t
    keep = ("name", "returned", "errors", "warnings", "conflicts", "status")
    assert [{k: r[k] for k in keep} | {"file": Path(r["file"]).name if r["file"] else None} for r in two["records"]] == \
        [{k: r[k] for k in keep} | {"file": Path(r["file"]).name if r["file"] else None} for r in payload_all["records"]]
    status = lambda p: sorted((f["name"], f["status"], f["code"], f["errors"], f["warnings"]) for f in p["files"])  # noqa: E731
    assert status(two) == status(payload_all)
    assert two["summary"] == payload_all["summary"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_form_saved_by_libreoffice_collects_the_same(sample_run, tmp_path, fmt):
    from office import convert
    book, back, out_all, payload_all, _ = sample_run
    merged = [f["file"] for f in MANIFEST["returned"] if f["status"] == "merged"]
    saved = tmp_path / "saved"
    saved.mkdir()
    for name in merged:
        got = convert(back / name, tmp_path / "conv", fmt=fmt)
        os.utime(got, (os.stat(back / name).st_mtime,) * 2)
        shutil.move(got, saved / got.name)
    payload = collect(book, [saved], tmp_path / "回收.xlsx", jobs=1)
    assert payload["summary"]["merged"] == payload_all["summary"]["merged"]
    assert {f["status"] for f in payload["files"]} == {"merged"}
    want, got = _frames(out_all), _frames(tmp_path / "回收.xlsx")
    for t in want:
        assert got[t][0].equals(want[t][0]), t
    findings = lambda p: sorted((Path(f["name"]).stem, x["sheet"], x["cell"], x["rule"]) for f in p["files"]  # noqa: E731
                                for x in f["findings"] if f["status"] == "merged")
    assert findings(payload) == findings(payload_all)


@pytest.mark.engine
def test_ribbon_collect_button_writes_a_copy_and_reports(tmp_path, monkeypatch):
    """回收填报表 through xlwings' remote engine: the open (saved) city workbook is not changed, the copy
    with 回收情况 is written beside it, and the message says what came back."""
    import ribbon_engine as E
    from xjr_excel import ribbon
    shutil.copy(FORMS / MANIFEST["book"], tmp_path / MANIFEST["book"])
    back = _returned_copy(tmp_path / "交回")
    monkeypatch.chdir(tmp_path)                  # the remote engine knows the book by its name only
    book_before = _sha(tmp_path / MANIFEST["book"])
    model = E.from_file(tmp_path / MANIFEST["book"])
    book = E.open_book(model)
    payload = ribbon.collect(book, paths=[str(p) for p in sorted(back.iterdir())])
    after = E.apply(model, book.json()["actions"])
    assert payload is not None, after.alerts
    out = Path(payload["output"])
    assert out.exists() and out.parent.resolve() == tmp_path.resolve() and "回收" in out.name
    text = after.alerts[-1][0]
    assert f"已交回{payload['summary']['returned']}个" in text and "本工作簿未被改动" in text and "扫描件.xlsx" in text
    assert _sha(tmp_path / MANIFEST["book"]) == book_before
    book = E.open_book(E.from_file(tmp_path / MANIFEST["book"]))
    assert ribbon.collect(book) is None


# ---------------------------------------------------------------- xjr validate FORM

def _planted(kind_note: str) -> dict:
    return next(f for f in MANIFEST["returned"] if f["findings"] and kind_note in f["note"])


def test_validate_recognises_a_returned_form_and_reports_at_its_cells(capsys):
    from xjr_excel.cli.main import main
    for f in [x for x in MANIFEST["returned"] if x["findings"]]:
        code = main(["validate", str(FORMS / "交回" / f["file"]), "--json"])
        got = json.loads(capsys.readouterr().out)
        assert code == (1 if any(p["rule"] != "a2.doc_no_brackets" for p in f["findings"]) else 0)
        cells = {(x["sheet"], x["cell"], x["rule"]) for x in got["findings"]}
        for p in f["findings"]:
            assert (p["sheet"], p["cell"], p["rule"]) in cells, f["file"]


def test_validate_reads_a_form_pasted_into_a_new_workbook_by_its_labels(capsys):
    from xjr_excel.cli.main import main
    pasted = next(f for f in MANIFEST["returned"] if "另存" in f["file"])
    assert main(["validate", str(FORMS / "交回" / pasted["file"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_validate_annotate_and_clear_work_on_a_form(tmp_path, capsys):
    from xjr_excel.cli.main import main
    f = _planted("统一社会信用代码")
    src = tmp_path / f["file"]
    shutil.copy(FORMS / "交回" / f["file"], src)
    before = _sha(src)
    marked, cleared = tmp_path / "marked.xlsx", tmp_path / "cleared.xlsx"
    assert main(["validate", str(src), "--annotate", str(marked)]) == 1
    p = f["findings"][0]
    wb = openpyxl.load_workbook(marked)
    assert "校验结果" in wb.sheetnames
    note = wb[p["sheet"]][p["cell"]].comment
    assert note is not None and "【错误】" in note.text and p["rule"] not in note.text    # rule ids live in 校验结果
    assert any(p["cell"] in [str(v) for v in row] and p["rule"] in [str(v) for v in row]
               for row in wb["校验结果"].iter_rows(values_only=True))
    assert main(["clear", str(marked), "-o", str(cleared)]) == 0
    wb = openpyxl.load_workbook(cleared)
    assert "校验结果" not in wb.sheetnames and wb[p["sheet"]][p["cell"]].comment is None
    assert _sha(src) == before
    capsys.readouterr()


# ---------------------------------------------------------------- tracking: 目标完成情况

TRACK = SAMPLES / "track" / "南京市-目标完成情况跟踪表-满一年.xlsx"


def test_tracking_forms_fill_the_tracking_workbooks_actuals(tmp_path):
    """The tracking workbook's 实际值 and 未完成原因 cleared, forms out, the sample's actuals typed by their
    labels, collected: the workbook's values and findings are the sample's; a changed locked 初始值 on a
    form is reported at the form's cell."""
    from xjr_excel.track.spec import get_track_spec
    tspec = get_track_spec()
    data = read_workbook(TRACK)
    td = data.tables["track"]
    wb = openpyxl.load_workbook(TRACK)
    ws = wb[td.sheet]
    typed = {}
    for row in td.frame.index:
        name = td.frame.at[row, "name"]
        typed[name] = {"actual": {}, "reason": ws.cell(row, td.columns["reason"]).value}
        for key, c in td.columns.items():
            f = tspec.table("track").field(key)
            if f.period == "actual":
                typed[name]["actual"][f.indicator] = ws.cell(row, c).value
            if f.period == "actual" or key == "reason":
                ws.cell(row, c).value = None
    blank = tmp_path / "跟踪表-待回收.xlsx"
    wb.save(blank)
    result = build_forms(blank, tmp_path / "forms")
    back = tmp_path / "交回"
    back.mkdir()
    reason_label = FF.field_label(tspec.table("track").field("reason"))
    for form, path in result.written:
        wb = openpyxl.load_workbook(path)
        t = typed[form.name]
        FF.fill_track(wb, wb.sheetnames[0], t["actual"], t["reason"], tspec.indicators, reason_label)
        wb.save(back / path.name)
    changed = sorted(back.iterdir())[0]
    wb = openpyxl.load_workbook(changed)
    sheet = FF.Sheet(wb[wb.sheetnames[0]])
    locked = sheet.ws.cell(sheet.label(tspec.indicators[4].header).row, sheet.label("初始值").column)
    locked.value = 999
    wb.save(changed)
    before = {p: _sha(p) for p in [blank, *back.iterdir()]}
    out = tmp_path / "跟踪表-回收.xlsx"
    payload = collect(blank, [back], out, jobs=1)
    assert payload["form"] == "track" and payload["summary"]["merged"] == len(result.written)
    want, got = read_workbook(TRACK).tables["track"], read_workbook(out).tables["track"]
    assert got.frame.astype(str).equals(want.frame.astype(str))
    f = next(x for x in payload["files"] if x["name"] == changed.name)
    assert (sheet.ws.title, locked.coordinate, "track.locked_changed") in {(x["sheet"], x["cell"], x["rule"])
                                                                          for x in f["findings"]}
    assert _findings(out) == _findings(TRACK)
    assert {p: _sha(p) for p in before} == before


@pytest.mark.slow
def test_damaged_encrypted_and_foreign_files_are_skipped_with_their_codes(corpus, tmp_path):
    """Each hostile or foreign file costs itself only: set aside with the guard's code, the rest merged."""
    kinds = {"encrypted": "XJR-E-ENCRYPTED", "truncated": "XJR-E-DAMAGED", "zip_bomb": "XJR-E-ZIP-BOMB",
             "pdf": "XJR-E-NOT-WORKBOOK", "wrong_template": "XJR-E-FORM-UNKNOWN", "city": "XJR-E-FORM-UNKNOWN"}
    back = _returned_copy(tmp_path / "交回", {f["file"] for f in MANIFEST["returned"] if f["status"] == "merged"})
    for kind in kinds:
        src = corpus(kind)
        shutil.copy(src, back / f"{kind}{src.suffix}")
    book = tmp_path / MANIFEST["book"]
    shutil.copy(FORMS / MANIFEST["book"], book)
    payload = collect(book, [back], tmp_path / "回收.xlsx", jobs=1)
    files = {Path(f["name"]).stem: f for f in payload["files"]}
    for kind, code in kinds.items():
        assert (files[kind]["status"], files[kind]["code"]) == ("refused", code), kind
        assert files[kind]["reason"]
    merged = [f for f in MANIFEST["returned"] if f["status"] == "merged"]
    assert payload["summary"]["merged"] == len(merged)
