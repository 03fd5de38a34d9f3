"""Regenerate docs/annotated-a3.png and docs/annotated-results.png.

    python docs/render_annotated.py

Builds a city workbook (the committed sample samples/无锡市.xlsx, which has mistakes, when present,
else a master filled with three enterprises, two of them with mistakes),
validates it (xjr_excel.validate.run when present, else a fixed list of findings
worded as the spec's rules), annotates it with xjr_excel.annotate.backends.openpyxl_book and renders
附3 and 校验结果 through LibreOffice.  Look at the PNGs: the failed cells must be
red (error) or amber (warning).
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import openpyxl  # noqa: E402
from samples_src.codes import with_check_digit  # noqa: E402

import office as render  # noqa: E402
from xjr_excel.template import build as template
from xjr_excel.annotate.backends import openpyxl_book as annotate
from xjr_excel.model import Finding  # noqa: E402
from xjr_excel.spec.definition import get_spec  # noqa: E402

DOCS = ROOT / "docs"
CHECKED_AT = dt.datetime(2026, 5, 20, 9, 30)




ENTERPRISES = [
    # name, rep, code, staff, reg date, capital, size, type, industry, segment, category, product,
    # 四基, 四基类别, 填补空白, 空白领域, 补短板, 补短板领域, 简介
    ("南京精工轴承股份有限公司", "王立新", with_check_digit("91320100MA1M9XK2"[:17].ljust(17, "0")), 420,
     dt.date(2008, 3, 2), 5200, "中型", "民营", "C34 通用设备制造业", "高速精密轴承",
     "3449010100 滚动轴承", "高速电主轴轴承", "是", "核心基础零部件（元器件）", "填补国内空白", "高速主轴轴承",
     "否", None, "专业从事高速精密轴承研发制造。"),
    ("江苏新材科技有限公司", "李敏", "91320100MA1M9XK2Z", 150, dt.date(2012, 6, 18), 3000, "中型", "民营",
     "C26 化学原料和化学制品制造业", "电子级湿化学品", "2614000000 有机化学原料", "电子级硫酸", "否", None,
     "填补国内空白", None, "否", None, "主要产品为电子级湿化学品。"),
    ("南京智控系统有限公司", "赵强", with_check_digit("91320115MA1N2B3C4"), 1200, dt.date(2015, 9, 1), 8000, "中型",
     "民营", "C40 仪器仪表制造业", "工业控制", "4011010000 工业自动控制系统装置", "分布式控制系统", "否", None,
     "否", None, "否", None, "提供工业自动化控制系统。"),
]


def fill_sample(path: Path) -> None:
    template.build_workbook(path, city="南京市", batch=3, year=2026, department="南京市工业和信息化局")
    wb = openpyxl.load_workbook(path)
    ws = wb["附3"]
    for i, row in enumerate(ENTERPRISES):
        for j, v in enumerate(row, start=1):
            ws.cell(5 + i, j, v)
    wb["附1"].cell(5, 1, 1)
    wb["附1"].cell(5, 2, ENTERPRISES[0][0])
    wb["附1"].cell(5, 3, "第三批")
    wb.save(path)


def fixed_findings(file: str) -> list[Finding]:
    spec = get_spec()

    def f(cell, field, value, rule, **kw):
        r = spec.rule(rule)
        return Finding(file, "附3", cell, field, str(value), rule, r.severity,
                       r.message.format(field=field, value=value, **kw))
    return [
        f("C6", "统一社会信用代码", "91320100MA1M9XK2Z", "a3.credit_code", reason="校验位不正确"),
        f("G6", "企业规模", "中型", "a3.size_staff", staff=150, industry_group="工业", size="中型", limit=300),
        f("P6", "填补空白具体领域", "", "a3.gap_field", expected="填补国内空白"),
        f("D7", "从业人数（人）", 1200, "a3.size_large", staff=1200, industry_group="工业", limit=1000),
        f("M7", "是否属于《工业“四基”发展目录》所列重点领域", "否", "a3.orientation"),
    ]


# Region of the page to keep (fractions of the page): the sheets print fit-to-width,
# so a crop at high resolution is what makes the marked cells readable.
CROPS = {"annotated-a3": dict(x=(0.03, 0.97), y=(0.06, 0.28), dpi=250),
         "annotated-results": dict(x=(0.02, 0.98), y=(0.03, 0.62), dpi=200)}


def crop_png(pdf: Path, page: int, out: Path, *, x, y, dpi: int) -> None:
    """pdftoppm can crop while rasterising (no image library needed)."""
    w_in, h_in = 11.69, 8.27                  # A4 landscape
    W, H = int(w_in * dpi), int(h_in * dpi)
    x0, y0 = int(x[0] * W), int(y[0] * H)
    cmd = ["pdftoppm", "-png", "-singlefile", "-r", str(dpi), "-f", str(page), "-l", str(page),
           "-x", str(x0), "-y", str(y0), "-W", str(int(x[1] * W) - x0), "-H", str(int(y[1] * H) - y0),
           str(pdf), str(out.with_suffix(""))]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def page_with(pdf: Path, *texts: str) -> int:
    """1-based number of the first PDF page that shows all ``texts``."""
    pages = render.pdf_text(pdf).split("\f")
    for i, page in enumerate(pages, start=1):
        if all(t in page.replace(" ", "") for t in texts):
            return i
    raise SystemExit(f"no page of {pdf} shows {texts!r}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="xjr-doc-") as tmp:
        tmp = Path(tmp)
        sample = ROOT / "samples" / "无锡市.xlsx"
        src = tmp / sample.name
        if sample.exists():
            shutil.copy(sample, src)
        else:
            fill_sample(src)
        try:
            from xjr_excel.validate import run as validate
            _, findings = validate.validate_file(src)
        except ImportError:
            findings = fixed_findings(src.name)
        out = tmp / f"{src.stem}-校验.xlsx"
        annotate.annotate_file(src, out, findings, checked_at=CHECKED_AT)
        view = tmp / f"{src.stem}-view.xlsx"
        compact_a3(out, view)
        pdf = render.convert(view, tmp)
        for markers, name in ((("法定代表人", "主导产品名称"), "annotated-a3"), (("检查时间",), "annotated-results")):
            page = page_with(pdf, *markers)
            crop_png(pdf, page, DOCS / f"{name}.png", **CROPS[name])
            print("wrote", DOCS / f"{name}.png", f"(page {page}; {len(findings)} findings)")


def compact_a3(src: Path, dst: Path) -> None:
    """A copy whose 附3 prints on one page: fit to width, rows capped in height (page setup only)."""
    wb = openpyxl.load_workbook(src)
    ws = wb["附3"]
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = None
    ws.row_breaks.brk = []
    ws.col_breaks.brk = []
    for r in range(5, ws.max_row + 1):
        ws.row_dimensions[r].height = 24
    # each printed page width has its own title and note; on one page, keep the first page's only
    for m in sorted(ws.merged_cells.ranges, key=lambda m: m.min_col):
        if m.min_row in (2, 3) and m.min_col > 2:
            ws.cell(m.min_row, m.min_col).value = None
    wb.save(dst)


if __name__ == "__main__":
    main()
