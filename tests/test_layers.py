"""The layers of docs/architecture.md hold: the import-linter contracts of setup.cfg ([importlinter])
are kept, and a copy of the package with a back-edge, a cycle or a stage importing a form breaks them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import xjr_excel

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept():
    from importlinter.cli import lint_imports
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(config_filename=str(ROOT / "setup.cfg"), no_cache=True) == 0
    finally:
        os.chdir(old)


def _lint_copy(tmp_path: Path, module: str, planted: str) -> subprocess.CompletedProcess:
    shutil.copytree(ROOT / "xjr_excel", tmp_path / "xjr_excel", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    target = tmp_path / "xjr_excel" / module
    target.write_text(target.read_text(encoding="utf-8") + planted, encoding="utf-8")
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}       # the copy, not the installed package
    return subprocess.run([str(lint), "--no-cache", "--config", "setup.cfg"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_copy_is_kept_as_it_is(tmp_path):
    done = _lint_copy(tmp_path, "read/normalize.py", "\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert str(tmp_path) in subprocess.run(
        [sys.executable, "-c", "import xjr_excel; print(xjr_excel.__file__)"], cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)}, capture_output=True, text=True).stdout   # the copy was linted


PLANTS = {
    # a function-level import counts like a module-level one
    "back-edge": ("read/normalize.py", "\n\ndef _planted():\n    from xjr_excel.province import consolidate  # noqa\n",
                  "xjr_excel.read.normalize -> xjr_excel.province.consolidate"),
    "cycle": ("guard/check.py", "\n\ndef _planted():\n    from xjr_excel.guard import ods  # noqa\n",
              "No cycles are allowed in xjr_excel.guard"),
    "stage-imports-a-form": ("validate/run.py", "\n\ndef _planted():\n    from xjr_excel.track import rules  # noqa\n",
                             "xjr_excel.validate.run -> xjr_excel.track.rules"),
}


@pytest.mark.slow
@pytest.mark.parametrize("plant", PLANTS)
def test_a_planted_import_breaks_the_contracts(tmp_path, plant):
    module, code, said = PLANTS[plant]
    done = _lint_copy(tmp_path, module, code)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and said in " ".join(done.stdout.split()), done.stdout


def _parts() -> set[str]:
    """The package's subpackages (``cli/``) and top-level modules (``forms.py``), as the doc writes them."""
    pkg = Path(xjr_excel.__file__).resolve().parent      # the imported package (install checks remove the source)
    # macros/ (the VBA sources, installed as xjr_excel.macros from the top-level folder) holds no Python layer
    subs = {f"{p.name}/" for p in pkg.iterdir() if (p / "__init__.py").is_file()} - {"macros/"}
    mods = {p.name for p in pkg.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    return subs | mods


def test_every_subpackage_and_module_is_in_the_contract_the_doc_table_and_the_picture():
    """A newcomer reads docs/architecture.md's table and picture: no part of the package is missing from
    them, nor from the layers contract (a part outside it could import anything)."""
    import configparser
    parts = _parts()
    assert {"serve/", "fillin/", "forms.py", "cli/"} <= parts
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    layered = {m.strip() for line in cfg["importlinter:contract:layers"]["layers"].splitlines()
               for m in line.split("|") if m.strip()}
    as_modules = {"xjr_excel." + p.rstrip("/").removesuffix(".py") for p in parts}
    assert as_modules == layered, (as_modules ^ layered)
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc.split("## The layers", 1)[1].split("\n## ", 1)[0]
    # the package column (the second) may hold several parts, split by an escaped bar
    in_table = {m for line in table.splitlines() if line.startswith("|")
                for m in re.findall(r"`([a-z_]+(?:/|\.py))`", re.split(r"(?<!\\)\|", line)[2])}
    assert parts == in_table, (parts ^ in_table)
    dot = (ROOT / "docs" / "architecture.dot").read_text(encoding="utf-8")
    labels = set(re.findall(r'label="([a-z_]+(?:/|\.py))', dot))
    assert parts == labels, (parts ^ labels)
    svg = (ROOT / "docs" / "architecture.svg").read_text(encoding="utf-8")
    assert all(f">{p}" in svg for p in parts), [p for p in parts if f">{p}" not in svg]   # rendered from it
