"""Regenerate the provincial workbook renders in docs/: the printed pages of 统计 (1–3 and the first
page of charts), 附1 (1), 附3 (2) and 问题清单 (1) of the workbook merged from samples/, as LibreOffice
prints them.

Usage:  python docs/province_png.py [--out docs] [--dpi 80]

The whole workbook is printed once; each page is found by the sheet name our footer prints, and
every render must show a city (统计) or an enterprise (附3), the key its rows are read by.
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

import office as render  # noqa: E402
from printed import printed_pages, sheet_pages  # noqa: E402
from xjr_excel.province.consolidate import consolidate  # noqa: E402

# PNG stem → (sheet, page of that sheet, or the text that begins the page wanted)
PAGES = {"province-stats": ("统计", 1), "province-stats-2": ("统计", 2), "province-stats-3": ("统计", 3),
         "province-stats-charts": ("统计", "九、图表"), "province-a1": ("附1", 1), "province-a3-2": ("附3", 2),
         "province-issues": ("问题清单", 1)}


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
        payload = consolidate([ROOT / "samples"], book, province="江苏省", jobs=1, progress=False)
        cities = [c["city"] for c in payload["cities"]]
        pdf = render.convert(book, tmp)
        pages = printed_pages(pdf)
        for stem, (sheet, n) in PAGES.items():
            mine = sheet_pages(pages, sheet)
            page = next(p for p in mine if n in p.text) if isinstance(n, str) else mine[n - 1]
            if not any(c in page.text for c in cities):
                raise SystemExit(f"{sheet} 第{n}页没有城市名：打印页应标明每行所属的城市或企业。")
            (png,) = render.pdf_to_png(pdf, tmp / stem, first=page.number, last=page.number, dpi=args.dpi)
            shutil.copy(png, out / f"{stem}.png")
            print(f"{out / (stem + '.png')}  ← {sheet} 第{n}页（PDF 第{page.number}页）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
