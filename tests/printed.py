"""What a printed PDF page *shows*: words with their boxes, and whether each is visible whole.

``pdftotext`` reports every string drawn on a page, also the parts LibreOffice clips away (a merged
title on a later page, text running past a page edge).  So each word's box (``pdftotext -bbox``)
is checked against the rendered page (``pdftoppm -gray``): a word is visible when its first and
last characters leave ink, cut when only one of them does.

Used by the print tests (tests/test_print.py) and docs/province_png.py.
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# characters that leave little or off-centre ink in their box (full-width quotes sit at one side)
SPARSE = set("“”‘’\"'（）()《》〈〉「」『』【】。，、；：！？.,;:!?…—-_·~ ")
INK = 110            # grey level below which a pixel is text (cell borders are 128, fills lighter)
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Page:
    number: int
    width: float                  # points
    height: float
    visible: list[Word] = field(default_factory=list)
    cut: list[Word] = field(default_factory=list)       # partly visible: clipped at a cell or page edge
    hidden: list[Word] = field(default_factory=list)    # drawn but clipped away entirely

    @property
    def text(self) -> str:
        """The visible words in reading order, without spaces (CJK text has none)."""
        return "".join(w.text for w in sorted(self.visible, key=lambda w: (round(w.y0), w.x0)))

    def footer(self) -> list[Word]:
        """Visible words in the bottom margin (our footer: sheet name, 第 n 页 共 m 页)."""
        return sorted((w for w in self.visible if w.y0 > self.height - 0.75 * 72), key=lambda w: w.x0)

    @property
    def sheet(self) -> str:
        """The sheet name our footer prints at its left (&A)."""
        words = self.footer()
        return words[0].text if words else ""

    def shows(self, text: str) -> bool:
        return text in self.text


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if not exe:
        raise RuntimeError(f"{name} is not installed: apt-get install poppler-utils")
    return exe


def _pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    parts = data.split(maxsplit=4)          # P5, width, height, maxval, pixels
    assert parts[0] == b"P5", path
    return int(parts[1]), int(parts[2]), parts[4]


def _units(ch: str) -> float:
    return 1.0 if ord(ch) > 0x2E7F else 0.55      # a CJK character is about twice a Latin one


def printed_pages(pdf: str | Path, dpi: int = 144) -> list[Page]:
    pdf = Path(pdf)
    boxes = subprocess.run([_tool("pdftotext"), "-bbox", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout
    pages = []
    with tempfile.TemporaryDirectory(prefix="xjr-print-") as tmp:
        subprocess.run([_tool("pdftoppm"), "-gray", "-r", str(dpi), str(pdf), str(Path(tmp) / "p")],
                       check=True, capture_output=True, timeout=300)
        images = sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[-1]))
        for number, (m, image) in enumerate(zip(_PAGE.finditer(boxes), images), start=1):
            page = Page(number, float(m.group(1)), float(m.group(2)))
            w, h, px = _pgm(image)
            scale = w / page.width

            def ink(x0: float, x1: float, y0: float, y1: float) -> bool:
                c0, c1 = max(int(x0 * scale), 0), min(int(x1 * scale) + 1, w)
                r0, r1 = max(int(y0 * scale), 0), min(int(y1 * scale) + 1, h)
                return any(min(px[r * w + c0:r * w + c1], default=255) < INK for r in range(r0, r1))

            for wm in _WORD.finditer(m.group(3)):
                x0, y0, x1, y1 = (float(v) for v in wm.groups()[:4])
                text = html.unescape(wm.group(5))
                units = [_units(ch) for ch in text]
                unit_w = (x1 - x0) / max(sum(units), 0.1)
                edges = [x0]
                for u in units:
                    edges.append(edges[-1] + u * unit_w)
                solid = [i for i, ch in enumerate(text) if ch not in SPARSE] or [0, len(text) - 1]

                def char_ink(i: int) -> bool:
                    pad = 0.15 * units[i] * unit_w
                    return ink(edges[i] + pad, edges[i + 1] - pad, y0, y1)

                # two characters at each end: the boxes are estimated, and drift along a long line
                first = any(char_ink(i) for i in solid[:2])
                last = any(char_ink(i) for i in solid[-2:])
                word = Word(text, x0, y0, x1, y1)
                (page.visible if first and last else page.cut if first or last else page.hidden).append(word)
            pages.append(page)
    return pages


def sheet_pages(pages: list[Page], sheet: str) -> list[Page]:
    return [p for p in pages if p.sheet == sheet]
