"""Write outputs atomically: a temporary file in the same folder, then rename.

A run killed half-way leaves the previous output intact.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from xjr_excel.errors import UserError


@contextmanager
def atomic_path(target: str | os.PathLike, inputs: tuple = ()):
    """Yield a temporary path next to ``target``; rename it over ``target`` on success.

    Refuses an output that is one of ``inputs`` (never overwrite what we read).
    """
    target = Path(target)
    for src in inputs:
        try:
            if Path(src).exists() and target.exists() and os.path.samefile(src, target):
                raise UserError(f"输出文件“{target}”与输入文件相同。为避免覆盖原始数据，请换一个输出文件名。")
        except FileNotFoundError:
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix + ".tmp", dir=target.parent)
    os.close(fd)
    # mkstemp creates 0600; give the output the permissions a normal save would
    umask = os.umask(0)
    os.umask(umask)
    mode = 0o666 & ~umask
    try:
        yield Path(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def backup(path: str | os.PathLike) -> Path:
    """Copy ``path`` to ``name.bak.ext`` (numbered if taken) before changing it in place."""
    path = Path(path)
    n, bak = 0, path.with_name(f"{path.stem}.bak{path.suffix}")
    while bak.exists():
        n += 1
        bak = path.with_name(f"{path.stem}.bak{n}{path.suffix}")
    shutil.copy2(path, bak)
    return bak
