"""Read many city workbooks and validate them together, in chunks.

Reading (guard, calamine, locating and normalising the tables) is done per file, in
worker processes when there are enough files for them to pay; validation runs in
this process over a chunk of cities at once (:func:`xjr_excel.validate.batch.validate_many`)
while the workers read the next chunk.  At most two chunks of workbook data are
held at a time, so memory grows with the records kept for the provincial workbook,
not with the files read.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from xjr_excel.model import WorkbookData
from xjr_excel.province import consolidate as C
from xjr_excel.province.model import CityFile
from xjr_excel.spec.definition import get_spec
from xjr_excel.validate import batch

CHUNK_MAX = 100             # cities validated together at most (and the most held in memory per chunk)
CHUNK_MIN = 20              # fewer, and the fixed cost of a validation run shows again
PARALLEL_MIN_FILES = 8      # below this, starting worker processes costs more than it saves


def read_and_validate(files: list[Path], *, names_path=None, policy_path=None, jobs: int = 1,
                      advance: Callable[[Path], None] = lambda f: None) -> list[CityFile]:
    """One CityFile per file, in the order of ``files``; never raises for a bad file."""
    names = C._names(names_path)            # noqa: SLF001 - the module's own per-process cache
    today = dt.date.today()                 # one date for every file (workers and this process)
    # about four chunks: the workers read the next one while this process validates one
    size = max(CHUNK_MIN, min(CHUNK_MAX, -(-len(files) // 4)))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    out: list[CityFile] = []
    if jobs <= 1 or len(files) < PARALLEL_MIN_FILES:
        for chunk in chunks:
            opened = []
            for f in chunk:
                opened.append(_open(str(f), policy_path, today))
                advance(f)
            out += _validate_chunk(opened, names, today)
        return out
    # Import the reader and build the spec here, once: forked workers inherit them.
    from xjr_excel.read import workbook as _reader  # noqa: F401
    get_spec(policy_path)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending = [_submit(pool, chunks[0], policy_path, today)] if chunks else []
        for k, chunk in enumerate(chunks):
            if k + 1 < len(chunks):          # the workers read ahead while this chunk is validated
                pending.append(_submit(pool, chunks[k + 1], policy_path, today))
            opened = []
            for f, fut in zip(chunk, pending.pop(0)):
                opened.append(_result(f, fut, policy_path))
                advance(f)
            out += _validate_chunk(opened, names, today)
    return out


def _submit(pool, chunk: list[Path], policy_path, today) -> list[Future]:
    return [pool.submit(_open_packed, str(f), policy_path, today) for f in chunk]


Opened = tuple[CityFile, "WorkbookData | None", "list | None"]


def _open(path: str, policy_path, today: dt.date) -> Opened:
    """The file read, its records taken and its per-workbook rules run: (city file, data to validate
    or None, those rules' findings or None when they could not run)."""
    cf, data = C.open_city_file(path, policy_path)
    if data is not None and not C.take_records(cf, data):
        data = None
    found = None
    if data is not None:
        try:
            found = batch.per_book(data, today=today)
        except Exception:  # noqa: BLE001 - the whole validation of this file is redone alone, and reports it
            found = None
    return cf, data, found


def _open_packed(path: str, policy_path, today: dt.date):
    """Worker: :func:`_open`, the data without the spec (the parent has it; less to send back)."""
    cf, data, found = _open(path, policy_path, today)
    return cf, _pack(data, get_spec(policy_path)), found


def _result(f: Path, fut: Future, policy_path) -> Opened:
    try:
        cf, packed, found = fut.result()
    except Exception as e:  # noqa: BLE001 - a crashed worker costs one file, not the merge
        return CityFile(path=str(f), name=f.name, sha256="", mtime=0.0,
                        reason=f"读取进程异常退出（{type(e).__name__}）。该文件未合并，请单独运行 xjr validate 查看。",
                        kind="internal"), None, None
    return cf, _unpack(packed, get_spec(policy_path)), found


def _pack(data: WorkbookData | None, spec):
    """Without the spec when it is ``spec`` (the parent has it); another form's (跟踪表) travels along."""
    if data is None or data.spec is not spec:
        return data
    tables = {k: dataclasses.replace(td, table=None) for k, td in data.tables.items()}
    return dataclasses.replace(data, spec=None, tables=tables)


def _unpack(data: WorkbookData | None, spec) -> WorkbookData | None:
    if data is None or data.spec is not None:
        return data
    data.spec = spec
    for k, td in data.tables.items():
        td.table = spec.table(k)
    return data


def _validate_chunk(opened: list[Opened], names, today: dt.date) -> list[CityFile]:
    from xjr_excel.validate import run
    ready = [(cf, data, found) for cf, data, found in opened if data is not None and found is not None]
    try:
        results = batch.validate_many([data for _, data, _ in ready], names, today=today,
                                      per_book_found=[found for _, _, found in ready])
    except Exception:  # noqa: BLE001 - one odd file must not cost the chunk: validate each alone below
        results = [None] * len(ready)
    alone = {id(cf) for cf, data, found in opened if data is not None and found is None}
    todo = [(cf, data, r) for (cf, data, _), r in zip(ready, results)]
    todo += [(cf, data, None) for cf, data, _ in opened if id(cf) in alone]
    for cf, data, findings in todo:
        if findings is None:
            try:
                findings = run.validate(data, names, today=today)
            except Exception as e:  # noqa: BLE001
                C.internal_error(cf, e)
                continue
        C.count_findings(cf, findings)
    return [cf for cf, _, _ in opened]
