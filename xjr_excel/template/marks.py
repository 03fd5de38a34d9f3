"""Marks infrastructure: where validation colours come from without touching the user's formatting.

Each marked sheet (封面, 实施方案, 附1–附5) has a *very hidden* twin sheet,
``_xjr_marks_<key>``, that mirrors it address by address.  A workbook-level
name ``XJR_Marks_<key>`` covers the twin, and two conditional-formatting rules
on the user's sheet colour a cell when its twin holds a severity code::

    =INDEX(XJR_Marks_a3,ROW(),COLUMN())=2     → error fill (stop if true)
    =INDEX(XJR_Marks_a3,ROW(),COLUMN())=1     → warning fill

Why a defined name and not ``='_xjr_marks_a3'!A1=2``: conditional formatting
that names another sheet directly is refused by Excel 2007 and is moved by
Excel 2010+ into an ``x14`` extension that other tools (openpyxl, older WPS)
drop; a defined name works in every Excel since 2007, in WPS and in
LibreOffice, and stays in the plain ``<conditionalFormatting>`` element.

Validating writes the codes (one bulk write per marks sheet); clearing empties
the twins.  Cell fills, fonts and borders the user set are never changed.
"""
from __future__ import annotations

import re

from xjr_excel.own_sheets import OWN_SHEET_PREFIX
from xjr_excel.ooxml.cells import column_letter
from xjr_excel.spec.definition import Spec, get_spec

# openpyxl is imported inside the functions that edit an openpyxl workbook: a click in Excel
# (the xlwings backend) uses this module's names and never loads openpyxl.

MARK_ERROR, MARK_WARNING = 2, 1
SEVERITY_CODE = {"error": MARK_ERROR, "warning": MARK_WARNING}

# Sheets that get marks (the guide sheet has nothing to fill in).
UNMARKED_SHEET_KEYS = ("guide",)     # 填报说明: nothing is filled in there, so nothing is marked

# Area the rules and the twins cover.  Generous: 附4 has 40 columns and a city
# rarely sends more than a few hundred records; cells beyond it stay unmarked.
MARK_COLS, MARK_ROWS = 64, 10000          # A1:BL10000

# Error: Excel's "light red fill with dark red text".  Warning: light orange, not
# yellow — the template paints input cells pale yellow (FFF2CC).  A thin border
# in a stronger tone keeps a mark visible on any fill the user chose.
ERROR_FILL, ERROR_FONT, ERROR_BORDER = "FFC7CE", "9C0006", "C00000"
WARNING_FILL, WARNING_FONT, WARNING_BORDER = "FFCC99", "833C0B", "ED7D31"

MARKS_PREFIX = OWN_SHEET_PREFIX + "marks_"
NAME_PREFIX = "XJR_Marks_"


def marked_sheet_keys(spec: Spec | None = None) -> tuple[str, ...]:
    """The sheets of ``spec``'s form whose cells findings mark (every form: all its sheets but the guide)."""
    spec = spec or get_spec()
    return tuple(s.key for s in spec.sheets if s.key not in UNMARKED_SHEET_KEYS)


def marks_sheet_name(sheet_key: str) -> str:
    """ASCII name of the hidden twin of a spec sheet, e.g. ``_xjr_marks_a3``."""
    return f"{MARKS_PREFIX}{sheet_key}"


def marks_range_name(sheet_key: str) -> str:
    return f"{NAME_PREFIX}{sheet_key}"


def marks_area() -> str:
    return f"A1:{column_letter(MARK_COLS)}{MARK_ROWS}"


def rule_formulas(sheet_key: str) -> tuple[str, str]:
    """(error formula, warning formula) of the two rules on a marked sheet."""
    name = marks_range_name(sheet_key)
    return (f"INDEX({name},ROW(),COLUMN())={MARK_ERROR}", f"INDEX({name},ROW(),COLUMN())={MARK_WARNING}")


# --------------------------------------------------------------------------
# Finding the sheets: by the tables they hold first, then by name.
# --------------------------------------------------------------------------

def _norm(name: str) -> str:
    n = re.sub(r"\s+", "", name)
    return re.sub(r"^(附件|附表)", "附", n)


