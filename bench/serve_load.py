"""Load test of `xjr serve`: one server on the loopback, many requests at once, every answer checked.

    python bench/serve_load.py [--validations 50] [--merges 5] [--enterprises 5000] [--repeat 3]

1. ``--validations`` concurrent ``POST /api/validate`` of the five samples (round robin) and
   ``--merges`` concurrent ``POST /api/consolidate`` of all five, started together.  Every answer
   must equal the in-process payload of the same pipeline (``validate_json`` / ``consolidate``);
   a 503 (all workers busy, queue full) is retried after its Retry-After, at most
   ``MAX_TRIES`` times — an answer still missing then is counted as lost.  Printed: answers correct,
   lost, 503s, p50/p95 latency (from the first try to the answer), and the server's peak memory
   (its process plus its workers, sampled every 0.1 s from /proc).
2. The warm ``/api/validate`` of a ``--enterprises`` workbook (built as bench/validate.py builds
   it) against ``xjr validate FILE --json`` as a fresh process, best of ``--repeat`` each, same
   run: the ratio, and the two answers compared.

Loopback only; every loop is bounded.  Linux (/proc) for the memory figures.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SAMPLES = ROOT / "samples"
MAX_TRIES = 30


def samples() -> list[Path]:
    m = json.loads((SAMPLES.parent / "samples_src" / "manifest.json").read_text(encoding="utf-8"))
    return [SAMPLES / f["file"] for f in m["files"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
        self.log = open(tmp / "server.log", "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "xjr_excel.cli.main", "serve", "--port", str(self.port), "--work-dir",
             str(tmp / "work"), "--accounts", str(tmp / "none.json")], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                if requests.get(self.url + "/api/health", timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def pids(self) -> list[int]:
        out = [self.proc.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    out.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                pass
        return out

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemoryWatch(threading.Thread):
    """The server's total RSS (process + workers), sampled every 0.1 s; its peak."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server, self.peak, self.done = server, 0, threading.Event()

    def run(self):
        while not self.done.wait(0.1):
            self.peak = max(self.peak, sum(rss_kib(p) for p in self.server.pids()))


def post(url: str, files, data=None) -> tuple[requests.Response | None, float, int]:
    """(answer, seconds from the first try, 503s met); None when still busy after MAX_TRIES."""
    t0, busy = time.perf_counter(), 0
    for _ in range(MAX_TRIES):
        handles = [(field, (p.name, open(p, "rb"))) for field, p in files]
        try:
            r = requests.post(url, files=[(f, h) for f, h in handles], data=data, timeout=900)
        finally:
            for _, (_, h) in handles:
                h.close()
        if r.status_code != 503:
            return r, time.perf_counter() - t0, busy
        busy += 1
        time.sleep(float(r.headers.get("Retry-After", "1")))
    return None, time.perf_counter() - t0, busy


def expected_answers(tmp: Path) -> tuple[dict, dict]:
    """The in-process payloads of the same pipeline: per sample, and for the merge of all five."""
    from xjr_excel.province.consolidate import consolidate
    from xjr_excel.validate.run import validate_json
    per_file = {p.name: validate_json(p, p.name)[0] for p in samples()}
    inbox = tmp / "inbox"
    inbox.mkdir()
    for p in samples():
        shutil.copy2(p, inbox / p.name)
    here = os.getcwd()
    os.chdir(inbox)
    try:
        merged = consolidate([p.name for p in samples()], "江苏省汇总.xlsx", province="江苏省", jobs=1, progress=False)
    finally:
        os.chdir(here)
    merged["province"]["output"] = "江苏省汇总.xlsx"
    return per_file, json.loads(json.dumps(merged, ensure_ascii=False, default=str))


