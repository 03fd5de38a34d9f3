"""Read many city workbooks and validate them together, in chunks.

Each chunk of files (about 25) is read (guard, calamine, locating and normalising the
tables) and then validated as one (:func:`xjr_excel.validate.batch.validate_many`: the
schemas and row rules run once over the chunk's stacked tables), all in one worker
process when there are enough files for workers to pay.  Only the CityFiles come back
(records and counts, no frames), so the workers keep every core busy and this process
does not unpickle workbook data.  Memory: each worker holds one chunk of workbook data;
this process, the records kept for the provincial workbook.

A worker that dies (a file that crashes a library) costs one file, not its chunk: the
chunk is read again one file per process, and only the file that kills its process is
set aside; the chunks that were still queued go to a new pool.
"""
from __future__ import annotations

import datetime as dt
import math
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable

from xjr_excel.province import city as C
from xjr_excel.province.model import CityFile
from xjr_excel.spec.definition import get_spec
from xjr_excel.validate import batch

CHUNK_TARGET = 25           # cities validated together: enough to share the fixed cost of a run
CHUNK_MAX = 100             # and the most one process holds in memory at a time
PARALLEL_MIN_FILES = 8      # below this, starting worker processes costs more than it saves


def chunked(files: list, jobs: int) -> list[list]:
    """``files`` in chunks of about CHUNK_TARGET, as many chunks a worker (so none idles at the end)."""
    if not files:
        return []
    rounds = max(1, round(len(files) / (jobs * CHUNK_TARGET)))
    size = min(CHUNK_MAX, math.ceil(len(files) / (jobs * rounds)))
    return [files[i:i + size] for i in range(0, len(files), size)]


def read_and_validate(files: list[Path], *, names_path=None, policy_path=None, jobs: int = 1,
                      advance: Callable[[Path], None] = lambda f: None) -> list[CityFile]:
    """One CityFile per file, in the order of ``files``; never raises for a bad file."""
    names = C.reference_names(names_path)            # the per-process cache
    today = dt.date.today()                 # one date for every file (workers and this process)
    out: list[CityFile] = []
    if jobs <= 1 or len(files) < PARALLEL_MIN_FILES:
        for chunk in chunked(files, 1):
            opened = []
            for f in chunk:
                opened.append(_open(str(f), policy_path, today))
                advance(f)
            out += _validate_chunk(opened, names, today)
        return out
    # Import the reader and validator and build the spec here, once: forked workers inherit them.
    from xjr_excel.read import workbook as _reader  # noqa: F401
    from xjr_excel.validate import run as _run  # noqa: F401
    get_spec(policy_path)
    chunks = chunked(files, jobs)
    submit = lambda pool, chunk: pool.submit(read_chunk, [str(f) for f in chunk], names_path, policy_path, today)  # noqa: E731
    pool = ProcessPoolExecutor(max_workers=jobs)
    try:
        pending = [submit(pool, chunk) for chunk in chunks]
        for i, chunk in enumerate(chunks):
            try:
                done = pending[i].result()
            except Exception as e:  # noqa: BLE001 - a dead worker: find the one file that kills it
                done = [_alone(f, names_path, policy_path, today) for f in chunk]
                if isinstance(e, BrokenProcessPool):     # the chunks still queued died with the pool
                    pool.shutdown(cancel_futures=True)
                    pool = ProcessPoolExecutor(max_workers=jobs)
                    pending[i + 1:] = [submit(pool, c) for c in chunks[i + 1:]]
            for f in chunk:
                advance(f)
            out += done
    finally:
        pool.shutdown(cancel_futures=True)
    return out


def read_chunk(paths: list[str], names_path, policy_path, today: dt.date) -> list[CityFile]:
    """Worker: read the files of one chunk and validate them together."""
    opened = [_open(path, policy_path, today) for path in paths]
    return _validate_chunk(opened, C.reference_names(names_path), today)


def _alone(f: Path, names_path, policy_path, today: dt.date) -> CityFile:
    """One file in a process of its own (after its chunk's worker died)."""
    try:
        with ProcessPoolExecutor(max_workers=1) as pool:
            return pool.submit(read_chunk, [str(f)], names_path, policy_path, today).result()[0]
    except Exception as e:  # noqa: BLE001 - this file kills its process: set aside, the merge goes on
        return CityFile(path=str(f), name=f.name, sha256="", mtime=0.0,
                        reason=f"读取进程异常退出（{type(e).__name__}）。该文件未合并，请单独运行 xjr validate 查看。",
                        kind="internal")


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
