"""A small writer for Compound File Binary containers ([MS-CFB], version 3).

Just enough for ``vbaProject.bin``: one root, nested storages, streams of any
size (small ones go to the mini stream as the format requires), a valid
red-black directory tree.  Output is deterministic (no timestamps), so the same
sources always give the same bytes.  Reading back is olefile's job (tests).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR, MINI_SECTOR, MINI_CUTOFF = 512, 64, 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1


@dataclass
class Storage:
    """A folder in the container: name → Storage or bytes."""
    name: str
    children: dict[str, "Storage | bytes"] = field(default_factory=dict)

    def add(self, path: str, data: bytes) -> None:
        """Add a stream at ``"A/B/name"``, creating storages on the way."""
        *dirs, leaf = path.split("/")
        node = self
        for d in dirs:
            node = node.children.setdefault(d, Storage(d))
        node.children[leaf] = bytes(data)


def _sort_key(name: str) -> tuple[int, str]:
    # [MS-CFB] 2.6.4: shorter names first, then by upper-cased code points.
    return (len(name), name.upper())


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _tree(ids: list[int], entries: list[_Entry], depth: int, max_depth: int, perfect: bool) -> int:
    """Balanced tree from sorted ids; returns the root id. Nodes on the deepest level of
    an imperfect tree are red, all others black: every path has the same black count."""
    if not ids:
        return NOSTREAM
    mid = (len(ids) - 1) // 2
    node = entries[ids[mid]]
    node.color = RED if (not perfect and depth == max_depth) else BLACK
    node.left = _tree(ids[:mid], entries, depth + 1, max_depth, perfect)
    node.right = _tree(ids[mid + 1:], entries, depth + 1, max_depth, perfect)
    return ids[mid]


def _flatten(root: Storage) -> list[_Entry]:
    entries = [_Entry("Root Entry", ROOT)]

    def walk(storage: Storage, parent: int) -> None:
        ids = []
        for name in sorted(storage.children, key=_sort_key):
            if len(name) > 31:
                raise ValueError(f"CFB name too long: {name}")
            value = storage.children[name]
            entries.append(_Entry(name, STORAGE if isinstance(value, Storage) else STREAM,
                                  b"" if isinstance(value, Storage) else value))
            ids.append(len(entries) - 1)
        n = len(ids)
        levels = n.bit_length()                  # height of the median-split tree
        perfect = n == (1 << levels) - 1
        entries[parent].child = _tree(ids, entries, 0, levels - 1, perfect)
        for i in ids:
            value = storage.children[entries[i].name]
            if isinstance(value, Storage):
                walk(value, i)

    walk(root, 0)
    return entries


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def write(root: Storage) -> bytes:
    """Serialise ``root`` as a version-3 compound file."""
    entries = _flatten(root)

    # Mini stream: small streams packed in 64-byte mini sectors.
    mini = bytearray()
    minifat: list[int] = []
    for e in entries:
        if e.kind == STREAM and 0 < len(e.data) < MINI_CUTOFF:
            e.size = len(e.data)
            n = -(-e.size // MINI_SECTOR)
            e.start = len(minifat)
            minifat.extend(range(e.start + 1, e.start + n))
            minifat.append(ENDOFCHAIN)
            mini += e.data + b"\0" * (n * MINI_SECTOR - e.size)
        elif e.kind == STREAM and not e.data:
            e.start, e.size = ENDOFCHAIN, 0

    sectors: list[bytes] = []          # sector payloads in file order
    fat: list[int] = []

    def place(data: bytes) -> int:
        n = -(-len(data) // SECTOR)
        first = len(sectors)
        padded = data + b"\0" * (n * SECTOR - len(data))
        sectors.extend(padded[i * SECTOR:(i + 1) * SECTOR] for i in range(n))
        fat.extend([0] * n)
        _chain(fat, first, n)
        return first

    for e in entries:
        if e.kind == STREAM and len(e.data) >= MINI_CUTOFF:
            e.size = len(e.data)
            e.start = place(e.data)
    rootent = entries[0]
    if mini:
        rootent.start, rootent.size = place(bytes(mini)), len(mini)
    minifat_first, minifat_count = ENDOFCHAIN, 0
    if minifat:
        raw = struct.pack(f"<{len(minifat)}I", *minifat)
        raw += struct.pack("<I", FREESECT) * ((-len(raw) // 4) % (SECTOR // 4))
        minifat_first, minifat_count = place(raw), len(raw) // SECTOR

    dir_raw = b"".join(_dir_entry(e) for e in entries)
    per = SECTOR // 128
    dir_raw += _dir_entry(None) * ((-len(entries)) % per)
    dir_first = place(dir_raw)

    # FAT sectors cover every sector, themselves included.
    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    if n_fat > 109:
        raise ValueError("container too large for a header-only DIFAT")
    fat_first = len(sectors)
    fat.extend([FATSECT] * n_fat)
    fat.extend([FREESECT] * (n_fat * (SECTOR // 4) - len(fat)))
    fat_raw = struct.pack(f"<{len(fat)}I", *fat)
    sectors.extend(fat_raw[i * SECTOR:(i + 1) * SECTOR] for i in range(n_fat))

    difat = [fat_first + i for i in range(n_fat)] + [FREESECT] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", b"\0" * 16, 0x003E, 0x0003, 0xFFFE, 9, 6, b"\0" * 6,
        0, n_fat, dir_first, 0, MINI_CUTOFF, minifat_first, minifat_count, ENDOFCHAIN, 0,
    ) + struct.pack("<109I", *difat)
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _dir_entry(e: _Entry | None) -> bytes:
    if e is None:   # unused slot
        return b"\0" * 64 + struct.pack("<HBBIII16sIQQIQ", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                                         b"\0" * 16, 0, 0, 0, 0, 0)
    name = e.name.encode("utf-16-le") + b"\0\0"
    start = e.start if (e.kind != STORAGE) else 0
    size = e.size if e.kind != STORAGE else 0
    if e.kind == ROOT and not e.size:
        start = ENDOFCHAIN
    return name.ljust(64, b"\0") + struct.pack(
        "<HBBIII16sIQQIQ", len(name), e.kind, e.color, e.left, e.right, e.child,
        b"\0" * 16, 0, 0, 0, start, size)
