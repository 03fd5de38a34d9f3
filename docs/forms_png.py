"""Render the fill-in forms for docs/forms.md (xjr forms → LibreOffice → PDF → pdftoppm).

    python docs/forms_png.py [--out DIR]      (default: docs/)

Writes forms-a3.png, forms-a3-2.png (企业简介 page), forms-a4.png (南京市's first enterprise) and
forms-a5.png, forms-a5-2.png (its first platform), forms-track.png (the first tracking form).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import office  # noqa: E402

from xjr_excel.fillin.build import build_forms  # noqa: E402


def _pngs(src: Path, tmp: Path, out: Path, names: list[str]) -> None:
    pdf = office.convert(src, tmp)
    pages = office.pdf_to_png(pdf, tmp / src.stem.replace(" ", "_"), dpi=90)
    for page, name in zip(pages, names):
        shutil.copyfile(page, out / name)
        print(out / name)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs"))
    out = Path(ap.parse_args(argv).out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        forms = [p for _f, p in build_forms(ROOT / "samples" / "南京市.xlsx", tmp / "forms").written]
        ent = next(p for p in forms if p.name.startswith("附3附4-"))
        plat = next(p for p in forms if p.name.startswith("附5-"))
        _pngs(ent, tmp, out, ["forms-a3.png", "forms-a3-2.png", "forms-a4.png"])
        _pngs(plat, tmp, out, ["forms-a5.png", "forms-a5-2.png"])
        track = sorted((ROOT / "samples" / "track").glob("南京市*.xlsx"))[0]
        tforms = [p for _f, p in build_forms(track, tmp / "track").written]
        _pngs(tforms[0], tmp, out, ["forms-track.png"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
