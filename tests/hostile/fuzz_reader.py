"""Fuzzing the door and the reader together.

Mutates numeric and cell-reference attributes in the XML parts of a filled city workbook
and runs guard.check_file → reader.read_workbook → validate in a forked child under a
2 GiB address-space limit.  What must never happen: a child killed by a signal
(python-calamine aborts the whole process on a failed allocation), a hang, or a
MemoryError.  Exceptions other than UserError are listed (the CLI turns them into one
sentence and a log, but a damaged file deserves a proper message).

    python tests/hostile/fuzz_reader.py SEED COUNT      # by hand, many cases
    (tests/hostile/test_hostile.py runs a small fixed sample)
"""
from __future__ import annotations

import multiprocessing as mp
import os
import random
import re
import resource
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus as mc  # noqa: E402

BIG = [b"4000000000", b"2147483647", b"1048576", b"16384", b"99999999999999999999", b"0", b"-1"]
REFS = [b"XFD1048576", b"A1048576", b"XFD1", b"ZZZZ1", b"A0"]
ATTR = re.compile(rb'="([^"]*)"')
# child exit codes
OK, REFUSED, READ_REFUSED, MEMORY, OTHER = 0, 10, 11, 12, 13


def mutate(base: Path, out: Path, rng: random.Random) -> str:
    """Write a mutated copy of ``base`` to ``out``; returns the part changed."""
    with zipfile.ZipFile(base) as z:
        name = rng.choice([n for n in z.namelist() if n.endswith((".xml", ".rels"))])
        data = z.read(name)
    for _ in range(rng.randint(1, 3)):
        attrs = list(ATTR.finditer(data))
        if not attrs:
            break
        m = rng.choice(attrs)
        v = m.group(1)
        if re.fullmatch(rb"\d+", v):
            new = rng.choice(BIG)
        elif re.fullmatch(rb"[A-Z]+\d+(:[A-Z]+\d+)?", v):
            new = rng.choice(REFS)
        else:
            new = rng.choice(BIG + REFS + [b"", b"xxxxx"])
        data = data[:m.start(1)] + new + data[m.end(1):]
    mc.rewrite_zip(base, out, {name: data})
    return name


def _child(path: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from xjr_excel.validate import run as validate
    from xjr_excel.read import workbook as reader
    from xjr_excel.guard import check as guard
    from xjr_excel.errors import UserError
    try:
        guard.check_file(path)
    except UserError:
        os._exit(REFUSED)
    try:
        validate.validate(reader.read_workbook(path))
    except UserError:
        os._exit(READ_REFUSED)
    except MemoryError:
        os._exit(MEMORY)
    except Exception as e:  # noqa: BLE001
        print(f"{Path(path).name}: {type(e).__name__}: {str(e)[:120]}", flush=True)
        os._exit(OTHER)
    os._exit(OK)


def run(seed: int, count: int, work: Path | None = None, timeout: float = 60) -> dict:
    """{"stats": {exit code: n}, "bad": [(case, part, outcome)]} where bad = signal, hang or MemoryError."""
    from xjr_excel.validate import run as validate
    from xjr_excel.read import workbook as reader
    work = Path(work or tempfile.mkdtemp(prefix="xjr-fuzz-"))
    base = mc.make_city(work)
    validate.validate(reader.read_workbook(base))   # warm the caches (schemas, spec) before forking
    rng = random.Random(seed)
    ctx = mp.get_context("fork")
    stats: dict = {}
    bad = []
    for i in range(count):
        case = work / f"case{i}.xlsx"
        part = mutate(base, case, rng)
        proc = ctx.Process(target=_child, args=(str(case),))
        proc.start()
        proc.join(timeout)
        if proc.is_alive():
            proc.kill()
            proc.join()
            outcome = "hang"
        else:
            outcome = proc.exitcode
        stats[outcome] = stats.get(outcome, 0) + 1
        if outcome == "hang" or outcome == MEMORY or (isinstance(outcome, int) and outcome < 0):
            bad.append((case.name, part, outcome))
        else:
            case.unlink()
    return {"stats": stats, "bad": bad}


if __name__ == "__main__":
    result = run(int(sys.argv[1]) if len(sys.argv) > 1 else 1, int(sys.argv[2]) if len(sys.argv) > 2 else 100)
    print(result)
    sys.exit(1 if result["bad"] else 0)
