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

import os
import posixpath
import re
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# Package relationships openpyxl does not (fully) write back.
CARRIED_ROOT_RELS = {
    "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",   # customUI.xml (Office 2007)
    "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",   # customUI14.xml (2010+)
}
VBA_PART = "xl/vbaProject.bin"
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


def _rels_path(part: str) -> str:
    d, name = posixpath.split(part)
    return posixpath.join(d, "_rels", name + ".rels")


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _dump(root: ET.Element, ns: str) -> bytes:
    ET.register_namespace("", ns)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="utf-8")


def _rels(data: bytes | None) -> list[ET.Element]:
    if not data:
        return []
    return ET.fromstring(data).findall(f"{{{NS_REL}}}Relationship")


def _internal_targets(zf_names: set[str], zf: zipfile.ZipFile, part: str) -> list[str]:
    """Parts ``part`` links to through its own .rels (transitively), that exist in ``zf``."""
    out, todo = [], [part]
    while todo:
        p = todo.pop()
        rp = _rels_path(p)
        if rp not in zf_names:
            continue
        out.append(rp)
        for r in _rels(zf.read(rp)):
            if r.get("TargetMode") == "External":
                continue
            t = _resolve(p, r.get("Target", ""))
            if t in zf_names and t not in out:
                out.append(t)
                todo.append(t)
    return out


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part path."""
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    rels = {r.get("Id"): _resolve("xl/workbook.xml", r.get("Target", ""))
            for r in _rels(zf.read("xl/_rels/workbook.xml.rels"))}
    root = ET.fromstring(zf.read("xl/workbook.xml"))
    out = {}
    for s in root.iter(f"{{{NS_MAIN}}}sheet"):
        part = rels.get(s.get(f"{{{NS_R}}}id"))
        if part:
            out[s.get("name")] = part
    return out


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
        d_root = ET.fromstring(zd.read("_rels/.rels"))
        d_rels = d_root.findall(f"{{{NS_REL}}}Relationship")
        have = {(r.get("Type"), _resolve("", r.get("Target", ""))) for r in d_rels}
        ids = {r.get("Id") for r in d_rels}
        carried: list[str] = []
        for r in _rels(zs.read("_rels/.rels") if "_rels/.rels" in s_names else None):
            rtype, target = r.get("Type"), _resolve("", r.get("Target", ""))
            if rtype not in CARRIED_ROOT_RELS or target not in s_names or (rtype, target) in have:
                continue
            rid, n = r.get("Id"), 1
            while rid in ids:
                rid, n = f"rIdXjr{n}", n + 1
            ids.add(rid)
            ET.SubElement(d_root, f"{{{NS_REL}}}Relationship", Id=rid, Type=rtype, Target=r.get("Target"))
            restored.append(f"rel:{target}")
            carried += [target, *_internal_targets(s_names, zs, target)]
        if carried:
            replaced["_rels/.rels"] = _dump(d_root, NS_REL)

        # 2. what hangs off the VBA project (e.g. its digital signature)
        if VBA_PART in d_names and VBA_PART in s_names:
            carried += _internal_targets(s_names, zs, VBA_PART)

        for part in dict.fromkeys(carried):
            if part not in d_names:
                new_parts[part] = zs.read(part)
                restored.append(part)

        # 3. content types: for restored parts, and for verbatim-copied macro parts whose
        #    type openpyxl left to a default that now says something else
        s_ct = ET.fromstring(zs.read("[Content_Types].xml"))
        d_ct = ET.fromstring(zd.read("[Content_Types].xml"))
        q = lambda tag: f"{{{NS_CT}}}{tag}"  # noqa: E731
        s_over = {o.get("PartName"): o.get("ContentType") for o in s_ct.findall(q("Override"))}
        s_def = {d.get("Extension").lower(): d.get("ContentType") for d in s_ct.findall(q("Default"))}
        d_over = {o.get("PartName"): o.get("ContentType") for o in d_ct.findall(q("Override"))}
        d_def = {d.get("Extension").lower(): d.get("ContentType") for d in d_ct.findall(q("Default"))}

        def ext_of(part: str) -> str:
            return posixpath.splitext(part)[1].lstrip(".").lower()

        ct_changed = False
        verbatim = [p for p in d_names & s_names if p.startswith(VERBATIM_PREFIXES)]
        for part in [*new_parts, *sorted(verbatim)]:
            pn, ext = "/" + part, ext_of(part)
            want = s_over.get(pn) or s_def.get(ext)
            have = d_over.get(pn) or d_def.get(ext)
            if want is None or want == have:
                continue
            if pn in s_over or ext in d_def:
                ET.SubElement(d_ct, q("Override"), PartName=pn, ContentType=want)
                d_over[pn] = want
            else:
                ET.SubElement(d_ct, q("Default"), Extension=ext, ContentType=want)
                d_def[ext] = want
            ct_changed = True
        if ct_changed:
            d_ct[:] = sorted(list(d_ct), key=lambda e: 0 if e.tag == q("Default") else 1)
            replaced["[Content_Types].xml"] = _dump(d_ct, NS_CT)

        # 4. worksheet extensions (x14 dropdowns, rules, sparklines)
        s_sheets, d_sheets = _sheet_parts(zs), _sheet_parts(zd)
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
        fd, tmp = tempfile.mkstemp(prefix=".xjr-pkg-", suffix=dst.suffix, dir=dst.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zo:
                for item in zd.infolist():
                    zo.writestr(item, replaced.get(item.filename, None) or zd.read(item.filename))
                for part, data in new_parts.items():
                    zo.writestr(part, data)
        except BaseException:
            os.unlink(tmp)
            raise
    os.replace(tmp, dst)
    return restored
