"""Write outputs safely: never over what we were given, never half-written.

* Atomic: a hidden temporary file in the same folder, then rename; a run killed half-way
  leaves the previous output intact.  Its name carries the writer's pid
  (``.名称.xlsx.xjr-<pid>-<random>.tmp``) so the next write of the same output removes
  the leftovers of an interrupted one — only ours, and only stale ones.
* Ours to replace: an existing output is replaced only when this tool wrote it for the
  same purpose and is unchanged since, or with ``force``.  ``save_workbook`` marks what
  we write with two custom document properties (docProps/custom.xml): the purpose, and a
  digest of every other part (name, CRC-32, size, from the zip directory), sealed when the
  package is final.  A file someone opened and saved (their edits, their comments — in
  Excel, WPS, LibreOffice or a script) has other parts and is theirs, not ours.
* Never an input: an output that is one of the inputs is refused, with or without force.
"""
from __future__ import annotations

import copy
import hashlib
import io
import os
import re
import shutil
import struct
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

from xjr_excel.errors import OutputExists, OutputIsInput

MARK_PURPOSE = "xjr-excel-output"      # custom document property: what this file is
MARK_DIGEST = "xjr-excel-digest"       # the package's parts when we wrote it; any later save changes them
PURPOSES = {"template": "填报模板", "annotated": "校验标记副本", "province": "全省汇总工作簿",
            "track": "目标完成情况跟踪表", "forms": "填报表", "issues": "问题清单",
            "collect": "填报表回收结果工作簿"}
STALE_SECONDS = 15 * 60                # a temporary file this old is a leftover whoever wrote it
_TMP = re.compile(r"^\.(?P<name>.+)\.xjr-(?P<pid>\d+)-[^.]+\.tmp$")
_CUSTOM = "docProps/custom.xml"
_UNSEALED = "0" * 64                   # the digest's place, filled in when the package is final


# ---------------------------------------------------------------- marking what we write

def save_workbook(wb, path, purpose: str | None = None) -> None:
    """``wb.save(path)``, marked for ``purpose`` (None: unmarked, e.g. a user's own file).

    The mark is completed by :func:`atomic_path` (``purpose=``) once the package is final.
    """
    from openpyxl.packaging.custom import StringProperty
    props = wb.custom_doc_props
    for name in (MARK_PURPOSE, MARK_DIGEST):
        if name in props.names:
            del props[name]
    if purpose is not None:
        assert purpose in PURPOSES, purpose
        props.append(StringProperty(name=MARK_PURPOSE, value=purpose))
        props.append(StringProperty(name=MARK_DIGEST, value=_UNSEALED))
    wb.save(path)


def _digest(zf: zipfile.ZipFile) -> str:
    """What the package holds, from its directory alone: every part but our mark, with its CRC and size."""
    h = hashlib.sha256()
    for info in sorted(zf.infolist(), key=lambda i: i.filename):
        if info.filename != _CUSTOM:
            h.update(f"{info.filename}\0{info.CRC:08x}\0{info.file_size}\n".encode())
    return h.hexdigest()


def _seal(path: Path, purpose: str) -> None:
    """Put the final package's digest into the mark ``save_workbook`` left; unmarked packages stay so."""
    with zipfile.ZipFile(path) as zf:
        if _CUSTOM not in zf.namelist():
            return
        custom = zf.read(_CUSTOM)
        digest = _digest(zf)
    if _UNSEALED.encode() not in custom or purpose.encode() not in custom:
        return
    _replace_member(path, _CUSTOM, custom.replace(_UNSEALED.encode(), digest.encode(), 1))


