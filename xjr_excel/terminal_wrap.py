"""Chinese text wrapped to a terminal width (the 80-column command prompt): by display cells, a Chinese
character being two; breaks between any two Chinese characters, never inside a Latin word, code or number
(GB 32100-2015, 025-83331234) unless it is wider than a line; closing punctuation never starts a line.

Hand-written because rich's ``Text.wrap`` drops characters at CJK line breaks in rich 13.0 (our lowest
supported pin) and textwrap counts characters, not cells.
"""
from __future__ import annotations

import re

from rich.cells import cell_len

_TOKEN = re.compile(r"[A-Za-z0-9@._%+\-/#〔〕]+|\s+|.", re.S)
# 避头: a line may not start with these; the character before moves down with them
_NO_LINE_START = set("，。、；：？！）」』】〕”’…%")


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` cells; line breaks in ``text`` are kept, runs of spaces become one."""
    width = max(width, 4)
    out: list[str] = []
    for paragraph in text.split("\n"):
        out += _wrap_one(paragraph, width)
    return out


def _wrap_one(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for tok in _TOKEN.findall(text):
        if tok.isspace():
            if line and cell_len(line) < width:
                line += " "
            continue
        while cell_len(tok) > width:                 # a token wider than a line: cut it, as it must be
            room = width - cell_len(line)
            cut = max(1, _fit(tok, room)) if room > 0 else 0
            if cut == 0:
                lines.append(line.rstrip())
                line = ""
                continue
            lines.append((line + tok[:cut]).rstrip())
            line, tok = "", tok[cut:]
        if cell_len(line) + cell_len(tok) > width:
            carry = ""
            if tok[0] in _NO_LINE_START and len(line.rstrip()) > 1:
                carry, line = line.rstrip()[-1], line.rstrip()[:-1]
            lines.append(line.rstrip())
            line = carry
        line += tok
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _fit(text: str, cells: int) -> int:
    """How many leading characters of ``text`` fit in ``cells``."""
    n = used = 0
    for ch in text:
        used += cell_len(ch)
        if used > cells:
            break
        n += 1
    return n


def print_wrapped(console, text: str, *, label: str = "", style: str = "", lead: int = 0, indent: int = 2) -> None:
    """Print ``label + text`` wrapped to the console's width: the first line indented by ``lead`` cells,
    the next ones by ``indent``; the ``label`` (a word such as 警告：) in ``style``.  Plain text only."""
    from rich.text import Text
    lines = wrap(label + text, max(console.width - max(lead, indent), 20))
    for i, line in enumerate(lines):
        out = Text(" " * (indent if i else lead))
        if i == 0 and label and style:
            out.append(line[:len(label)], style=style)
            out.append(line[len(label):])
        else:
            out.append(line)
        console.print(out, soft_wrap=True)