def load(server: Server, n_validations: int, n_merges: int, expected: tuple[dict, dict]) -> dict:
    per_file, merged = expected
    files = samples()
    jobs = [("validate", files[i % len(files)]) for i in range(n_validations)] + [("merge", None)] * n_merges
    random.Random(1).shuffle(jobs)

    def one(job):
        kind, path = job
        if kind == "validate":
            r, secs, busy = post(server.url + "/api/validate", [("file", path)])
            ok = r is not None and r.status_code == 200 and r.json() == per_file[path.name]
        else:
            r, secs, busy = post(server.url + "/api/consolidate", [("files", p) for p in files], {"province": "江苏省"})
            ok = False
            if r is not None and r.status_code == 200:
                got = r.json()
                link = got.pop("download")
                wb = requests.get(server.url + link, timeout=120)
                ok = got == merged and wb.status_code == 200 and wb.content[:2] == b"PK"
        return kind, ok, r is None, secs, busy

    watch = MemoryWatch(server)
    watch.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(jobs)) as ex:
        results = list(ex.map(one, jobs))
    wall = time.perf_counter() - t0
    watch.done.set()
    watch.join()
    out = {"wall_s": round(wall, 2), "peak_rss_mib": round(watch.peak / 1024, 1)}
    for kind in ("validate", "merge"):
        rs = [r for r in results if r[0] == kind]
        lat = sorted(r[3] for r in rs)
        out[kind] = {"requests": len(rs), "correct": sum(r[1] for r in rs), "lost": sum(r[2] for r in rs),
                     "busy_503": sum(r[4] for r in rs),
                     "p50_s": round(statistics.median(lat), 2) if lat else None,
                     "p95_s": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 2) if lat else None}
    return out


def warm_vs_fresh(server: Server, tmp: Path, enterprises: int, repeat: int) -> dict:
    import validate as bv          # bench/validate.py: the same big workbook
    book = tmp / "big" / "南京市.xlsx"
    book.parent.mkdir()
    bv.write_workbook(bv.make_records(enterprises, random.Random(7)), book)
    first, _, _ = post(server.url + "/api/validate", [("file", book)])          # the workers are warm already
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r, _, _ = post(server.url + "/api/validate", [("file", book)])
        warm.append(time.perf_counter() - t0)
    fresh = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", "validate", book.name, "--json"],
                              cwd=book.parent, env=env, capture_output=True, text=True, timeout=900)
        fresh.append(time.perf_counter() - t0)
    same = r is not None and r.status_code == 200 and r.json() == json.loads(proc.stdout) == first.json()
    return {"enterprises": enterprises, "findings": len(r.json()["findings"]) if r is not None else None,
            "warm_api_s": round(min(warm), 3), "fresh_cli_s": round(min(fresh), 3),
            "ratio_fresh_over_warm": round(min(fresh) / min(warm), 2), "same_answer": same}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--validations", type=int, default=50)
    ap.add_argument("--merges", type=int, default=5)
    ap.add_argument("--enterprises", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xjr-serve-bench-") as tmp:
        tmp = Path(tmp)
        expected = expected_answers(tmp)
        server = Server(tmp)
        try:
            limits = requests.get(server.url + "/api/health", timeout=10).json()["pool"]
            result = {"cpus": os.cpu_count(), "workers": limits["workers"],
                      "load": load(server, args.validations, args.merges, expected),
                      "big": warm_vs_fresh(server, tmp, args.enterprises, args.repeat),
                      "load_average": round(os.getloadavg()[0], 1)}
            left = list((tmp / "work" / "uploads").iterdir())
            result["uploads_left"] = len(left)
        finally:
            server.stop()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    ld, big = result["load"], result["big"]
    print(f"one server, {result['workers']} worker processes, {result['cpus']} CPUs "
          f"(load average {result['load_average']})")
    print(f"{args.validations} validations + {args.merges} merges of the samples at once: {ld['wall_s']} s wall, "
          f"server peak memory {ld['peak_rss_mib']} MiB (process + workers)")
    for kind in ("validate", "merge"):
        k = ld[kind]
        print(f"  {kind:8s} {k['correct']}/{k['requests']} correct, {k['lost']} lost, {k['busy_503']} answered 503 "
              f"first (retried after Retry-After); latency p50 {k['p50_s']} s, p95 {k['p95_s']} s")
    print(f"{big['enterprises']}-enterprise workbook ({big['findings']} findings): warm /api/validate "
          f"{big['warm_api_s']} s, `xjr validate --json` as a fresh process {big['fresh_cli_s']} s: "
          f"ratio {big['ratio_fresh_over_warm']}x; same answer: {big['same_answer']}")
    print(f"upload folders left: {result['uploads_left']}")
    ok = all(ld[k]["correct"] == ld[k]["requests"] for k in ("validate", "merge")) and big["same_answer"] \
        and not result["uploads_left"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
