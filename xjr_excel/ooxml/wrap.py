"""How many lines a text wraps to in a column: the one estimate every sheet we write sizes its
rows by (neither Excel nor LibreOffice grows a row to fit wrapped text when it opens a file)."""
from __future__ import annotations

import math
from functools import lru_cache


@lru_cache(maxsize=65536)      # the provincial lists ask for the same texts (cities, choices) again and again
def wrapped_lines(text: str, width: float, pt: float = 10) -> int:
    """Lines ``text`` wraps to in a column ``width`` units wide at ``pt`` points (each line break
    starts a line).  A CJK character is ~``pt`` wide, a Latin one half that; a width unit is ~5.25 pt
    in Excel (LibreOffice lays it out wider, so an estimate that fits Excel fits both)."""
    text = str(text)
    per_line = max(width * 5.25 / pt, 1.0)
    if len(text) <= int(per_line) and "\n" not in text:
        return 1                  # every character is at most one unit: one line (most cells of a list)
    lines = 0
    for part in text.split("\n"):
        units = sum(1.0 if ord(ch) > 0x2E7F else 0.5 for ch in part)
        lines += max(1, math.ceil(units / int(per_line)))
    return lines
