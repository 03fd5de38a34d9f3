"""Validating many workbooks as one (validate.batch) finds exactly what validating each alone finds.

Differential: every breaking and keeping case of tests/test_rules.py, cities with random
mistakes, the sample files and bench-generated cities, stacked together in one call.
"""
from __future__ import annotations

import copy
import random
import sys
from pathlib import Path

import pytest

from conftest_validate import SPEC, build_grids, cell_of, records
from test_rules import CASES, TODAY

from xjr_excel.read.workbook import read_grids, read_workbook
from xjr_excel.validate.batch import per_book, validate_many
from xjr_excel.validate.run import validate

ROOT = Path(__file__).resolve().parents[1]


def _data(grids, file, **kw):
    return read_grids(grids, file=file, **kw)


def assert_same(books, names=None):
    together = validate_many(books, names, today=TODAY)
    # as consolidate does it: the per-workbook rules already run (in the worker that read the file)
    ahead = validate_many(books, names, today=TODAY, per_book_found=[per_book(d, today=TODAY) for d in books])
    assert len(together) == len(ahead) == len(books)
    for data, got, got_ahead in zip(books, together, ahead):
        alone = validate(data, names, today=TODAY)
        assert got == alone, data.file
        assert got_ahead == alone, data.file
    return together


def rule_cases(with_names: bool):
    out = []
    for rule, case in CASES.items():
        for kind, make in (("break", case[0]), ("keep", case[2])):
            got = make()
            grids, kw = got if isinstance(got, tuple) else (got, {})
            kw = dict(kw)
            if ("names" in kw) != with_names:
                continue
            kw.pop("names", None)
            out.append(_data(grids, f"{rule}-{kind}.xlsx", **kw))
    return out


@pytest.mark.slow      # every rule case twice over: slow
def test_every_rule_case_stacked_matches_alone():
    books = rule_cases(with_names=False)
    found = assert_same(books)
    # the stack really held the breaking cases: each finds its own rule
    for data, got in zip(books, found):
        rule = data.file.rsplit("-", 1)[0]
        if data.file.endswith("-break.xlsx") and rule != "names.not_published":
            assert rule in {f.rule for f in got}, data.file


def test_reference_names_stacked_match_alone():
    names = CASES["names.not_published"][0]()[1]["names"]
    books = rule_cases(with_names=True) + [_data(build_grids(), "clean.xlsx")]
    found = assert_same(books, names)
    assert "names.not_published" in {f.rule for f in found[0]}


def test_duplicates_count_within_a_city_not_across_cities():
    a = _data(build_grids(), "南京市.xlsx")
    b = _data(build_grids(city="苏州市"), "苏州市.xlsx")          # the same enterprises, another city
    recs = records()
    recs["a3"][2]["credit_code"] = recs["a3"][0]["credit_code"]
    c = _data(build_grids(recs, city="无锡市"), "无锡市.xlsx")
    fa, fb, fc = assert_same([a, b, c])
    assert fa == fb == []
    dup = [f for f in fc if f.rule == "field.unique"]
    assert [(f.file, f.sheet, f.cell) for f in dup] == [("无锡市.xlsx", "附3", cell_of("a3", 2, "credit_code"))]
    assert cell_of("a3", 0, "credit_code") in dup[0].message     # the first holder, in the same city


def test_batches_differ_per_city():
    """成长性 (a4.growth) depends on each cover's batch: cities of different batches, one call."""
    recs = records()
    recs["a4"][0]["growth_i0"], recs["a4"][0]["ipo_plan_i0"] = 0, "无"
    books = [_data(build_grids(copy.deepcopy(recs), batch=b), f"第{b}批.xlsx") for b in (1, 3, 6, 1, 6)]
    found = assert_same(books)
    assert ["a4.growth" in {f.rule for f in got} for got in found] == [False, True, True, False, True]


JUNK = ["", None, "abc", -5, 10 ** 9, "#DIV/0!", "  ", "第九批", "张\u200b三", "2030-01-01", 0.5, "无",
        "是", "否", "□是 □否", "工信部企业函[2020]1号", "0", 1, 2, 2024, "中型", "#N/A"]


def mutated_city(rnd: random.Random, i: int) -> dict:
    recs = records()
    for _ in range(rnd.randint(0, 6)):
        table = rnd.choice([t for t in recs if recs[t]])
        row = rnd.randrange(len(recs[table]))
        key = rnd.choice([f.key for f in SPEC.table(table).fields])
        if rnd.random() < 0.2 and len(recs[table]) > 1:            # a value copied from another row
            recs[table][row][key] = recs[table][(row + 1) % len(recs[table])].get(key)
        elif rnd.random() < 0.1:                                     # a row dropped
            del recs[table][row]
        else:
            recs[table][row][key] = rnd.choice(JUNK)
    if rnd.random() < 0.2:                                           # a whole table empty
        recs[rnd.choice(list(recs))] = []
    grids = build_grids(recs, city=f"测试{i}市", batch=rnd.choice([1, 3, 6]), year=rnd.choice([2026, 2026, 2025]))
    if rnd.random() < 0.15:                                          # a sheet missing
        grids.pop(rnd.choice([n for n in grids if n.startswith("附")]))
    if rnd.random() < 0.15:                                          # a column header blanked
        t = rnd.choice([t for t in SPEC.tables if t.key != "plan"])
        sheet = grids.get(SPEC.sheet(t.sheet).name)
        if sheet is not None:
            sheet[t.header_row - 1][t.first_col - 1 + rnd.randrange(len(t.fields))] = ""
    return grids


