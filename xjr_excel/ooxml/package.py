"""The package layer of an .xlsx/.xlsm: parts, relationships, content types.

One home for what every zip-level step needs — which part holds which sheet,
where a relationship points, which content type a part has — so the guard,
the reader, the template packager, the carry-over repair and the fast writer
agree.  Functions take parsed XML (``Element``) where the caller must parse
safely and within limits (the guard), and plain bytes elsewhere.
"""
from __future__ import annotations

import posixpath
import zipfile
from typing import BinaryIO, Callable, Iterable
from xml.etree import ElementTree as ET

from defusedxml import ElementTree as DET

from xjr_excel.atomic import atomic_path

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

ROOT_RELS = "_rels/.rels"
CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK_PART = "xl/workbook.xml"
VBA_PART = "xl/vbaProject.bin"
REL_OFFICE_DOCUMENT = "/officeDocument"          # Type ends with this (transitional and strict)

XLSX_MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_CT = "application/vnd.ms-office.vbaProject"

def rels_path(part: str) -> str:
    """"xl/workbook.xml" → "xl/_rels/workbook.xml.rels" (as openpyxl's get_rels_path)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def parse(data: bytes) -> ET.Element:
    """Parse a package part; DTDs and entities are refused (defusedxml)."""
    return DET.fromstring(data)


def dump(root: ET.Element, default_ns: str) -> bytes:
    """Serialise a part the way Office writes it: declaration, default namespace without prefix."""
    ET.register_namespace("", default_ns)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="utf-8")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# ---------------------------------------------------------------- relationships

def resolve(source_part: str, target: str) -> str:
    """The part a relationship of ``source_part`` points to ("" for the package root)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relationships(rels: ET.Element | bytes | None) -> list[ET.Element]:
    """The ``<Relationship>`` elements of a .rels part (none for a missing part)."""
    if rels is None or (isinstance(rels, bytes) and not rels):
        return []
    root = parse(rels) if isinstance(rels, bytes) else rels
    return [r for r in root if _local(r.tag) == "Relationship"]


def targets(source_part: str, rels: ET.Element | bytes | None) -> dict[str, str]:
    """Relationship id → the part it points to, for the internal relationships of ``source_part``."""
    return {r.get("Id"): resolve(source_part, r.get("Target", ""))
            for r in relationships(rels) if r.get("TargetMode") != "External"}


def add_relationship(rels: bytes, rel_type: str, target: str, *, once: bool = True, prefix: str = "rId") -> bytes:
    """``rels`` with one more relationship (a fresh id); with ``once``, unchanged if the type is there."""
    root = parse(rels)
    have = relationships(root)
    if once and any(r.get("Type") == rel_type for r in have):
        return rels
    ids = {r.get("Id") for r in have}
    n = 1
    while f"{prefix}{n}" in ids:
        n += 1
    ET.SubElement(root, f"{{{NS_REL}}}Relationship", Id=f"{prefix}{n}", Type=rel_type, Target=target)
    return dump(root, NS_REL)


def linked_parts(zf: zipfile.ZipFile, part: str) -> list[str]:
    """Parts ``part`` links to through its own .rels (transitively) that exist in ``zf``, .rels included."""
    names = set(zf.namelist())
    out, todo = [], [part]
    while todo:
        p = todo.pop()
        rp = rels_path(p)
        if rp not in names:
            continue
        out.append(rp)
        for t in targets(p, zf.read(rp)).values():
            if t in names and t not in out:
                out.append(t)
                todo.append(t)
    return out


# ---------------------------------------------------------------- sheets

def main_part(root_rels: ET.Element | bytes | None) -> str | None:
    """The workbook part the package's root relationships name (officeDocument), if any."""
    for r in relationships(root_rels):
        if r.get("Type", "").endswith(REL_OFFICE_DOCUMENT):
            return resolve("", r.get("Target", ""))
    return None


def sheet_parts(workbook: ET.Element | bytes, workbook_rels: ET.Element | bytes | None,
                main: str = WORKBOOK_PART) -> list[tuple[str, str | None]]:
    """(sheet name, part) in the workbook's order; part None when the relationship is missing."""
    root = parse(workbook) if isinstance(workbook, bytes) else workbook
    by_id = targets(main, workbook_rels)
    out = []
    for el in root.iter():
        if _local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            out.append((el.get("name", ""), by_id.get(rid)))
    return out


