"""Fill a fill-in form as a person would: find each printed label, type into the input cell beside it.

Deliberately independent of ``xjr_excel.fillin.layout``: cells are found by their labels (the spec's
header texts, the seed's wording) and by what a person sees: the input cell is the first unlocked
cell to the right of the label (the form is protected; only input cells are unlocked), a 附4 value
sits where the indicator's row meets its period's column, a 附5 list under its section title.
"""
from __future__ import annotations

import unicodedata

from openpyxl.utils.cell import range_boundaries


def key(text) -> str:
    t = unicodedata.normalize("NFKC", str(text))
    return "".join(t.split()).replace("★", "").rstrip(":")


class Sheet:
    def __init__(self, ws):
        self.ws = ws
        self.cells: dict[str, list] = {}
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.strip():
                    self.cells.setdefault(key(c.value), []).append(c)
        self.merged = [range_boundaries(str(r)) for r in ws.merged_cells.ranges]

    def span(self, cell) -> tuple[int, int, int, int]:
        for c1, r1, c2, r2 in self.merged:
            if r1 <= cell.row <= r2 and c1 <= cell.column <= c2:
                return c1, r1, c2, r2
        return cell.column, cell.row, cell.column, cell.row

    def label(self, text: str, nth: int = 0):
        hits = self.cells.get(key(text), [])
        if not hits:
            raise LookupError(f"label {text!r} not on sheet {self.ws.title}")
        return sorted(hits, key=lambda c: (c.row, c.column))[nth]

    def input_right_of(self, text: str):
        """The first unlocked cell right of the label (on any row of the label's merged range)."""
        for lab in sorted(self.cells.get(key(text), []), key=lambda c: (c.row, c.column)):
            c1, r1, c2, r2 = self.span(lab)
            for r in range(r1, r2 + 2):        # the label's rows (and the row under a tall label)
                for c in range(c2 + 1, c2 + 8):
                    cell = self.ws.cell(r, c)
                    if not cell.protection.locked:
                        return cell
        raise LookupError(f"no input cell beside {text!r} on {self.ws.title}")


def field_label(f) -> str:
    return f.header.replace("\n", "")


def fill_enterprise(wb, spec, a3: dict, a4: dict) -> None:
    """Type the 附3 values (field key → value) and 附4 values (field key → value) into the form."""
    s3 = Sheet(wb[spec.sheet("a3").name])
    t3 = spec.table("a3")
    for k, v in a3.items():
        if k == "name":
            continue                       # prefilled and locked
        s3.input_right_of(field_label(t3.field(k))).value = v
    s4 = Sheet(wb[spec.sheet("a4").name])
    cols = {}
    for period, label in spec.periods:
        cols[period] = s4.label(label).column
    for ind in spec.indicators:
        row = s4.label(ind.header).row
        for period, _ in spec.periods:
            k = f"{ind.key}_{period}"
            if k in a4:
                s4.ws.cell(row, cols[period]).value = a4[k]


def fill_platform(wb, spec, basic: dict, lists: dict[str, list[dict]]) -> None:
    """附5: basic values by label; each sub-table's rows (field key → value) under its section title."""
    s = Sheet(wb[spec.sheet("a5").name])
    tb = spec.table("a5_basic")
    for k, v in basic.items():
        if k == "unit":
            continue
        s.input_right_of(field_label(tb.field(k))).value = v
    for tkey, rows in lists.items():
        t = spec.table(tkey)
        title = s.label(t.title)
        header_row = title.row + 1
        cols = {}
        for f in t.fields:
            if f.key == "unit":
                continue
            want = key(field_label(f)) if f.key != "seq" else key("序号")
            for c in range(1, s.ws.max_column + 1):
                v = s.ws.cell(header_row, c).value
                if isinstance(v, str) and key(v) == want:
                    cols[f.key] = c
                    break
        r = header_row + 1
        if "year" in cols:                  # year rows are prefilled: type each year's figures on its row
            by_year = {}
            while str(s.ws.cell(r, cols["year"]).value or "").strip().isdigit():
                by_year[int(s.ws.cell(r, cols["year"]).value)] = r
                r += 1
            for rec in rows:
                at = by_year[int(rec["year"])]
                for k, v in rec.items():
                    if k in cols and k != "year":
                        s.ws.cell(at, cols[k]).value = v
            continue
        for i, rec in enumerate(rows):
            for k, v in rec.items():
                if k in cols:
                    s.ws.cell(r + i, cols[k]).value = v


def fill_track(wb, sheet: str, actual: dict, reason: str | None, indicators, reason_label: str = "未完成原因") -> None:
    """目标完成情况: each indicator's 实际值 on its row; the reason beside its label."""
    s = Sheet(wb[sheet])
    col = s.label("实际值").column
    for ind in indicators:
        if ind.key in actual:
            s.ws.cell(s.label(ind.header).row, col).value = actual[ind.key]
    if reason is not None:
        s.input_right_of(reason_label).value = reason
