"""Render workbooks with LibreOffice headless (PDF) and poppler (PNG).

Used by tests and by ``docs/`` to look at what users will see. Each call
gets its own LibreOffice profile so parallel runs never collide.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise RuntimeError("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    return exe


def convert(src: str | Path, outdir: str | Path, fmt: str = "pdf", timeout: int = 180) -> Path:
    """``soffice --headless --convert-to FMT``; returns the written file."""
    src, outdir = Path(src).resolve(), Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xjr-lo-") as profile:
        cmd = [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", fmt, "--outdir", str(outdir), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    out = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"LibreOffice could not convert {src}: {proc.stdout} {proc.stderr}")
    return out


def pdf_to_png(pdf: str | Path, prefix: str | Path, first: int = 1, last: int | None = None, dpi: int = 80) -> list[Path]:
    """``pdftoppm -png``; returns the PNG pages written."""
    exe = shutil.which("pdftoppm")
    if not exe:
        raise RuntimeError("pdftoppm is not installed: apt-get install poppler-utils")
    cmd = [exe, "-png", "-r", str(dpi), "-f", str(first)] + (["-l", str(last)] if last else []) + [str(pdf), str(prefix)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    prefix = Path(prefix)
    return sorted(prefix.parent.glob(prefix.name + "-*.png"))


def pdf_text(pdf: str | Path) -> str:
    """Text of a PDF (pdftotext), to check what a rendered page says."""
    exe = shutil.which("pdftotext")
    if not exe:
        raise RuntimeError("pdftotext is not installed: apt-get install poppler-utils")
    return subprocess.run([exe, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