def read_sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part of an (already trusted) package; {} when it has no workbook."""
    names = set(zf.namelist())
    main = main_part(zf.read(ROOT_RELS)) if ROOT_RELS in names else None
    main = main if main in names else WORKBOOK_PART
    if main not in names:
        return {}
    rp = rels_path(main)
    rels = zf.read(rp) if rp in names else None
    return {name: part for name, part in sheet_parts(zf.read(main), rels, main) if part}


# ---------------------------------------------------------------- content types

class ContentTypes:
    """``[Content_Types].xml``: the type of each part, by override or by extension."""

    def __init__(self, data: bytes):
        self.root = parse(data)
        self.changed = False

    def _all(self, kind: str) -> list[ET.Element]:
        return [e for e in self.root if _local(e.tag) == kind]

    @property
    def overrides(self) -> dict[str, str]:
        return {o.get("PartName", "").lstrip("/"): o.get("ContentType", "") for o in self._all("Override")}

    @property
    def defaults(self) -> dict[str, str]:
        return {d.get("Extension", "").lower(): d.get("ContentType", "") for d in self._all("Default")}

    def of(self, part: str) -> str | None:
        """The content type of ``part`` (its override, else its extension's default)."""
        return self.overrides.get(part) or self.defaults.get(extension(part))

    def override(self, part: str, content_type: str) -> None:
        for o in self._all("Override"):
            if o.get("PartName", "").lstrip("/") == part:
                if o.get("ContentType") != content_type:
                    o.set("ContentType", content_type)
                    self.changed = True
                return
        ET.SubElement(self.root, f"{{{NS_CT}}}Override", PartName="/" + part, ContentType=content_type)
        self.changed = True

    def default(self, ext: str, content_type: str) -> None:
        """Add a default for ``ext`` unless the package has one (an existing default is kept)."""
        if ext.lower() not in self.defaults:
            ET.SubElement(self.root, f"{{{NS_CT}}}Default", Extension=ext, ContentType=content_type)
            self.changed = True

    def to_bytes(self) -> bytes:
        # Defaults must precede Overrides for strict readers.
        self.root[:] = sorted(list(self.root), key=lambda e: 0 if _local(e.tag) == "Default" else 1)
        return dump(self.root, NS_CT)


def extension(part: str) -> str:
    return posixpath.splitext(part)[1].lstrip(".").lower()


# ---------------------------------------------------------------- rewriting a package

Edit = Callable[[bytes], bytes]


class StreamEdit:
    """An edit that writes the new part itself: ``write(old bytes, the part's output file)``, for
    parts too large to build in memory first (the provincial lists)."""

    def __init__(self, write: Callable[[bytes, BinaryIO], None]):
        self.write = write


def rewrite(src, dst, edits: dict[str, bytes | Edit] | None = None, *, add: dict[str, bytes] | None = None,
            drop: Iterable[str] = (), compresslevel: int | None = None) -> None:
    """Copy the package ``src`` to ``dst`` (atomically; may be the same file: the caller's own fresh output) with parts changed.

    ``edits``: part → new bytes, or a function of the old bytes; ``add``: new parts, written
    last; ``drop``: parts left out (e.g. ones ``add`` writes afresh).
    """
    edits, add, drop = edits or {}, add or {}, set(drop)
    # dst is the caller's own fresh output (force: no overwrite check); the source is closed before the rename
    with atomic_path(dst, force=True) as tmp:
        with zipfile.ZipFile(src) as zin, \
                zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zout:
            for item in zin.infolist():
                if item.filename in drop or item.filename in add:
                    continue
                data = zin.read(item.filename)
                edit = edits.get(item.filename)
                if isinstance(edit, StreamEdit):
                    with zout.open(item.filename, "w") as out:      # deflated at zout's level
                        edit.write(data, out)
                    continue
                if edit is not None:
                    data = edit(data) if callable(edit) else edit
                zout.writestr(item, data, compresslevel=compresslevel)
            for part, data in add.items():
                zout.writestr(part, data)
