"""Build ``vbaProject.bin`` from VBA source text ([MS-OVBA]).

The project holds the modules in ``macros/`` plus xlwings' standalone module
(``xlwings.bas`` and ``Dictionary.cls``) taken from the *installed* xlwings,
so the VBA side always matches the Python side's version.

What is written: per-module streams (compressed source, no p-code), the
``dir`` stream (project information, references, module records), the
``PROJECT`` text stream, and a minimal ``_VBA_PROJECT`` stream whose version
0xFFFF tells Office to compile from source on first open.  The container is
written by :mod:`xjr_excel.ooxml.cfb`.
"""
from __future__ import annotations

import hashlib
import re
import struct
import uuid
from importlib import resources
from dataclasses import dataclass
from pathlib import Path

from xjr_excel.errors import UserError
from xjr_excel.ooxml import cfb as cfb

CODEPAGE = 1252                 # source text is ASCII-only, see macros/
LCID = 0x0409
PROJECT_NAME = "VBAProject"
# Only stdole: always registered, same version everywhere. (An Office-library
# reference that a user's Office cannot resolve would break compilation.)
REFERENCES = (
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb#OLE Automation"),
)
CLASS_BASE = '"0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"'   # what the VBE adds when importing a class
HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"


# --------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Module:
    name: str
    kind: str        # "module" (.bas), "class" (.cls), "document" (ThisWorkbook / sheets)
    code: bytes      # exactly what the module stream stores (CRLF, Attribute lines included)


_VERSION_HEADER = re.compile(rb"\AVERSION 1\.0 CLASS\r\nBEGIN\r\n.*?\r\nEND\r\n", re.S)
_ATTR = re.compile(rb'^Attribute (VB_\w+) = (.*?)\r$', re.M)


