"""Printouts, as LibreOffice prints them: every page of every sheet we write is A4, names the rows
it shows (a city or an enterprise), and cuts nothing off — titles, page-number footers, cell text.

Each workbook is converted to PDF with LibreOffice (tests/office.py); tests/printed.py reads each
page's words with pdftotext and keeps the ones the rendered page really shows (clipped text is
still in the PDF).  Needs LibreOffice and poppler: these tests FAIL when they are missing.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import openpyxl
import pytest

import office as render
from conftest_validate import build_grids, enterprise_a3, enterprise_a4, records, write_xlsx
from printed import printed_pages, sheet_pages
from xjr_excel.cli import main as cli
from xjr_excel.province.consolidate import consolidate
from xjr_excel.spec.definition import get_spec

# LibreOffice renders every workbook: slow.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SPEC = get_spec()
A4 = {595, 842}                      # points, either orientation


def assert_frame(pages, sheet: str) -> None:
    """A4, and the footer (sheet name, 第 n 页 共 m 页) whole on every page."""
    assert pages, f"no printed page of {sheet}"
    total = len(pages[0].footer()) and pages[0].footer()[-2].text
    for p in pages:
        assert {round(p.width), round(p.height)} == A4, (sheet, p.number, p.width, p.height)
        words = [w.text for w in p.footer()]
        assert words[0] == sheet and words[1:] == ["第", str(p.number), "页", "共", total, "页"], (sheet, words)


def assert_nothing_cut(pages) -> None:
    cut = [(p.sheet, p.number, w.text) for p in pages for w in p.cut]
    assert cut == [], cut[:10]


def names_of(path: Path, label: str, header: str) -> set[str]:
    """Values under ``header`` in the sheet labelled ``label`` of a city workbook."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = next(ws for ws in wb.worksheets if ws.title == label)
    rows = list(ws.iter_rows(values_only=True))
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, str) and v.split("\n")[0].strip() == header:
                return {r[j] for r in rows[i + 1:] if isinstance(r[j], str) and r[j].strip()}
    raise AssertionError(f"{header} not found on {label} of {path.name}")


