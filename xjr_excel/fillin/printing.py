"""Print the packet (``xjr forms CITYBOOK --print OUT.pdf|DIR``): every enterprise's 附3/附4 and
every platform's 附5 in form shape, from the rows the city holds.

The forms are written to a temporary folder, rendered by LibreOffice headless (one run for all,
its own throw-away profile so it never collides with an office the user has open), and either
merged into one PDF (pypdf) or kept as one PDF per form.  Nothing is written over a file that is
not ours: the PDF goes to a temporary name and is renamed when complete.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from xjr_excel.errors import OutputExists, UserError
from xjr_excel.fillin.build import build_forms

TIMEOUT_PER_FORM = 60        # seconds LibreOffice may take per form (a cold start takes ~10)


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise UserError("打印填报表需要 LibreOffice（soffice），本机未安装。请安装 LibreOffice，"
                        "或用 -o 生成填报表后在 Excel/WPS 中打印。", kind="no_office")
    return exe


def render(files: list[Path], outdir: Path) -> list[Path]:
    """PDFs of ``files`` (same stems) in ``outdir``: one LibreOffice run for all."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xjr-lo-") as profile:
        cmd = [soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)]
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=60 + TIMEOUT_PER_FORM * len(files))
    pdfs = [outdir / f"{f.stem}.pdf" for f in files]
    missing = [p.name for p in pdfs if not p.exists()]
    if missing:
        raise UserError(f"LibreOffice 未能把{len(missing)}个填报表转为PDF（{'、'.join(missing[:3])}…）："
                        f"{(proc.stderr or proc.stdout).strip()[:200]}", kind="render_failed")
    return pdfs


def _ours_or_absent(target: Path, force: bool) -> None:
    """A PDF we did not just write is somebody's: replace it only with --force."""
    if target.exists() and not force:
        raise OutputExists(f"“{target}”已存在。为避免覆盖您的文件，请换一个输出名称，或加 --force 覆盖。",
                           file=str(target))


def print_packet(book, target, *, spec=None, force: bool = False) -> list[Path]:
    """Render every form of ``book``; ``target`` ending in .pdf → one merged PDF, else a folder
    with one PDF per form.  Returns the PDFs written."""
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="xjr-forms-") as tmp:
        result = build_forms(book, Path(tmp) / "forms", spec=spec)
        if result.failed:
            raise UserError("；".join(f"{f.name}：{why}" for f, why in result.failed), kind="forms_failed")
        files = [p for _f, p in result.written]
        pdfs = render(files, Path(tmp) / "pdf")
        if target.suffix.lower() == ".pdf":
            from pypdf import PdfWriter
            _ours_or_absent(target, force)
            target.parent.mkdir(parents=True, exist_ok=True)
            writer = PdfWriter()
            for pdf in pdfs:
                writer.append(str(pdf), outline_item=pdf.stem)
            part = target.with_name(f".{target.name}.xjr-{os.getpid()}.tmp")
            with open(part, "wb") as fh:
                writer.write(fh)
            os.replace(part, target)
            return [target]
        target.mkdir(parents=True, exist_ok=True)
        out = []
        for pdf in pdfs:
            dest = target / pdf.name
            _ours_or_absent(dest, force)
            shutil.copyfile(pdf, dest)
            out.append(dest)
        return out
