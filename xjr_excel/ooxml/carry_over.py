"""Zip-level repair after an openpyxl round trip: put back what openpyxl dropped.

openpyxl (``keep_vba=True``) keeps ``xl/vbaProject.bin`` and copies the
``customUI/`` files, but it only re-links the Office 2007 ribbon
(``customUI/customUI.xml``): the relationship of ``customUI/customUI14.xml``
— the ribbon every Excel since 2010 reads — is lost, so the tab disappears.
It also drops every worksheet ``<extLst>``: dropdowns whose list lives on
another sheet (Excel 2010+ stores them as ``x14:dataValidation``), rules of
the same kind and sparklines.

:func:`carry_over_parts` compares the saved file with the file it came from
and restores those pieces, never touching anything openpyxl wrote itself.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from xjr_excel.ooxml import package as P

# Package relationships openpyxl does not (fully) write back.
CARRIED_ROOT_RELS = {
    "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",   # customUI.xml (Office 2007)
    "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",   # customUI14.xml (2010+)
}
VBA_PART = P.VBA_PART
# Parts openpyxl copies byte for byte from the source when keeping VBA.
VERBATIM_PREFIXES = ("xl/vbaProject", "customUI/", "xl/activeX/", "xl/ctrlProps/")

# Worksheet extensions that hold only formulas and addresses (no relationship
# ids), so they stay valid in the rewritten sheet: x14 data validations,
# x14 conditional formatting, sparklines.
CARRIED_SHEET_EXTS = {
    "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}",
    "{78C0D931-6437-407d-A8EE-F0AAD7539E65}",
    "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}",
}


_EXTLST = re.compile(rb"<extLst\b[^>]*>(.*)</extLst>\s*</worksheet>\s*$", re.S)
_EXT = re.compile(rb"<ext\b[^>]*\buri=\"([^\"]+)\"[^>]*>.*?</ext>", re.S)
_ROOT_TAG = re.compile(rb"<worksheet\b[^>]*>", re.S)
_XMLNS = re.compile(rb"xmlns:([A-Za-z_][\w.-]*)=\"([^\"]*)\"")
_PREFIX_USE = re.compile(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*=")


def _carried_extensions(src_xml: bytes) -> bytes | None:
    """The ``<ext>`` elements worth restoring from a source sheet, with the namespaces they need."""
    m = _EXTLST.search(src_xml)
    if not m:
        return None
    exts = [e.group(0) for e in _EXT.finditer(m.group(1)) if e.group(1).decode() in CARRIED_SHEET_EXTS]
    if not exts:
        return None
    body = b"".join(exts)
    root = _ROOT_TAG.search(src_xml)
    declared = dict(_XMLNS.findall(root.group(0))) if root else {}
    local = {p for p, _ in _XMLNS.findall(body)}
    used = {p for pair in _PREFIX_USE.findall(body) for p in pair if p} - local - {b"xmlns", b"xml"}
    decl = b"".join(b' xmlns:%s="%s"' % (p, declared[p]) for p in sorted(used) if p in declared)
    return b"<extLst" + decl + b">" + body + b"</extLst>"


def carry_over_parts(src, dst) -> list[str]:
    """Restore in ``dst`` (saved by openpyxl from ``src``) the parts openpyxl dropped. In place.

    Returns what was restored (part names, ``rel:<target>``, ``ext:<sheet>``), for logs and tests.
    """
    src, dst = Path(src), Path(dst)
    restored: list[str] = []
    with zipfile.ZipFile(src) as zs, zipfile.ZipFile(dst) as zd:
        s_names, d_names = set(zs.namelist()), set(zd.namelist())
        new_parts: dict[str, bytes] = {}
        replaced: dict[str, bytes] = {}

        # 1. ribbon relationships (and the parts they point to, with their own rels)
        d_root = P.parse(zd.read(P.ROOT_RELS))
        d_rels = P.relationships(d_root)
        have = {(r.get("Type"), P.resolve("", r.get("Target", ""))) for r in d_rels}
        ids = {r.get("Id") for r in d_rels}
        carried: list[str] = []
        for r in P.relationships(zs.read(P.ROOT_RELS) if P.ROOT_RELS in s_names else None):
            rtype, target = r.get("Type"), P.resolve("", r.get("Target", ""))
            if rtype not in CARRIED_ROOT_RELS or target not in s_names or (rtype, target) in have:
                continue
            rid, n = r.get("Id"), 1
            while rid in ids:
                rid, n = f"rIdXjr{n}", n + 1
            ids.add(rid)
            ET.SubElement(d_root, f"{{{P.NS_REL}}}Relationship", Id=rid, Type=rtype, Target=r.get("Target"))
            restored.append(f"rel:{target}")
            carried += [target, *P.linked_parts(zs, target)]
        if carried:
            replaced[P.ROOT_RELS] = P.dump(d_root, P.NS_REL)

        # 2. what hangs off the VBA project (e.g. its digital signature)
        if VBA_PART in d_names and VBA_PART in s_names:
            carried += P.linked_parts(zs, VBA_PART)

        for part in dict.fromkeys(carried):
            if part not in d_names:
                new_parts[part] = zs.read(part)
                restored.append(part)

        # 3. content types: for restored parts, and for verbatim-copied macro parts whose
        #    type openpyxl left to a default that now says something else
        s_ct = P.ContentTypes(zs.read(P.CONTENT_TYPES))
        d_ct = P.ContentTypes(zd.read(P.CONTENT_TYPES))
        s_over = s_ct.overrides
        verbatim = [p for p in d_names & s_names if p.startswith(VERBATIM_PREFIXES)]
        for part in [*new_parts, *sorted(verbatim)]:
            want = s_ct.of(part)
            if want is None or want == d_ct.of(part):
                continue
            if part in s_over or P.extension(part) in d_ct.defaults:
                d_ct.override(part, want)
            else:
                d_ct.default(P.extension(part), want)
        if d_ct.changed:
            replaced[P.CONTENT_TYPES] = d_ct.to_bytes()

        # 4. worksheet extensions (x14 dropdowns, rules, sparklines)
        s_sheets, d_sheets = P.read_sheet_parts(zs), P.read_sheet_parts(zd)
        for name, s_part in s_sheets.items():
            d_part = d_sheets.get(name)
            if not d_part or d_part not in d_names or s_part not in s_names:
                continue
            d_xml = zd.read(d_part)
            if b"<extLst" in d_xml[-4096:]:
                continue
            ext = _carried_extensions(zs.read(s_part))
            if ext is None:
                continue
            cut = d_xml.rstrip().rfind(b"</worksheet>")
            replaced[d_part] = d_xml[:cut] + ext + d_xml[cut:]
            restored.append(f"ext:{name}")

        if not replaced and not new_parts:
            return restored
    P.rewrite(dst, dst, replaced, add=new_parts)
    return restored