def crlf(text: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", text)


def stored_code(source: bytes) -> bytes:
    """Module text as stored in the project: CRLF, without a .cls file's VERSION/BEGIN header."""
    code = _VERSION_HEADER.sub(b"", crlf(source))
    return code if code.endswith(b"\r\n") else code + b"\r\n"


def module_from_source(source: bytes, filename: str, *, add_class_base: bool = False) -> Module:
    """Parse an exported VBA file (.bas / .cls) into a :class:`Module`."""
    try:
        source.decode("ascii")
    except UnicodeDecodeError as e:
        raise ValueError(f"{filename}: VBA sources must be ASCII (byte {e.start})") from None
    code = stored_code(source)
    attrs = {k.decode(): v.decode() for k, v in _ATTR.findall(code)}
    if "VB_Name" not in attrs:
        raise ValueError(f"{filename}: missing Attribute VB_Name")
    name = attrs["VB_Name"].strip('"')
    if filename.lower().endswith(".bas"):
        kind = "module"
    elif "VB_Base" in attrs and attrs.get("VB_PredeclaredId") == "True":
        kind = "document"
    else:
        kind = "class"
        if add_class_base and "VB_Base" not in attrs:
            # As the VBE does on import, so the project looks like one Excel saved.
            code = code.replace(b"\r\n", b"\r\nAttribute VB_Base = " + CLASS_BASE.encode() + b"\r\n", 1)
    return Module(name, kind, code)


XLWINGS_MODULE_NAMES = ("xlwings", "Dictionary")     # what xlwings_modules() holds, without importing xlwings


def our_module_names() -> set[str]:
    """Names of the modules a master's project holds besides its sheet modules."""
    return {m.name for m in source_modules()} | set(XLWINGS_MODULE_NAMES)


def xlwings_modules() -> list[Module]:
    """xlwings' standalone VBA (what ``xlwings quickstart --standalone`` embeds), from the installed package."""
    import xlwings
    base = Path(xlwings.__file__).parent
    return [module_from_source((base / "xlwings.bas").read_bytes(), "xlwings.bas"),
            module_from_source((base / "addin" / "Dictionary.cls").read_bytes(), "Dictionary.cls",
                               add_class_base=True)]


def macros_dir():
    """The installed VBA sources and ribbon XML: a Traversable of package ``xjr_excel.macros`` (``macros/``).

    Missing sources are an error: an .xlsm without them would have no ribbon code."""
    try:
        folder = resources.files("xjr_excel.macros")
    except ModuleNotFoundError:
        folder = None
    if folder is None or not folder.joinpath("customUI14.xml").is_file():
        raise UserError("未找到宏源文件（xjr_excel.macros：VBA 模块与 customUI14.xml），无法生成带功能区的 .xlsm 模板。"
                        "请重新安装 xjr-excel（pip install --force-reinstall xjr-excel），"
                        "或改为生成 .xlsx 模板。 / macro sources not installed: reinstall xjr-excel",
                        kind="no_macros")
    return folder


def source_modules(folder=None) -> list[Module]:
    """Our modules: every .bas/.cls in ``macros/`` (a folder or the installed package); ThisWorkbook first."""
    folder = Path(folder) if folder else macros_dir()
    files = sorted((p for p in folder.iterdir() if p.name.lower().endswith((".bas", ".cls"))), key=lambda p: p.name)
    mods = [module_from_source(p.read_bytes(), p.name) for p in files]
    return sorted(mods, key=lambda m: (m.kind != "document", m.name.lower()))


# What Excel writes for a worksheet's (empty) document module; VB_Base is the Worksheet class.
WORKSHEET_BASE = '"0{00020820-0000-0000-C000-000000000046}"'
_SHEET_MODULE = (
    'Attribute VB_Name = "{name}"\r\n'
    f"Attribute VB_Base = {WORKSHEET_BASE}\r\n"
    "Attribute VB_GlobalNameSpace = False\r\nAttribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = True\r\nAttribute VB_Exposed = True\r\n"
    "Attribute VB_TemplateDerived = False\r\nAttribute VB_Customizable = True\r\n"
)
SHEET_CODE_NAME = re.compile(r"^Sheet(\d+)$")


def sheet_module(code_name: str) -> Module:
    """The document module Excel keeps for a worksheet (``<sheetPr codeName="Sheet1">``), without code."""
    return Module(code_name, "document", _SHEET_MODULE.replace("{name}", code_name).encode("ascii"))


def next_code_names(taken: list[str], count: int) -> list[str]:
    """``count`` new code names SheetN after the highest N in ``taken``, as Excel numbers a new sheet."""
    used = [int(m.group(1)) for m in map(SHEET_CODE_NAME.match, taken) if m]
    start = max(used, default=0) + 1
    return [f"Sheet{start + i}" for i in range(count)]


def master_modules(sheet_code_names: list[str] | tuple[str, ...] = ()) -> list[Module]:
    """ThisWorkbook, one document module per worksheet (in sheet order), our modules, xlwings'."""
    ours = source_modules()
    docs = [m for m in ours if m.kind == "document"]
    mods = docs + [sheet_module(n) for n in sheet_code_names] + [m for m in ours if m.kind != "document"]
    mods += xlwings_modules()
    names = [m.name.lower() for m in mods]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate VBA module names: {sorted(dup)}")
    return mods


# --------------------------------------------------------------------------
# [MS-OVBA] 2.4.1 compression
# --------------------------------------------------------------------------

def _copy_token_split(pos: int) -> tuple[int, int]:
    """(bit count of the offset part, maximum length) at ``pos`` bytes into a chunk."""
    bits = max((pos - 1).bit_length(), 4)
    return bits, (0xFFFF >> bits) + 3


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    pos, n = 0, len(chunk)
    heads: dict[bytes, list[int]] = {}
    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            best_len, best_off = 0, 0
            if pos >= 1 and pos + 3 <= n:
                bits, max_len = _copy_token_split(pos)
                limit = min(max_len, n - pos)
                for cand in reversed(heads.get(chunk[pos:pos + 3], ())[-48:]):
                    length = 3
                    while length < limit and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                bits, _ = _copy_token_split(pos)
                out += struct.pack("<H", ((best_off - 1) << (16 - bits)) | (best_len - 3))
                flags |= 1 << bit
                step = best_len
            else:
                out.append(chunk[pos])
                step = 1
            for p in range(pos, pos + step):
                if p + 3 <= n:
                    heads.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """MS-OVBA CompressedContainer for ``data``."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) > 4096 and len(chunk) == 4096:
            # Incompressible full chunk: store raw (flag 0).
            out += struct.pack("<H", 0x3000 | 4095) + chunk
        else:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


# --------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------

def _rec(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _mbcs(s: str) -> bytes:
    return s.encode(f"cp{CODEPAGE}")


def dir_stream(modules: list[Module]) -> bytes:
    """Uncompressed ``dir`` stream ([MS-OVBA] 2.3.4.2)."""
    b = bytearray()
    b += _rec(0x0001, struct.pack("<I", 1))                 # SYSKIND: Win32 (64-bit Office accepts it)
    b += _rec(0x0002, struct.pack("<I", LCID))              # LCID
    b += _rec(0x0014, struct.pack("<I", LCID))              # LCIDINVOKE
    b += _rec(0x0003, struct.pack("<H", CODEPAGE))          # CODEPAGE
    b += _rec(0x0004, _mbcs(PROJECT_NAME))                  # NAME
    b += _rec(0x0005, b"") + _rec(0x0040, b"")              # DOCSTRING + unicode
    b += _rec(0x0006, b"") + _rec(0x003D, b"")              # HELPFILEPATH 1 + 2
    b += _rec(0x0007, struct.pack("<I", 0))                 # HELPCONTEXT
    b += _rec(0x0008, struct.pack("<I", 0))                 # LIBFLAGS
    b += struct.pack("<HIIH", 0x0009, 4, 1, 0)              # VERSION (Reserved=4, then 6 bytes)
    b += _rec(0x000C, b"") + _rec(0x003C, b"")              # CONSTANTS + unicode
    for name, libid in REFERENCES:
        b += _rec(0x0016, _mbcs(name)) + _rec(0x003E, name.encode("utf-16-le"))
        lib = _mbcs(libid)
        b += _rec(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    b += _rec(0x000F, struct.pack("<H", len(modules)))      # MODULES count
    b += _rec(0x0013, struct.pack("<H", 0xFFFF))            # PROJECTCOOKIE
    for m in modules:
        b += _rec(0x0019, _mbcs(m.name)) + _rec(0x0047, m.name.encode("utf-16-le"))
        b += _rec(0x001A, _mbcs(m.name)) + _rec(0x0032, m.name.encode("utf-16-le"))
        b += _rec(0x001C, b"") + _rec(0x0048, b"")          # DOCSTRING
        b += _rec(0x0031, struct.pack("<I", 0))             # OFFSET: source starts the stream
        b += _rec(0x001E, struct.pack("<I", 0))             # HELPCONTEXT
        b += _rec(0x002C, struct.pack("<H", 0xFFFF))        # COOKIE
        b += _rec(0x0021 if m.kind == "module" else 0x0022, b"")
        b += _rec(0x002B, b"")                              # module terminator
    b += _rec(0x0010, b"")                                  # dir terminator
    return bytes(b)


def _encrypt(project_id: str, data: bytes) -> str:
    """[MS-OVBA] 2.4.3 data encryption, deterministic seed; returns the hex text."""
    seed = hashlib.sha256(project_id.encode() + data).digest()[0]
    version, key = 2, sum(project_id.encode()) & 0xFF
    out = bytearray([seed, version ^ seed, key ^ seed])
    unenc1, enc1, enc2 = key, key ^ seed, version ^ seed
    payload = [7] * ((seed & 6) // 2) + list(struct.pack("<I", len(data))) + list(data)
    for byte in payload:
        e = byte ^ ((enc2 + unenc1) & 0xFF)
        out.append(e)
        enc2, enc1, unenc1 = enc1, e, byte
    return out.hex().upper()


def project_id(modules: list[Module]) -> str:
    digest = hashlib.sha256(b"".join(m.name.encode() + m.code for m in modules)).digest()
    return "{" + str(uuid.UUID(bytes=digest[:16], version=4)).upper() + "}"


def project_stream(modules: list[Module]) -> bytes:
    """The ``PROJECT`` text stream ([MS-OVBA] 2.3.1)."""
    pid = project_id(modules)
    lines = [f'ID="{pid}"']
    for m in modules:
        lines.append({"document": f"Document={m.name}/&H00000000", "class": f"Class={m.name}",
                      "module": f"Module={m.name}"}[m.kind])
    lines += [f'Name="{PROJECT_NAME}"', 'HelpContextID="0"', 'VersionCompatible32="393222000"',
              f'CMG="{_encrypt(pid, bytes(4))}"',       # protection state: none
              f'DPB="{_encrypt(pid, bytes(1))}"',       # password: none
              f'GC="{_encrypt(pid, bytes([0xFF]))}"',   # visibility: visible
              "", "[Host Extender Info]", HOST_EXTENDER, "",
              "[Workspace]"] + [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return _mbcs("\r\n".join(lines) + "\r\n")


def project_wm_stream(modules: list[Module]) -> bytes:
    """``PROJECTwm``: module names in MBCS and UTF-16 ([MS-OVBA] 2.3.3)."""
    b = bytearray()
    for m in modules:
        b += _mbcs(m.name) + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
    return bytes(b + b"\0\0")


# Version 0xFFFF: no p-code cache — Office compiles the modules from their source on open.
VBA_PROJECT_STREAM = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0003)


def build_project(modules: list[Module]) -> bytes:
    """The bytes of a ``vbaProject.bin`` holding ``modules``."""
    root = cfb.Storage("Root Entry")
    root.add("PROJECT", project_stream(modules))
    root.add("PROJECTwm", project_wm_stream(modules))
    root.add("VBA/_VBA_PROJECT", VBA_PROJECT_STREAM)
    root.add("VBA/dir", compress(dir_stream(modules)))
    for m in modules:
        root.add(f"VBA/{m.name}", compress(m.code))
    return cfb.write(root)


# --------------------------------------------------------------------------
# Reading a project back (olevba), to keep a template's project in step with its sheets
# --------------------------------------------------------------------------

_PROJECT_LINE = re.compile(r"^(Document|Module|Class)=([^/\r\n]+)", re.M)


def read_project(data: bytes) -> list[Module]:
    """The modules of a ``vbaProject.bin`` in project order, their stored code as olevba decodes it."""
    import olefile
    from oletools.olevba import VBA_Parser
    with olefile.OleFileIO(data) as ole:
        text = ole.openstream("PROJECT").read().decode(f"cp{CODEPAGE}", "replace")
    kinds = {name: {"Document": "document", "Module": "module", "Class": "class"}[k]
             for k, name in _PROJECT_LINE.findall(text)}
    parser = VBA_Parser("vbaProject.bin", data=data)
    try:
        code = {Path(vba_name).stem: src for _f, _s, vba_name, src in parser.extract_macros()}
    finally:
        parser.close()
    return [Module(name, kind, crlf(code.get(name, "").encode(f"cp{CODEPAGE}", "replace")))
            for name, kind in kinds.items()]


def is_empty_document(m: Module) -> bool:
    """A document module with no code: only Attribute lines (and Option Explicit, which Excel may add)."""
    lines = [ln.strip() for ln in m.code.decode("ascii", "replace").splitlines()]
    return m.kind == "document" and all(not ln or ln.startswith("Attribute ") or ln == "Option Explicit"
                                        for ln in lines)
