"""Render pages of a filled sample to PNG for the docs (LibreOffice → PDF → pdftoppm).

    python docs/render.py [WORKBOOK]      (default: samples/南京市.xlsx)

Writes docs/a1.png (附1 page 1), docs/a3.png (附3 page 1) and docs/a3-2.png (附3 page 2: 企业名称,
the title and the note repeat on every page).  Pages are found by the sheet name in our footer.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import office as render  # noqa: E402
from printed import printed_pages, sheet_pages  # noqa: E402

PAGES = {"a1.png": ("附1", 1), "a3.png": ("附3", 1), "a3-2.png": ("附3", 2)}


def page_labels(pdf: Path) -> list[str]:
    """The first word of every page (the sheet label 附1… printed in its top-left corner)."""
    import subprocess
    n = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    labels = []
    for i in range(1, n + 1):
        text = subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout.split()
        labels.append(text[0] if text else "")
    return labels


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    src = Path(argv[0]) if argv else ROOT / "samples" / "南京市.xlsx"
    out = ROOT / "docs"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = render.convert(src, tmp)
        pages = printed_pages(pdf)
        for png, (sheet, n) in PAGES.items():
            page = sheet_pages(pages, sheet)[n - 1].number
            (written,) = render.pdf_to_png(pdf, Path(tmp) / png.removesuffix(".png"), first=page, last=page, dpi=110)
            shutil.copyfile(written, out / png)
            print(f"{out / png}  ← {src.name} {sheet} 第{n}页（PDF 第{page}页）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