@pytest.mark.parametrize("seed", [1, 2])
def test_cities_with_random_mistakes(seed):
    rnd = random.Random(seed)
    books = [_data(mutated_city(rnd, i), f"测试{i}市.xlsx") for i in range(20)]
    found = assert_same(books)
    assert sum(map(len, found)) > 20          # the mistakes were found, not lost in the stack


@pytest.mark.slow      # generates city workbooks: slow
def test_samples_and_generated_city_files(tmp_path, monkeypatch):
    # bench/ on the path only for this import: bench/click.py would shadow the click package afterwards
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from consolidate import make_city_files
    files = (sorted((ROOT / "samples").glob("*.xls*")) + sorted((ROOT / "samples" / "track").glob("*.xls*"))
             + make_city_files(tmp_path / "cities", 4, 12, jobs=1))
    books = [read_workbook(f) for f in files]
    found = assert_same(books)
    assert all(got and got[0].file == str(f) for f, got in zip(files, found) if got)
    assert any(found) and {"submission", "track"} <= {b.spec.form for b in books}


def test_empty_list():
    assert validate_many([]) == []


@pytest.mark.slow      # worker processes: slow
def test_consolidate_intake_workers_match_one_file_at_a_time(tmp_path):
    """read_and_validate in worker processes (each chunk read and validated in one worker) == serially ==
    read_city_file on each file alone, for every field of every city file (records, counts, reasons)."""
    import shutil

    from xjr_excel.province import intake
    from xjr_excel.province.city import read_city_file
    files = []
    samples = sorted((ROOT / "samples").glob("*.xls*")) + sorted((ROOT / "samples" / "track").glob("*.xls*"))
    for i, f in enumerate(samples * 2):
        files.append(tmp_path / f"{i:02d}{f.name}")
        shutil.copy(f, files[-1])
    (tmp_path / "99坏文件.xlsx").write_bytes(b"not a workbook")
    files.append(tmp_path / "99坏文件.xlsx")
    assert len(files) >= intake.PARALLEL_MIN_FILES
    alone = [read_city_file(str(f)) for f in files]
    assert intake.read_and_validate(files, jobs=2) == alone
    assert intake.read_and_validate(files, jobs=1) == alone
    assert alone[-1].reason and sum(cf.errors for cf in alone) > 0


@pytest.mark.slow      # worker processes: slow
def test_a_worker_that_dies_costs_one_file_not_its_chunk(tmp_path, monkeypatch):
    """A file that kills its worker (a library crash) is set aside with the reason; every other file
    of its chunk is read again and merged as if nothing had happened."""
    import os
    import shutil

    from xjr_excel.province import intake
    from xjr_excel.province.city import read_city_file
    files = []
    for i, f in enumerate(sorted((ROOT / "samples").glob("*.xlsx")) * 3):
        files.append(tmp_path / f"{i:02d}{f.name}")
        shutil.copy(f, files[-1])
    assert len(files) >= intake.PARALLEL_MIN_FILES
    killer = files[len(files) // 2]
    real_open = intake._open

    def open_or_die(path, *args):
        if Path(path) == killer:
            os._exit(3)         # what a segfault in a reader library looks like to the pool
        return real_open(path, *args)
    monkeypatch.setattr(intake, "_open", open_or_die)      # forked workers inherit it
    monkeypatch.setattr(intake, "CHUNK_TARGET", 2)          # many chunks: most are queued when it dies
    alone = []
    real_alone = intake._alone
    monkeypatch.setattr(intake, "_alone", lambda f, *a: alone.append(f) or real_alone(f, *a))
    chunks = intake.chunked(files, 2)
    assert len(chunks) >= 4
    got = intake.read_and_validate(files, jobs=2)
    assert [cf.path for cf in got] == [str(f) for f in files]
    # only the chunks in the workers when it died are read again file by file; the queued ones go to a new pool
    assert killer in alone and len(alone) <= 2 * len(chunks[0]), (len(alone), len(files))
    for f, cf in zip(files, got):
        if f == killer:
            assert cf.kind == "internal" and "读取进程异常退出" in cf.reason and not cf.readable
        else:
            assert cf == read_city_file(str(f)), f.name