def assert_page_frame(path: Path) -> None:
    """Every visible sheet: A4, the footer margin inside the bottom margin with room for its line
    (LibreOffice cut the page numbers at bottom 0.6", footer 0.5"), and the page-number footer."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        m = ws.page_margins
        assert str(ws.page_setup.paperSize) == "9", (path.name, ws.title, ws.page_setup.paperSize)
        assert m.bottom - m.footer >= 0.4 and m.top - m.header >= 0.4, (path.name, ws.title, m.bottom, m.footer)
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页" and ws.oddFooter.left.text == "&A", (path.name, ws.title)


def test_every_sheet_we_write_has_the_page_frame(province, tmp_path):
    out = tmp_path / "苏州市-校验.xlsx"
    assert cli.main(["validate", str(SAMPLES / "苏州市.xlsx"), "--annotate", str(out)]) == 1
    for path in (ROOT / "workbook" / "xjr-master.xlsm", SAMPLES / "南京市.xlsx", province[0], out):
        assert_page_frame(path)


# ------------------------------------------------------------------ the provincial workbook

@pytest.fixture(scope="module")
def province(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print-province")
    out = tmp / "江苏省汇总.xlsx"
    payload = consolidate([SAMPLES], out, province="江苏省", jobs=1, progress=False)
    pdf = render.convert(out, tmp)
    return out, payload, printed_pages(pdf)


def test_province_pages_are_a4_with_whole_footers_and_nothing_cut(province):
    out, _, pages = province
    sheets = openpyxl.load_workbook(out, read_only=True).sheetnames
    for sheet in sheets:
        assert_frame(sheet_pages(pages, sheet), sheet)
    assert sum(len(sheet_pages(pages, s)) for s in sheets) == len(pages)
    assert_nothing_cut(pages)


def test_province_stats_every_page_names_its_cities(province):
    _, payload, pages = province
    cities = [c["city"] for c in payload["cities"]]
    stats = sheet_pages(pages, "统计")
    assert len(stats) >= 3, "the samples' 统计 spans several pages"
    tables = [p for p in stats if "全省合计" in p.text]       # the chart pages name their cities in the chart
    assert len(tables) >= 3
    for p in tables:
        assert "城市" in p.text and all(c in p.text for c in cities), (p.number, p.text[:200])
    assert "江苏省第2批重点“小巨人”企业汇总统计" in stats[0].text
    # every block's later pages say which block they continue
    assert any("（续）" in p.text for p in stats[1:])
    # the rightmost column of the first block (the file of each city) is printed
    assert all(any(f"{c}.xls" in p.text for p in stats) for c in cities)


@pytest.mark.parametrize("sheet,header_rows", [("附3", "企业名称"), ("附4", "企业名称")])
def test_province_lists_every_page_names_city_and_enterprise_under_a_whole_title(province, sheet, header_rows):
    out, payload, pages = province
    mine = sheet_pages(pages, sheet)
    assert len(mine) >= 4, "wide list: several pages across and down"
    enterprises = set().union(*(names_of(SAMPLES / f, sheet, "企业名称") for f in
                                (x.name for x in SAMPLES.iterdir() if x.suffix in (".xlsx", ".xlsm"))))
    cities = [c["city"] for c in payload["cities"]]
    title = f"江苏省第2批{SPEC.sheet('a3' if sheet == '附3' else 'a4').title}"
    for p in mine:
        assert title in p.text, (p.number, p.text[:120])
        assert any(c in p.text for c in cities) and any(e in p.text for e in enterprises), (p.number, p.text[:300])
    assert any("来源行" in p.text for p in mine), "the rightmost column is printed"


# ------------------------------------------------------------------ a city workbook (the template)

def test_city_attachments_print_the_title_and_the_enterprise_on_every_page(tmp_path):
    src = SAMPLES / "苏州市.xlsx"
    pages = printed_pages(render.convert(src, tmp_path))
    enterprises = names_of(src, "附3", "企业名称")
    for key in ("a3", "a4", "a5"):
        s = SPEC.sheet(key)
        mine = sheet_pages(pages, s.name)
        assert_frame(mine, s.name)
        assert len(mine) >= 2, s.name
        for p in mine:
            assert f"苏州市第2批{s.title}" in p.text, (s.name, p.number, p.text[:160])
            if key != "a5":
                assert any(e in p.text for e in enterprises), (s.name, p.number)
    assert_nothing_cut(pages)


# ------------------------------------------------------------------ 校验结果

def test_results_sheet_is_a4_and_every_page_names_the_file(tmp_path):
    recs = records()
    names = [f"常州市第{i}号精密机械有限公司" for i in range(1, 26)]
    recs["a1"] = [{"seq": i + 1, "name": n, "miit_batch": "第三批"} for i, n in enumerate(names)]
    # three findings per enterprise: 75 rows of results
    recs["a3"] = [enterprise_a3(i + 1, n) | {"legal_rep": "——", "staff": "三百多", "segment": None}
                  for i, n in enumerate(names)]
    recs["a4"] = [enterprise_a4(n) for n in names]
    src = write_xlsx(build_grids(recs, city="常州市"), tmp_path / "常州市.xlsx")
    out = tmp_path / "常州市-校验.xlsx"
    assert cli.main(["validate", src, "--annotate", str(out)]) == 1
    pages = sheet_pages(printed_pages(render.convert(out, tmp_path)), "校验结果")
    assert len(pages) >= 2, "75 findings span several pages"
    assert_frame(pages, "校验结果")
    for p in pages:
        assert "校验结果：常州市.xlsx" in p.text, (p.number, p.text[:120])
        assert "说明" in p.text                                  # the table header repeats
    assert_nothing_cut(pages)
