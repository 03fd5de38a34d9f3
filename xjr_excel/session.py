"""What may outlive one click: Python stays running in Excel between clicks (xlwings.conf
``Use UDF Server``), so whatever is kept must be keyed by what it was built from.

Kept across clicks (keyed by the files' stamps, rebuilt when a file changes):
the spec built from ``policy.toml`` (:func:`xjr_excel.spec.definition.get_spec`) and
the MIIT reference list (``xjr consolidate --names``).  Everything else lives for one
call: the book is passed in, not remembered; the name-folding memo is cleared per
validation; the schema and header caches are keyed by the spec's values, not by a book.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


def stamp(*paths) -> tuple:
    """A key that changes when any of ``paths`` is written, replaced or removed."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((os.fspath(p), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((os.fspath(p), None, None))
    return tuple(out)


class FileCache(Generic[T]):
    """``load(path)`` once per version of the file: reloaded when its stamp changes."""

    def __init__(self, load: Callable[[str], T]):
        self._load = load
        self._kept: dict[str, tuple[tuple, T]] = {}

    def get(self, path) -> T:
        key = str(Path(path))
        now = stamp(key)
        kept = self._kept.get(key)
        if kept is None or kept[0] != now:
            self._kept[key] = kept = (now, self._load(key))
        return kept[1]
