"""The file guard fails closed: when it cannot be imported, nothing reads a workbook unchecked."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# Run the CLI with the guard module unimportable (a broken or partial install).
NO_GUARD = ("import sys; sys.modules['xjr_excel.guard.check'] = None\n"
            "from xjr_excel.cli.main import main; sys.exit(main(sys.argv[1:]))")


def run_without_guard(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", NO_GUARD, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("module", ["xjr_excel.read.names"])
def test_readers_do_not_load_without_the_guard(module):
    code = f"import sys; sys.modules['xjr_excel.guard.check'] = None; import {module}"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "import of xjr_excel.guard.check halted" in proc.stderr


def test_the_workbook_reader_reads_no_file_without_the_guard():
    """read.workbook imports the guard where it reads a file (a ribbon click reads the grids xlwings hands
    over, and need not load it): without the guard, reading a file halts before any byte is parsed."""
    code = ("import sys; sys.modules['xjr_excel.guard.check'] = None\n"
            "import python_calamine\n"
            "opened = []\n"
            "python_calamine.CalamineWorkbook.from_path = staticmethod(lambda *a: opened.append(a))\n"
            "from xjr_excel.read.workbook import read_workbook\n"
            "try:\n    read_workbook(sys.argv[1])\n"
            "except ImportError as e:\n    print('halted', e, opened)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(SAMPLES / "苏州市.xlsx")], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.startswith("halted") and "xjr_excel.guard.check" in proc.stdout, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("[]"), proc.stdout          # calamine never opened the file


def test_validate_and_clear_refuse_without_the_guard(tmp_path):
    book = tmp_path / "苏州市.xlsx"
    shutil.copy2(SAMPLES / book.name, book)
    before = book.read_bytes()

    proc = run_without_guard("validate", book.name, "--annotate", "marked.xlsx", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "程序内部出错" in proc.stderr and proc.stdout == ""      # no findings: nothing was read

    proc = run_without_guard("clear", book.name, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""

    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [book.name]       # no output, no backup
