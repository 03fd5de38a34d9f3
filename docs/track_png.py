"""Render the tracking form for docs/track.md (LibreOffice → PDF → pdftoppm).

    python docs/track_png.py [--out DIR]      (default: docs/)

Writes track-sheet.png (苏州市's sample 跟踪表 after 校验: the first printed page of 目标完成情况,
planted misses marked) and track-province.png (the first page of the provincial 完成情况).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "docs"))

import office  # noqa: E402
from render import page_labels  # noqa: E402

from xjr_excel.annotate.backends.openpyxl_book import annotate_file  # noqa: E402
from xjr_excel.province.consolidate import consolidate  # noqa: E402
from xjr_excel.validate.run import validate_file  # noqa: E402

TRACK = ROOT / "samples" / "track"


def _png(pdf: Path, page: int, tmp: Path, out: Path) -> Path:
    (written,) = office.pdf_to_png(pdf, tmp / out.stem, first=page, last=page, dpi=100)
    shutil.copyfile(written, out)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((ROOT / "samples_src" / "track_manifest.json").read_text(encoding="utf-8"))
    suzhou = TRACK / next(f["file"] for f in manifest["files"] if f["city"] == "苏州市")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        data, found = validate_file(suzhou)
        marked = annotate_file(suzhou, tmp / "苏州市-跟踪表-已校验.xlsx", found, data.spec)
        pdf = office.convert(marked, tmp)
        page = page_labels(pdf).index("跟踪表") + 1
        print(_png(pdf, page, tmp, out / "track-sheet.png"))
        inbox = tmp / "inbox"
        inbox.mkdir()
        for f in manifest["files"]:
            shutil.copy(TRACK / f["file"], inbox / f["file"])
        prov = tmp / "江苏省-完成情况.xlsx"
        consolidate([inbox], prov, province="江苏省", jobs=1, progress=False)
        print(_png(office.convert(prov, tmp), 1, tmp, out / "track-province.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
