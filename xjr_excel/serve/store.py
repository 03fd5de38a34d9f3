"""The server's private folder: uploads live here only while their request runs; results wait
here for their download, then go.

``WORK/uploads/<random>/``  one folder per request (mode 0700), deleted when the request ends,
                            whatever happened (``with store.upload_folder() as d``);
``WORK/results/<token>/``   one result file and its owner, deleted once downloaded or expired.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class Store:
    def __init__(self, root: Path, ttl: float, stale_uploads_after: float):
        self.root = private_dir(Path(root))
        self.uploads = private_dir(self.root / "uploads")
        self.results = private_dir(self.root / "results")
        self.ttl = ttl
        self.stale_uploads_after = stale_uploads_after

    @contextlib.contextmanager
    def upload_folder(self):
        d = Path(private_dir(self.uploads / secrets.token_hex(12)))
        try:
            yield d
        finally:
            shutil.rmtree(d, ignore_errors=True)

    @contextlib.contextmanager
    def result_folder(self):
        """``(token, folder)`` for one request's result; removed again if the request fails."""
        token = secrets.token_urlsafe(24)
        folder = private_dir(self.results / token)
        try:
            yield token, folder
        except BaseException:
            self.drop(token)
            raise

    def keep(self, token: str, file: Path, user: str) -> None:
        """Record ``file`` (inside the token's folder) as the result to hand to ``user``."""
        (self.results / token / ".meta.json").write_text(
            json.dumps({"file": file.name, "user": user, "expires": time.time() + self.ttl}, ensure_ascii=False),
            encoding="utf-8")

    def find(self, token: str, user: str) -> Path | None:
        if not TOKEN_RE.match(token):
            return None
        meta_file = self.results / token / ".meta.json"
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta["user"] != user or meta["expires"] < time.time():
            return None
        f = self.results / token / meta["file"]
        return f if f.is_file() else None

    def drop(self, token: str) -> None:
        if TOKEN_RE.match(token):
            shutil.rmtree(self.results / token, ignore_errors=True)

    def sweep(self, now: float | None = None) -> None:
        """Delete expired results, and upload folders a crashed process left behind."""
        now = now or time.time()
        for d in self.results.iterdir():
            try:
                meta = json.loads((d / ".meta.json").read_text(encoding="utf-8"))
                expired = meta["expires"] < now
            except (OSError, ValueError, KeyError):
                expired = d.stat().st_mtime + self.ttl < now     # never finished: by age
            if expired:
                shutil.rmtree(d, ignore_errors=True)
        for d in self.uploads.iterdir():
            with contextlib.suppress(OSError):
                if d.stat().st_mtime + self.stale_uploads_after < now:
                    shutil.rmtree(d, ignore_errors=True)