def _replace_member(path: Path, name: str, data: bytes) -> None:
    """Rewrite the zip at ``path`` with member ``name`` replaced; the others are copied as stored
    (not inflated and deflated again: a provincial workbook is large)."""
    out = io.BytesIO()
    with open(path, "rb") as fh, zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", allowZip64=True) as zout:
        for info in zin.infolist():
            if info.filename == name:
                zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            fh.seek(info.header_offset)
            head = fh.read(30)
            if head[:4] != b"PK\x03\x04":
                raise zipfile.BadZipFile(info.filename)
            name_len, extra_len = struct.unpack("<HH", head[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            raw = fh.read(info.compress_size)
            copied = copy.copy(info)
            copied.flag_bits &= ~0x08          # sizes and CRC go in the local header, no data descriptor
            copied.extra = b""
            copied.header_offset = zout.fp.tell()
            zout.fp.write(copied.FileHeader())
            zout.fp.write(raw)
            zout.filelist.append(copied)
            zout.NameToInfo[copied.filename] = copied
            zout.start_dir = zout.fp.tell()
            zout._didModify = True
    Path(path).write_bytes(out.getvalue())


def written_for(path: str | os.PathLike) -> str | None:
    """The purpose we wrote ``path`` for, if it is ours and unchanged since; else None."""
    import defusedxml.ElementTree as DET
    try:
        with zipfile.ZipFile(path) as zf:
            custom = DET.fromstring(_small_member(zf, _CUSTOM))
            digest = _digest(zf)
    except Exception:  # noqa: BLE001 - not a package, no such part, damaged: not ours
        return None
    marks = {}
    for prop in custom:
        value = next(iter(prop), None)
        marks[prop.get("name")] = value.text if value is not None else None
    purpose = marks.get(MARK_PURPOSE)
    return purpose if purpose in PURPOSES and marks.get(MARK_DIGEST) == digest else None


def _small_member(zf: zipfile.ZipFile, name: str, limit: int = 1 << 20) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise ValueError(name)
    with zf.open(info) as fh:
        return fh.read(limit + 1)[:limit]


# ---------------------------------------------------------------- writing

def check_output(target: str | os.PathLike, inputs=(), *, purpose: str | None = None, force: bool = False) -> None:
    """Refuse ``target`` if it is an input, or exists and is not ours to replace (unless ``force``)."""
    target = Path(target)
    if not target.exists():
        return
    for src in inputs:
        try:
            if Path(src).exists() and os.path.samefile(src, target):
                raise OutputIsInput(file=str(target))
        except FileNotFoundError:
            pass
    if force or (purpose is not None and written_for(target) == purpose):
        return
    raise OutputExists(file=str(target), purpose=PURPOSES.get(purpose, "输出文件"))


@contextmanager
def atomic_path(target: str | os.PathLike, inputs: tuple = (), *, purpose: str | None = None,
                force: bool = False):
    """Yield a temporary path next to ``target``; rename it over ``target`` on success.

    Refuses an output that is one of ``inputs`` (never overwrite what we read) or an
    existing file that is not our ``purpose`` output (see :func:`check_output`); ``force``
    allows the latter (also for a caller rewriting its own fresh file).
    """
    target = Path(target)
    check_output(target, inputs, purpose=purpose, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.xjr-{os.getpid()}-", suffix=".tmp", dir=target.parent)
    os.close(fd)
    # mkstemp creates 0600; give the output the permissions a normal save would
    umask = os.umask(0)
    os.umask(umask)
    mode = 0o666 & ~umask
    try:
        yield Path(tmp)
        if purpose is not None:
            _seal(Path(tmp), purpose)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def is_temporary(path: str | os.PathLike) -> bool:
    """True for a temporary file of ours (by its name)."""
    return bool(_TMP.match(Path(path).name))


def remove_stale_temporaries(target: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Delete the leftovers of interrupted writes of ``target``: ours by name, and stale —
    their writer is no longer running on this machine, or they are older than STALE_SECONDS
    (a writer on another machine sharing the folder)."""
    target = Path(target)
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        m = _TMP.match(entry.name)
        if not m or m.group("name") != target.name or not entry.is_file(follow_symlinks=False):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        pid = int(m.group("pid"))
        if age > STALE_SECONDS or (pid != os.getpid() and not _running(pid)):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass              # someone else removed it, or no right to: leave it
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True               # exists (another user's) or cannot tell: keep the file
    return True


def backup(path: str | os.PathLike) -> Path:
    """Copy ``path`` to ``name.bak.ext`` (numbered if taken) before changing it in place."""
    path = Path(path)
    n, bak = 0, path.with_name(f"{path.stem}.bak{path.suffix}")
    while bak.exists():
        n += 1
        bak = path.with_name(f"{path.stem}.bak{n}{path.suffix}")
    shutil.copy2(path, bak)
    return bak
