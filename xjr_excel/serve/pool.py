"""A bounded pool of worker processes, one job at a time each.

Not a ``ProcessPoolExecutor``: there, a worker that dies breaks the whole pool and every job in
it.  Here each worker is its own process with its own pipe; a file that kills its worker (or
runs past the time limit) costs only its own request, and the worker is replaced.  Admission
is bounded: ``workers`` jobs run and ``queue`` more may wait; beyond that :class:`ServerBusy`
(HTTP 503 with Retry-After) at once, never an unbounded queue.

Workers are started with ``spawn`` (a server process has threads; forking one is unsafe, and
spawn is what Windows does anyway) and warmed: imports and the spec are ready before the first job.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time

import anyio

from xjr_excel import errors

DIED = ("处理该文件的进程异常退出，文件可能已损坏。请在Excel或WPS中打开并另存为.xlsx后重试；"
        "其他请求不受影响。")


def _worker_main(conn, policy_path) -> None:
    from xjr_excel.serve import work
    work.warm(policy_path)
    conn.send(("ready", None))
    while True:
        try:
            name, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", work.JOBS[name](**kwargs)))
        except errors.UserError as e:
            conn.send(("refused", e))
        except Exception as e:  # noqa: BLE001 - logged here, answered as one sentence there
            log = errors.write_log(e)
            conn.send(("error", f"{type(e).__name__}；日志：{log.name}"))


class Worker:
    def __init__(self, ctx, policy_path):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, policy_path), daemon=True,
                                name="xjr-serve-worker")
        self.proc.start()
        child.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        if not self.ready and self.conn.poll(timeout):
            self.conn.recv()
            self.ready = True

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class Pool:
    def __init__(self, *, workers: int, queue_size: int, timeout: float, retry_after: int,
                 policy_path: str | None = None):
        self.ctx = mp.get_context("spawn")
        self.policy_path = policy_path
        self.size = max(1, int(workers))
        self.timeout = timeout
        self.retry_after = retry_after
        self.admitted = threading.BoundedSemaphore(self.size + max(0, int(queue_size)))
        self.limiter = anyio.CapacityLimiter(self.size + max(0, int(queue_size)))
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.all: list[Worker] = []
        self.running = 0
        self.done = 0
        self.replaced = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        for _ in range(self.size):
            w = Worker(self.ctx, self.policy_path)
            self.all.append(w)
            self.idle.put(w)

    def close(self) -> None:
        for w in list(self.all):
            w.stop()
        self.all.clear()

    def stats(self) -> dict:
        return {"workers": self.size, "busy": self.running, "idle": self.idle.qsize(), "done": self.done,
                "replaced": self.replaced}

    async def run(self, name: str, **kwargs):
        """Run job ``name`` in a worker; its result, or its refusal raised here."""
        if not self.admitted.acquire(blocking=False):
            raise errors.ServerBusy(retry=self.retry_after)
        try:
            return await anyio.to_thread.run_sync(self._run_blocking, name, kwargs, limiter=self.limiter)
        finally:
            self.admitted.release()

    def _replace(self, w: Worker) -> Worker:
        w.stop()
        fresh = Worker(self.ctx, self.policy_path)
        with self._lock:
            self.all.remove(w)
            self.all.append(fresh)
            self.replaced += 1
        return fresh

    def _run_blocking(self, name: str, kwargs: dict):
        w = self.idle.get()
        if not w.proc.is_alive():          # died while idle (killed from outside): a fresh one does the job
            w = self._replace(w)
        with self._lock:
            self.running += 1
        healthy = False
        try:
            try:
                w.wait_ready(120)
                w.conn.send((name, kwargs))
            except (OSError, EOFError):
                raise errors.InternalError("处理进程意外退出，已重新启动。请重新提交。") from None
            deadline = time.monotonic() + self.timeout
            while not w.conn.poll(0.5):
                if not w.proc.is_alive():
                    raise errors.InternalError(DIED)
                if time.monotonic() > deadline:
                    raise errors.InternalError(
                        f"处理超过{int(self.timeout)}秒仍未完成，已停止。文件可能过大或已损坏；"
                        f"请删除多余内容后重试。")
            try:
                kind, value = w.conn.recv()
            except (EOFError, OSError):
                raise errors.InternalError(DIED) from None
            healthy = True
        finally:
            with self._lock:
                self.running -= 1
                self.done += 1
            if not healthy:          # dead, hung or half-way through a reply: a fresh worker takes its place
                w = self._replace(w)
            self.idle.put(w)
        if kind == "ok":
            return value
        if kind == "refused":
            raise value
        raise InternalFailure(value)


class InternalFailure(Exception):
    """A bug met in a worker (logged there): answered as one sentence, HTTP 500, no traceback."""
