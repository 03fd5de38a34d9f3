"""One word and one colour for a warning, wherever a user meets it.

The labels are collected from what users read — the terminal, ``--json``, the cell notes, the 校验结果
sheet, the 填报说明 sheet of the master workbook, the ribbon, the README; ``xjr collect``'s terminal,
``--json`` and 回收情况 sheet; the fill-in forms ``xjr forms`` writes; the web page's texts; the
provincial 统计 — and must come to one word per severity; the colour named for a warning mark is the
colour it has (orange, FFCC99), never yellow.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

import xjr_excel
from xjr_excel.template import marks as M
from xjr_excel.annotate import plan as P
from xjr_excel.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "苏州市.xlsx"          # has errors and a warning (〔〕 in a 文号)
MASTER = ROOT / "workbook" / "xjr-master.xlsm"
FORMS = ROOT / "samples" / "forms"
STATIC = Path(xjr_excel.__file__).resolve().parent / "serve" / "static"     # as installed (package data)
# 提示 / 提醒 as the name of a severity: "（提醒）", "提示 3 处", "【提示", "提示：", "提示1个"
OTHER_WORD = re.compile(r"（(提示|提醒)）|(提示|提醒) ?\d+ ?[处个]|【(提示|提醒)|(提示|提醒)标|^\s*(提示|提醒)："
                        r"|[\"'>](提示|提醒)[：\"'<]", re.M)
# yellow named as the colour of a mark (the template's input cells are yellow; the warning mark is orange)
YELLOW_MARK = re.compile(r"标黄|黄色（警告|红/黄|红、黄|黄（提醒|黄（警告")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    import contextlib
    import io
    d = tmp_path_factory.mktemp("vocab")
    texts = {}
    for name, argv in (("cli", ["validate", str(SAMPLE)]), ("json", ["validate", str(SAMPLE), "--json"]),
                       ("annotate", ["validate", str(SAMPLE), "--annotate", str(d / "marked.xlsx")])):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert cli.main(argv) == 1
        texts[name] = buf.getvalue()
    return texts, load_workbook(d / "marked.xlsx")


def warning_and_error_labels(outputs) -> dict[str, set[str]]:
    texts, book = outputs
    found: dict[str, set[str]] = {}
    # terminal: the 级别 column of each finding row, and the totals line
    rows = re.findall(r"^\s+[A-Z]{1,3}\d+\s+(\S+)\s", texts["cli"], re.M)
    totals = re.findall(r"：(\S+) \d+ 处，(\S+) \d+ 处", texts["cli"])
    found["cli"] = set(rows) | {w for pair in totals for w in pair}
    found["json"] = {f["level"] for f in json.loads(texts["json"])["findings"]}
    found["notes"] = {label for ws in book.worksheets for row in ws.iter_rows() for c in row if c.comment
                      for label in re.findall(r"【(\S+?)】", c.comment.text)}
    results = book[P.RESULTS_SHEET]
    header_row = next(r for r in results.iter_rows(values_only=True) if r and r[0] == "序号")
    col = header_row.index("严重程度")
    found["校验结果"] = {r[col] for r in results.iter_rows(values_only=True)
                     if r and isinstance(r[0], int) and r[col]}
    guide = load_workbook(MASTER)["填报说明"]
    found["填报说明"] = {r[0] for r in guide.iter_rows(values_only=True)
                     if r and isinstance(r[1], str) and re.fullmatch(r"[a-z0-9]+\.[a-z0-9_]+", r[1])}
    return found


def test_every_place_calls_a_warning_警告_and_an_error_错误(outputs):
    found = warning_and_error_labels(outputs)
    for place, labels in found.items():
        assert labels == {"错误", "警告"}, (place, labels)     # the sample has both, so every place shows both


def test_no_other_word_and_no_yellow_mark_in_what_users_read(outputs):
    texts, _ = outputs
    guide = load_workbook(MASTER)["填报说明"]
    guide_text = "\n".join(str(v) for row in guide.iter_rows(values_only=True) for v in row if v is not None)
    ribbon = (ROOT / "macros" / "customUI14.xml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md")}
    for place, text in {"cli": texts["cli"], "json": texts["json"], "填报说明": guide_text, "ribbon": ribbon,
                        "README": readme, **docs}.items():
        assert not YELLOW_MARK.search(text), (place, YELLOW_MARK.search(text))
        assert not OTHER_WORD.search(text), (place, OTHER_WORD.search(text))
    for place, text in {"填报说明": guide_text, "ribbon": ribbon, "README": readme}.items():
        assert "橙色" in text, place            # the warning colour is named, as it is


def test_the_colour_named_is_the_colour_of_the_mark():
    assert M.WARNING_FILL.upper().endswith("FFCC99")
    assert "橙色" in (ROOT / "docs" / "annotate.md").read_text(encoding="utf-8")


def test_notes_carry_no_rule_ids_but_results_and_json_do(outputs):
    texts, book = outputs
    notes = [c.comment.text for ws in book.worksheets for row in ws.iter_rows() for c in row if c.comment]
    rule_ids = {f["rule"] for f in json.loads(texts["json"])["findings"]}
    assert notes and rule_ids
    assert not any(rid in note for note in notes for rid in rule_ids)
    results = [v for row in book[P.RESULTS_SHEET].iter_rows(values_only=True) for v in row]
    assert rule_ids <= set(results)


def test_row_messages_name_their_enterprise_or_platform(outputs):
    """附4's 「研发经费支出…初始值3%低于4%」 and 附5's messages say whose figure it is."""
    texts, _ = outputs
    findings = json.loads(texts["json"])["findings"]
    rows = [f for f in findings if f["sheet"] in ("附3", "附4", "附5")]
    assert rows
    for f in rows:
        assert re.match(r"^(企业|平台)“[^”]+”", f["message"]), f
    rd = next(f for f in findings if f["rule"] == "a4.rd_share")
    assert rd["message"].startswith("企业“") and "请核对" in rd["message"]


# ---------------------------------------------------------------- the parts added with the forms and the page

def _plant_a_warning(form: Path) -> None:
    """附4: a 满一年目标 below its 实施期初始值 (a4.target_below_initial, a warning), typed by the labels."""
    wb = load_workbook(form)
    ws = wb["附4"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    row = next(c.row for v, c in cells.items() if v.startswith("有效发明专利数量"))
    start, year1 = cells["实施期初始值"].column, cells["实施期满一年目标"].column
    ws.cell(row, year1).value = ws.cell(row, start).value - 1
    wb.save(form)


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    import contextlib
    import io
    import shutil
    d = tmp_path_factory.mktemp("vocab_collect")
    returned = d / "交回"
    shutil.copytree(FORMS / "交回", returned)
    _plant_a_warning(returned / "附3附4-南京鼎盛新材料科技有限公司.xlsx")
    texts = {}
    for name, columns, extra in (("narrow", "80", ["-o", str(d / "a.xlsx")]),
                                 ("wide", "200", ["-o", str(d / "b.xlsx")]),
                                 ("json", "80", ["-o", str(d / "c.xlsx"), "--json"])):
        buf = io.StringIO()
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(buf):
            mp.setenv("COLUMNS", columns)
            cli.main(["collect", str(FORMS / "南京市-待回收.xlsx"), str(returned), "--jobs", "1", *extra])
        texts[name] = buf.getvalue()
    return texts, load_workbook(d / "a.xlsx")["回收情况"]


def test_collect_calls_a_warning_警告_in_terminal_json_and_its_sheet(collected):
    texts, sheet = collected
    payload = json.loads(texts["json"])
    assert payload["summary"]["warnings"] >= 1 and payload["summary"]["errors"] >= 1      # both to be named
    found = {"json": {x["level"] for f in payload["files"] for x in f["findings"]}}
    # terminal, 80 columns: 「已合并（错误1、警告1）」; wide: the table's columns
    found["terminal"] = set(re.findall(r"(?<=[（、])(\w\w)(?=\d+[、）])", texts["narrow"])) - {"冲突"}
    head = next(line for line in texts["wide"].splitlines() if "名单" in line and "名称" in line)
    found["terminal (wide)"] = {w for w in re.findall(r"\w+", head) if w in ("错误", "警告", "提示", "提醒")}
    rows = [r for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in rows if r[0] == "名单")
    found["回收情况 columns"] = {v for v in header if v in ("错误", "警告", "提示", "提醒")}
    detail = next(i for i, r in enumerate(rows) if r[0] == "问题明细")
    col = rows[detail].index("严重程度")
    found["回收情况 问题明细"] = {r[col] for r in rows[detail + 1:] if r[col]}
    found["回收情况 summary"] = set(re.findall(r"(\w\w)\d+个", rows[1][0])) & {"错误", "警告", "提示", "提醒"}
    for place, labels in found.items():
        assert labels == {"错误", "警告"}, (place, labels)
    for place, text in {**texts, "回收情况": "\n".join(str(v) for r in rows for v in r if v is not None)}.items():
        assert not OTHER_WORD.search(text) and not YELLOW_MARK.search(text), place
        assert "yellow" not in text.lower(), place


def _book_texts(path: Path) -> str:
    wb = load_workbook(path)
    out = []
    for ws in wb.worksheets:
        out += [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        out += [c.comment.text for row in ws.iter_rows() for c in row if c.comment]
        for dv in ws.data_validations.dataValidation:
            out += [dv.promptTitle or "", dv.prompt or "", dv.errorTitle or "", dv.error or ""]
    return "\n".join(out)


def test_the_fill_in_forms_and_xjr_forms_name_no_other_severity_and_no_yellow_mark(tmp_path, capsys):
    assert cli.main(["forms", str(ROOT / "samples" / "南京市.xlsx"), "-o", str(tmp_path)]) == 0
    texts = {"xjr forms": capsys.readouterr().out}
    texts.update({p.name: _book_texts(p) for p in sorted(tmp_path.glob("*.xlsx"))})
    assert len(texts) > 2
    for place, text in texts.items():
        assert not OTHER_WORD.search(text), (place, OTHER_WORD.search(text))
        assert not YELLOW_MARK.search(text), (place, YELLOW_MARK.search(text))


def test_the_web_page_names_a_warning_警告_and_its_colour_橙色():
    page = {p.name: p.read_text(encoding="utf-8") for p in STATIC.iterdir() if p.suffix in (".html", ".js")}
    assert page, STATIC
    text = "\n".join(page.values())
    # the words the page writes for a finding's level and in its counts
    levels = set(re.findall(r'\? "(\w+)" : "(\w+)"', text))
    assert levels == {("错误", "警告")}, levels
    assert "警告（橙色）" in text and "错误（红色）" in text          # the legend under the picture
    for name, t in page.items():
        assert not OTHER_WORD.search(t), (name, OTHER_WORD.search(t))
        assert not YELLOW_MARK.search(t) and not re.search(r"黄|琥珀", t), name
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    assert re.search(r"--warning-fill:\s*#FFCC99", css, re.I)    # the picture's warning is the mark's orange


def test_the_provincial_report_and_its_terminal_call_a_notice_警告(tmp_path, capsys):
    inputs = [str(ROOT / "samples" / f) for f in ("南京市.xlsx", "常州市.xlsx")]   # batches differ: a notice
    out = tmp_path / "全省.xlsx"
    cli.main(["consolidate", *inputs, "-o", str(out), "--province", "江苏省", "--jobs", "1"])
    terminal = capsys.readouterr().out
    stats = "\n".join(str(v) for row in load_workbook(out)["统计"].iter_rows(values_only=True) for v in row
                      if v is not None)
    assert "警告：各市封面的批次不一致" in stats and "警告：各市封面的批次不一致" in terminal
    for place, text in {"统计": stats, "terminal": terminal}.items():
        assert not OTHER_WORD.search(text), (place, OTHER_WORD.search(text))
