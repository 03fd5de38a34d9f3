"""The counting pass of guard's sheet-extent check gives the replay's verdict, word for word.

``guard._SheetExtent`` counts plain ``<c r="B7">`` / ``<row r="7">`` tags at C speed and
replays a chunk tag by tag only when something in it is not plain or lies past the limits.
Here both run on the same random sheets (odd tags, missing refs, prefixes, far cells,
lower-case and zero-padded refs) under many limits and chunk sizes: same refusal message,
same counts.  A weaker fast path would show up as a file accepted that the replay refuses.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from xjr_excel.guard import check as guard
from xjr_excel.errors import InputRejected


class _ReplayOnly(guard._SheetExtent):
    def _counted(self, data, end):
        return False


def _sheet(rng: random.Random, lim: dict, odd: float) -> bytes:
    R, C = lim["max_rows_per_sheet"], lim["max_columns_per_sheet"]
    out = ['<worksheet><cols><col min="1" max="2"/></cols><sheetData>'] if rng.random() < .5 else ["<sheetData>"]
    row = 0
    for _ in range(rng.randint(0, 40)):
        row += rng.choice([1, 1, 1, 2, 5])
        if rng.random() < 0.05 * odd:
            row = rng.choice([R, R + 1, max(R - 1, 1), 10 * R + 1, 99999999, 1000000000])
        k = rng.random()
        out.append("<row>" if k < .05 * odd else f'<x:row r="{row}">' if k < .08 * odd else
                   f"<row r='{row}'>" if k < .1 * odd else f'<row r="0{row}">' if k < .12 * odd else
                   f'<row r="{row}" spans="1:3">')
        col = 0
        for _ in range(rng.randint(0, 25)):
            col += rng.choice([1, 1, 1, 3])
            if rng.random() < 0.05 * odd:
                col = rng.choice([C, C + 1, max(C - 1, 1), 703, 16384, 18278])
            r = rng.choice([R, R + 1, 1048576]) if rng.random() < 0.02 * odd else row
            ref = f"{guard._col_letters(col)}{r}"
            k = rng.random()
            out.append("<c><v>1</v></c>" if k < .05 * odd else f'<c r="{ref.lower()}"/>' if k < .07 * odd else
                       f'<c s="1" r="{ref}"/>' if k < .09 * odd else f'<x:c r="{ref}"/>' if k < .1 * odd else
                       f'<c r="{r}"/>' if k < .11 * odd else f'<c\nr="{ref}"/>' if k < .12 * odd else
                       '<c r="ABCD1"/>' if k < .13 * odd else f'<c r="{guard._col_letters(col)}0{r}"/>'
                       if k < .14 * odd else f'<c r="{ref}" t="inlineStr"><is><t>文本 {k:.3f}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData><rowBreaks/></worksheet>")
    return "".join(out).encode()


def _verdict(cls, data: bytes, sizes: list[int], lim: dict):
    ext, pos, i = cls(lim), 0, 0
    try:
        while pos < len(data):
            n = sizes[i % len(sizes)]
            ext.feed(data[pos:pos + n])
            ext.check("表1", Path("x.xlsx"), lim)
            pos, i = pos + n, i + 1
        ext.feed(b"", final=True)
        ext.check("表1", Path("x.xlsx"), lim)
    except InputRejected as e:
        return "refused", e.message, ext.rows, ext.cells, ext.values
    return "accepted", ext.rows, ext.cells, ext.values


@pytest.mark.parametrize("seed", range(4))
def test_counting_pass_agrees_with_the_replay(seed, monkeypatch):
    rng = random.Random(seed)
    fast_chunks = []
    counted = guard._SheetExtent._counted
    monkeypatch.setattr(guard._SheetExtent, "_counted",
                        lambda self, d, e: fast_chunks.append(counted(self, d, e)) or fast_chunks[-1])
    seen = set()
    for _ in range(400):
        lim = {"max_rows_per_sheet": rng.choice([0, 1, 9, 10, 99, 100, 20000, 1048576, 10 ** 9]),
               "max_columns_per_sheet": rng.choice([0, 1, 26, 27, 300, 702, 703, 16384, 18278, 18279]),
               "max_value_cells_per_sheet": rng.choice([3, 50, 2000000])}
        data = _sheet(rng, lim, rng.choice([0, 0.01, 0.1, 1]))
        sizes = [rng.choice([1, 7, 50, 300, 4096, 65536]) for _ in range(3)]
        want = _verdict(_ReplayOnly, data, sizes, lim)
        assert _verdict(guard._SheetExtent, data, sizes, lim) == want, (lim, sizes, data[:500])
        seen.add(want[0])
    assert seen == {"refused", "accepted"}
    assert any(fast_chunks) and not all(fast_chunks)      # both ways were taken


def test_limit_patterns_are_exact():
    """The far-content pattern finds exactly the cells with content past the limit; styled blanks never."""
    for rows, cols in ((20000, 300), (1, 1), (10, 27), (100, 703), (1048576, 16384)):
        f = guard._Fast(rows, cols)
        for r in {1, 9, 10, rows - 1, rows, rows + 1, 10 * rows} - {0}:
            for c in {1, 26, 27, cols - 1, cols, cols + 1, 18278} - {0}:
                ref = b"%s%d" % (guard._col_letters(c).encode(), r)
                far = not (r <= rows and c <= cols)
                assert bool(f.far_value.search(b'<c r="%s"><v>1</v></c>' % ref)) == far, (rows, cols, ref)
                assert bool(f.far_value.search(b'<c r="%s" s="1" t="s">' % ref)) == far, (rows, cols, ref)
                assert not f.far_value.search(b'<c r="%s" s="1"/>' % ref)
            assert not guard._Fast.ODD_ROW.search(b'<row r="%d" s="2" customFormat="1"/>' % r)
        assert guard._Fast.ODD_ROW.search(b'<row>') and not guard._Fast.ODD_ROW.search(b'<rowBreaks/>')
        assert guard._Fast.ODD_CELL.search(b'<c><v>1</v></c>') and not guard._Fast.ODD_CELL.search(b'<cols>')
        assert guard._Fast.ODD_CELL.search(b'<conditionalFormatting sqref="A1">') is None
    assert re.fullmatch(guard._at_most("", "0123456789", "1", 9), "1") is None
