"""read_workbook parses sheets on worker threads and loads each sheet when the tables first need
it; what the user gets must not depend on that: the same data, and a damaged sheet refused
whether or not a table needed it, the first one in workbook order named."""
from __future__ import annotations

import re
import zipfile

import pytest

from conftest_validate import build_grids, write_xlsx

from xjr_excel.errors import InputRejected
from xjr_excel.read.workbook import read_grids, read_workbook


def _damage(src, dst, parts):
    """Copy the package with a broken <dimension> (A0: calamine refuses it) in the given sheet parts."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as out:
        for n in z.namelist():
            data = z.read(n)
            if n in parts:
                data = re.sub(rb'<dimension ref="[A-Z]+\d+', b'<dimension ref="A0', data, count=1)
            out.writestr(n, data)
    return dst


def _part(path, sheet: str) -> str:
    return reader_parts(path)[sheet]


def reader_parts(path) -> dict[str, str]:
    from xjr_excel.read.sheet_xml import XlsxParts
    p = XlsxParts(path)
    try:
        return dict(p.paths)
    finally:
        p.close()


def test_same_data_as_reading_the_grids(tmp_path):
    grids = build_grids()
    path = write_xlsx(grids, tmp_path / "南京市.xlsx")
    from_file, from_grids = read_workbook(path), read_grids(grids, file=str(path))
    assert from_file.sheet_names == list(grids)
    for key, td in from_grids.tables.items():
        got = from_file.tables[key]
        assert (got.sheet, got.header_row, got.columns) == (td.sheet, td.header_row, td.columns)
        assert got.frame.equals(td.frame) and got.raw.equals(td.raw), key
    assert [f.rule for f in from_file.findings] == [f.rule for f in from_grids.findings]


def test_first_damaged_sheet_in_order_is_named(tmp_path):
    grids = build_grids()
    good = write_xlsx(grids, tmp_path / "good.xlsx")
    names = list(grids)
    # the guide comes first in the workbook but no table needs it; 附1 is needed at once: the guide is named
    earlier, later = names[0], "附1"
    assert earlier == "填报说明"
    bad = _damage(good, tmp_path / "南京市.xlsx", {_part(good, later), _part(good, earlier)})
    with pytest.raises(InputRejected) as e:
        read_workbook(bad)
    assert e.value.kind == "damaged" and f"“{earlier}”" in e.value.message and f"“{later}”" not in e.value.message


def test_damaged_sheet_no_table_needs_is_still_refused(tmp_path):
    grids = {**build_grids(), "备注": [["说明"], ["这张表不属于任何附件"]]}
    good = write_xlsx(grids, tmp_path / "good.xlsx")
    assert read_workbook(good).tables["a1"].sheet == "附1"
    bad = _damage(good, tmp_path / "南京市.xlsx", {_part(good, "备注")})
    with pytest.raises(InputRejected) as e:
        read_workbook(bad)
    assert e.value.kind == "damaged" and "“备注”" in e.value.message


def test_worker_threads_are_gone_after_a_read(tmp_path):
    import threading
    path = write_xlsx(build_grids(), tmp_path / "南京市.xlsx")
    read_workbook(path)
    with pytest.raises(InputRejected):
        read_workbook(_damage(path, tmp_path / "坏.xlsx", set(reader_parts(path).values())))
    assert not [t for t in threading.enumerate() if t.name.startswith("xjr-calamine")]
