"""Regenerate docs/province-stats.png and docs/province-a1.png: the 统计 and 附1 sheets of the
provincial workbook merged from samples/, as LibreOffice prints them (first page of each).

Usage:  python docs/province_png.py [--out docs] [--dpi 80]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from openpyxl import load_workbook  # noqa: E402

import office as render  # noqa: E402
from xjr_excel.province.consolidate import consolidate  # noqa: E402

SHEETS = {"统计": "province-stats", "附1": "province-a1"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(ROOT / "docs"))
    ap.add_argument("--dpi", type=int, default=80)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xjr-docs-") as tmp:
        tmp = Path(tmp)
        book = tmp / "江苏省汇总.xlsx"
        consolidate([ROOT / "samples"], book, province="江苏省", jobs=1, progress=False)
        for sheet, stem in SHEETS.items():
            wb = load_workbook(book)
            for ws in list(wb.worksheets):
                if ws.title != sheet:
                    wb.remove(ws)
            one = tmp / f"{stem}.xlsx"
            wb.save(one)
            pdf = render.convert(one, tmp)
            pages = render.pdf_to_png(pdf, tmp / stem, first=1, last=1, dpi=args.dpi)
            shutil.copy(pages[0], out / f"{stem}.png")
            print(out / f"{stem}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
