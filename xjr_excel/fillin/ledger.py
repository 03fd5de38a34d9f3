"""What earlier collects into a workbook did, kept in it: so collecting again with more forms gives
the same workbook and report as collecting them all at once.

A very hidden sheet (survives Excel, WPS and LibreOffice, like the tracking record) holds one line
per returned file seen (its report entry, as JSON) and the cells written from forms with the value
written.  On the next collect those files are reported again, an earlier form still competes with
the new ones by date, and a cell still holding what a form wrote is a form's value (a newer form
replaces it), not the city's (which would be a conflict).
"""
from __future__ import annotations

import dataclasses
import json

from xjr_excel.fillin.intake import Returned
from xjr_excel.model import Finding
from xjr_excel.own_sheets import OWN_SHEET_PREFIX

SHEET = OWN_SHEET_PREFIX + "collect"        # very hidden, like every sheet of ours
VERSION = 1
CHUNK = 30000          # characters per cell (Excel holds 32,767)


def _split(text: str) -> list[str]:
    return [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]


def entry(r: Returned) -> dict:
    d = {k: getattr(r, k) for k in ("file", "name", "sha256", "mtime", "kind", "code", "reason", "status",
                                    "record", "record_name", "conflicts", "written")}
    d["findings"] = [dataclasses.asdict(f) for f in r.findings]
    return d


def from_entry(d: dict) -> Returned:
    r = Returned(**{k: d.get(k) for k in ("file", "name", "sha256", "mtime", "kind", "code", "reason", "status",
                                          "record", "record_name")})
    r.conflicts = list(d.get("conflicts") or [])
    r.written = int(d.get("written") or 0)
    r.findings = [Finding(**f) for f in d.get("findings") or []]
    r.carried = True
    for k in ("code", "reason", "status", "record_name"):
        if getattr(r, k) is None:
            setattr(r, k, "")
    return r


def write(wb, returned: list[Returned], written: dict) -> None:
    """Replace the ledger sheet of the openpyxl workbook ``wb``."""
    if SHEET in wb.sheetnames:
        del wb[SHEET]
    ws = wb.create_sheet(SHEET)
    ws.append(["xjr-collect", VERSION])
    for r in returned:
        ws.append(["entry", *_split(json.dumps(entry(r), ensure_ascii=False, default=str))])
    cells = [[s, a, v] for (s, a), v in sorted(written.items())]
    ws.append(["written", *_split(json.dumps(cells, ensure_ascii=False))])
    ws.sheet_state = "veryHidden"


def read(grid: list[list] | None) -> tuple[list[Returned], dict]:
    """(earlier returned files, (sheet, A1) → value key written) from the ledger's values."""
    if not grid or not grid[0] or grid[0][0] != "xjr-collect":
        return [], {}
    returned, written = [], {}
    for line in grid[1:]:
        if not line or line[0] not in ("entry", "written"):
            continue
        text = "".join(str(v) for v in line[1:] if v not in (None, ""))
        try:
            data = json.loads(text)
        except ValueError:
            continue               # a damaged line: that file is simply not carried over
        if line[0] == "entry":
            returned.append(from_entry(data))
        else:
            written = {(s, a): v for s, a, v in data}
    return returned, written
