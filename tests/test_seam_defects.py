"""Small defects of issue 18, each gone: one wording where clear needs an .xlsx, one home for the
workbook suffixes and for the ``_xjr_`` prefix of our own sheets."""
from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

import xjr_excel

from xjr_excel.errors import UserError

PACKAGE = Path(xjr_excel.__file__).resolve().parent     # the imported package (install checks remove the source)


@pytest.mark.parametrize("name", ["常州市.xls", "常州市.ods", "常州市.et"])
def test_clear_says_the_same_in_the_cli_and_the_library(tmp_path, name):
    from xjr_excel.annotate.backends.openpyxl_book import clear_file
    from xjr_excel.cli.validate_cmd import clear_main
    src = tmp_path / name
    src.write_bytes(b"not read: refused by its suffix")
    with pytest.raises(UserError) as cli:
        clear_main(argparse.Namespace(file=str(src), output=None, force=False))
    with pytest.raises(UserError) as lib:
        clear_file(src, tmp_path / "out.xlsx")
    assert cli.value.message == lib.value.message
    assert "无需清除" in cli.value.message and "xjr clear" in cli.value.message


def _string_constants(tree: ast.AST):
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings:
            yield n


def test_the_own_sheet_prefix_and_the_workbook_suffixes_are_written_once():
    prefix, suffixes = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(PACKAGE))
        prefix += [f"{where}:{c.lineno}" for c in _string_constants(tree) if c.value.startswith("_xjr_")]
        for n in ast.walk(tree):      # a literal list of every workbook suffix we read
            if isinstance(n, (ast.Tuple, ast.Set, ast.List)):
                values = {e.value for e in n.elts if isinstance(e, ast.Constant)}
                if {".xlsx", ".xls", ".ods"} <= values:
                    suffixes.append(f"{where}:{n.lineno}")
    assert prefix == ["own_sheets.py:7"]
    assert len(suffixes) == 1 and suffixes[0].startswith("guard/check.py:"), suffixes