def locate_sheets(sheet_names: list[str], spec: Spec | None = None,
                  tables: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Map spec sheet key → actual sheet name.

    ``tables`` (sheet name → Excel table names on it) wins: a renamed sheet
    (附件3) that holds ``T3_Enterprises`` is 附3.  Without tables, match the
    master name, its aliases, then the name with spaces and 附件/附表 folded.
    """
    spec = spec or get_spec()
    found: dict[str, str] = {}
    if tables:
        by_table = {t.name.lower(): t.sheet for t in spec.tables}
        for sheet, names in tables.items():
            for tname in names:
                key = by_table.get(tname.lower())
                if key and key not in found and sheet in sheet_names:
                    found[key] = sheet
    taken = set(found.values())
    for s in spec.sheets:
        if s.key in found:
            continue
        candidates = [n for n in sheet_names if n not in taken]
        exact = [n for n in candidates if n == s.name or n in s.aliases]
        loose = [n for n in candidates if _norm(n) == _norm(s.name)]
        pick = (exact or loose or [None])[0]
        if pick:
            found[s.key] = pick
            taken.add(pick)
    return found


def workbook_sheet_keys(wb, spec: Spec | None = None) -> dict[str, str]:
    """:func:`locate_sheets` for an openpyxl workbook (uses its tables)."""
    tables = {ws.title: list(ws.tables.keys()) for ws in wb.worksheets}
    user_sheets = [n for n in wb.sheetnames if not n.startswith(OWN_SHEET_PREFIX)]
    return locate_sheets(user_sheets, spec, tables)


# --------------------------------------------------------------------------
# Installing / removing (openpyxl)
# --------------------------------------------------------------------------

def _dxf(fill: str, font: str, border: str):
    from openpyxl.styles import Border, Font, PatternFill, Side
    from openpyxl.styles.differential import DifferentialStyle
    side = Side(style="thin", color=border)
    return DifferentialStyle(fill=PatternFill(patternType="solid", fgColor=fill, bgColor=fill),
                             font=Font(color=font), border=Border(left=side, right=side, top=side, bottom=side))


def _has_rules(ws, sheet_key: str) -> bool:
    name = marks_range_name(sheet_key)
    return any(name in f for cf in ws.conditional_formatting for r in cf.rules for f in (r.formula or []))


def _is_ours(rule) -> bool:
    return any(NAME_PREFIX in f for f in (rule.formula or []))


def _renumber(ws) -> None:
    """Our two rules first (so a user's own rule cannot hide a mark), the others in their old order."""
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    ours = sorted((r for r in rules if _is_ours(r)), key=lambda r: r.formula[0].endswith(f"={MARK_WARNING}"))
    others = sorted((r for r in rules if not _is_ours(r)), key=lambda r: r.priority or 0)
    for n, r in enumerate(ours + others, start=1):
        r.priority = n


def _remove_rules(ws) -> None:
    """Drop our rules from a sheet, keeping every rule the user made."""
    from openpyxl.formatting.formatting import ConditionalFormattingList
    kept = ConditionalFormattingList()
    for cf in ws.conditional_formatting:
        for r in cf.rules:
            if not _is_ours(r):
                kept.add(str(cf.sqref), r)
    ws.conditional_formatting = kept
    _renumber(ws)


def install_marks(wb, spec: Spec | None = None, sheet_keys: dict[str, str] | None = None) -> bool:
    """Add the marks sheets, names and rules to an openpyxl workbook. Idempotent.

    Returns True when anything was added (so callers can remember that a
    workbook from an older template got the infrastructure from us).
    """
    from openpyxl.formatting.rule import Rule
    from openpyxl.workbook.defined_name import DefinedName
    spec = spec or get_spec()
    sheet_keys = sheet_keys if sheet_keys is not None else workbook_sheet_keys(wb, spec)
    added = False
    for key in marked_sheet_keys(spec):
        sheet = sheet_keys.get(key)
        if sheet is None or sheet not in wb.sheetnames:
            continue
        twin = marks_sheet_name(key)
        if twin not in wb.sheetnames:
            ms = wb.create_sheet(twin)
            ms.sheet_state = "veryHidden"
            added = True
        name = marks_range_name(key)
        target = f"'{twin}'!$A$1:${column_letter(MARK_COLS)}${MARK_ROWS}"
        if name not in wb.defined_names or wb.defined_names[name].attr_text != target:
            wb.defined_names[name] = DefinedName(name, attr_text=target, hidden=True)
            added = True
        ws = wb[sheet]
        if not _has_rules(ws, key):
            err, warn = rule_formulas(key)
            area = marks_area()
            ws.conditional_formatting.add(area, Rule(type="expression", formula=[err], stopIfTrue=True,
                                                     dxf=_dxf(ERROR_FILL, ERROR_FONT, ERROR_BORDER)))
            ws.conditional_formatting.add(area, Rule(type="expression", formula=[warn], stopIfTrue=True,
                                                     dxf=_dxf(WARNING_FILL, WARNING_FONT, WARNING_BORDER)))
            added = True
            _renumber(ws)
    return added


def uninstall_marks(wb) -> None:
    """Remove every trace of the marks infrastructure (for files that did not have it)."""
    for ws in wb.worksheets:
        if not ws.title.startswith(MARKS_PREFIX):
            _remove_rules(ws)
    for name in [n for n in wb.defined_names if n.startswith(NAME_PREFIX)]:
        del wb.defined_names[name]
    for title in [t for t in wb.sheetnames if t.startswith(MARKS_PREFIX)]:
        del wb[title]


def empty_marks(wb) -> None:
    """Remove every code from every marks sheet (keeps sheets, names and rules)."""
    for title in wb.sheetnames:
        if title.startswith(MARKS_PREFIX):
            ws = wb[title]
            ws._cells.clear()       # noqa: SLF001 - the only bulk way to empty a sheet in openpyxl


def marked_cells(wb) -> dict[str, dict[str, int]]:
    """marks sheet → {A1: code} for every code present (tests and diagnostics)."""
    out: dict[str, dict[str, int]] = {}
    for title in wb.sheetnames:
        if title.startswith(MARKS_PREFIX):
            out[title] = {c.coordinate: c.value for row in wb[title].iter_rows() for c in row
                          if c.value is not None}
    return out
