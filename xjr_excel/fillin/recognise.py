"""Is a workbook one of our fill-in forms, and which?  By its marker sheet; without it, by its labels.

The labels are looked at only when the workbook's sheet names are none of a city or tracking
workbook's (封面, 附1, 附2, 实施方案, 目标完成情况 …), so recognising a city workbook costs nothing
more than its sheet names.  The three forms ask in turn with the same grid reader: the grids read
for the first are kept for the others (one read per sheet).
"""
from __future__ import annotations

from xjr_excel.fillin import layout as L
from xjr_excel.fillin.read import cached_grid
from xjr_excel.own_sheets import is_own_sheet

MAX_SHEETS = 8                    # a pasted form has a sheet or two; a workbook with many is no form


def book_sheet_names(spec) -> set[str]:
    """Sheet names (and aliases) of the city workbook and the tracking workbook: a form has none."""
    from xjr_excel.read import normalize as N
    from xjr_excel.track.spec import TRACK_SHEETS
    names = set(TRACK_SHEETS)
    for s in spec.sheets:
        if s.key in ("guide", "cover", "plan", "a1", "a2"):
            names |= {s.name, *s.aliases}
    return {N.squash(N.half_width(n)) for n in names}


def kind_of(sheet_names, read_grid, spec=None) -> str | None:
    """The layout kind (enterprise / platform / track) of the workbook, or None."""
    from xjr_excel.fillin.read import SheetIndex, recognise
    from xjr_excel.read import normalize as N
    from xjr_excel.spec.definition import get_spec
    names = list(sheet_names)
    if L.MARKER_SHEET in names:
        marker = L.read_marker(cached_grid(read_grid, L.MARKER_SHEET))
        return marker["form"] if marker else None
    spec = spec or get_spec()
    data_sheets = [n for n in names if not is_own_sheet(n)]
    if not data_sheets or len(data_sheets) > MAX_SHEETS:
        return None
    if {N.squash(N.half_width(n)) for n in names} & book_sheet_names(spec):
        return None
    indexes = [SheetIndex.of(n, cached_grid(read_grid, n)) for n in data_sheets]
    kind, _placed = recognise(indexes, None, spec)
    return kind


def is_kind(kind: str, sheet_names, read_grid) -> bool:
    return kind_of(sheet_names, read_grid) == kind
