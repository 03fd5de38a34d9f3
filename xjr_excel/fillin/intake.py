"""Returned forms in: every file through the guard, read by its labels and validated, never raising.

A returned file becomes a :class:`Returned` whatever it is: a form read and validated (its
findings at the form's own cells), or the refusal that set it aside (code and Chinese reason).
Many files are read in chunks by worker processes (as ``province/intake.py`` does for cities)
and each chunk is validated as one (:func:`xjr_excel.validate.batch.validate_many`).
"""
from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from xjr_excel import errors
from xjr_excel.model import Finding

# Below this, worker processes cost more than they save (a form reads and validates in ~4 ms).  From here
# on the main process reads a chunk itself while the workers read the others (bench/collect.py, 200 forms
# on 2 cores: read_all 0.75 s instead of 0.95 s); only the workers' forms are pickled back.
PARALLEL_MIN_FILES = 100
CHUNK_MAX = 100              # forms validated together: pandera's fixed cost per run is shared by the chunk


@dataclass
class Returned:
    """One returned file and what became of it."""
    file: str
    name: str
    sha256: str = ""
    mtime: float = 0.0
    kind: str | None = None              # enterprise / platform / track (None: not a form)
    form: object = None                  # fillin.read.FormRead
    findings: list[Finding] = field(default_factory=list)
    code: str = ""                       # refusal code when set aside
    reason: str = ""                     # Chinese: why not merged
    status: str = ""                     # merged / superseded / not_listed / refused
    record: str | None = None            # name key of the 附1/附2/跟踪表 record it belongs to
    record_name: str = ""                # that record's name as the city workbook writes it
    conflicts: list[dict] = field(default_factory=list)
    written: int = 0                     # cells written into the workbook
    carried: bool = False                # from an earlier collect into the same workbook (its record)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    @property
    def when(self) -> str:
        return dt.datetime.fromtimestamp(self.mtime).strftime("%Y-%m-%d %H:%M:%S") if self.mtime else ""


def open_one(path: str, spec) -> Returned:
    """Read one returned file (not yet validated); a refusal is kept in the Returned, never raised."""
    from xjr_excel.fillin.read import read_form
    from xjr_excel.guard.check import sha256_of
    p = Path(path)
    r = Returned(file=str(p), name=p.name)
    try:
        st = p.stat()
        r.mtime = st.st_mtime
        r.sha256 = sha256_of(p)
    except OSError:
        pass
    try:
        fr = read_form(p, spec)
    except errors.UserError as e:
        r.code, r.reason, r.status = e.code, e.message, "refused"
        return r
    except Exception as e:  # noqa: BLE001 - one broken file never stops the batch
        r.code, r.status = errors.InternalError.code, "refused"
        r.reason = f"读取时程序内部出错（{type(e).__name__}：{e}）。该文件未合并，请单独运行 xjr validate 查看。"
        return r
    r.kind, r.form = fr.kind, fr
    return r


def validate_chunk(returned: list[Returned], today: dt.date) -> list[Returned]:
    """Validate the forms of a chunk together (same findings as each alone)."""
    from xjr_excel.validate import batch, run
    ready = [r for r in returned if r.form is not None]
    try:
        found = batch.validate_many([r.form.data for r in ready], today=today)
    except Exception:  # noqa: BLE001 - one odd form must not cost the chunk: each alone below
        found = [None] * len(ready)
    for r, f in zip(ready, found):
        if f is None:
            try:
                f = run.validate(r.form.data, today=today)
            except Exception as e:  # noqa: BLE001
                r.code, r.status = errors.InternalError.code, "refused"
                r.reason = f"校验时程序内部出错（{type(e).__name__}：{e}）。该文件未合并，请单独运行 xjr validate 查看。"
                r.form = None
                continue
        r.findings = list(f)
    return returned


def read_chunk(paths: list[str], policy_path, today: dt.date) -> list[Returned]:
    from xjr_excel.spec.definition import get_spec
    spec = get_spec(policy_path)
    return validate_chunk([open_one(p, spec) for p in paths], today)


def read_all(paths: list[str], *, policy_path=None, jobs: int = 0, today: dt.date | None = None) -> list[Returned]:
    """Every file read and validated, in the order given; chunks in worker processes when many."""
    today = today or dt.date.today()
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))
    if len(paths) < PARALLEL_MIN_FILES:
        jobs = 1
    size = max(1, min(CHUNK_MAX, -(-len(paths) // jobs)))     # as many chunks as workers (at most CHUNK_MAX each)
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    if jobs <= 1:
        return [r for c in chunks for r in read_chunk(c, policy_path, today)]
    # import the reader and validator and build the spec here once: forked workers inherit them
    from xjr_excel.fillin import read as _read  # noqa: F401
    from xjr_excel.spec.definition import get_spec
    from xjr_excel.validate import run as _run  # noqa: F401
    get_spec(policy_path)
    # jobs - 1 worker processes; the main process reads every jobs-th chunk meanwhile (it would only wait)
    got: dict[int, list[Returned]] = {}
    with ProcessPoolExecutor(max_workers=jobs - 1) as pool:
        futures = {i: pool.submit(read_chunk, c, policy_path, today) for i, c in enumerate(chunks) if i % jobs}
        for i in range(0, len(chunks), jobs):
            got[i] = read_chunk(chunks[i], policy_path, today)
        for i, fut in futures.items():
            try:
                got[i] = fut.result()
            except Exception as e:  # noqa: BLE001 - a dead worker: read that chunk here, one by one
                done = []
                for p in chunks[i]:
                    try:
                        done += read_chunk([p], policy_path, today)
                    except Exception:  # noqa: BLE001
                        done.append(Returned(file=p, name=Path(p).name, code=errors.InternalError.code,
                                             status="refused",
                                             reason=f"读取进程异常退出（{type(e).__name__}）。该文件未合并。"))
                got[i] = done
    return [r for i in range(len(chunks)) for r in got[i]]
