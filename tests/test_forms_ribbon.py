"""The 生成填报表 button, run through xlwings' remote engine on the open city workbook: the same forms
as ``xjr forms`` (read from what is on screen, not from the file), the workbook itself untouched."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import ribbon_engine as E  # noqa: I001 - sets the xlwings licence key before xlwings is used
from xjr_excel import ribbon
from xjr_excel.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT / "samples" / "南京市.xlsx"

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def _values(path: Path) -> dict:
    """Every visible sheet's values (the marker's time stamp aside)."""
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c for c in row] for row in ws.iter_rows(values_only=True)]
            for ws in wb.worksheets if ws.sheet_state == "visible"}


def test_forms_button_writes_the_same_forms_as_the_cli(tmp_path):
    model = E.from_file(CITY)
    book = E.open_book(model)
    result = ribbon.forms(book, folder=str(tmp_path / "ribbon"))
    after = E.apply(model, book.json()["actions"])
    assert result is not None, after.alerts
    assert "已生成11个填报表" in after.alerts[-1][0] and str(tmp_path / "ribbon") in after.alerts[-1][0]
    assert main(["forms", str(CITY), "-o", str(tmp_path / "cli")]) == 0
    ribbon_files = sorted(p.name for p in (tmp_path / "ribbon").glob("*.xlsx"))
    assert ribbon_files == sorted(p.name for p in (tmp_path / "cli").glob("*.xlsx")) and len(ribbon_files) == 11
    for name in ribbon_files:
        assert _values(tmp_path / "ribbon" / name) == _values(tmp_path / "cli" / name), name
    assert [s.cells for s in after.sheets] == [s.cells for s in model.sheets]      # the city workbook untouched


def test_forms_button_without_a_folder_explains_itself():
    model = E.from_file(CITY)
    book = E.open_book(model)
    assert ribbon.forms(book) is None
    after = E.apply(model, book.json()["actions"])
    assert "选择保存填报表的文件夹" in after.alerts[-1][0]


def test_forms_button_on_an_open_tracking_workbook_writes_one_form_per_enterprise(tmp_path):
    track = sorted((ROOT / "samples" / "track").glob("南京市*.xlsx"))[0]
    model = E.from_file(track)
    book = E.open_book(model)
    result = ribbon.forms(book, folder=str(tmp_path))
    after = E.apply(model, book.json()["actions"])
    assert result is not None, after.alerts
    assert result["written"] and all(Path(p).name.startswith("目标完成情况-") for p in result["written"])
    assert main(["forms", str(track), "-o", str(tmp_path / "cli")]) == 0
    assert sorted(Path(p).name for p in result["written"]) == sorted(p.name for p in (tmp_path / "cli").glob("*.xlsx"))
