"""One word and one colour for a warning, wherever a user meets it.

The labels are collected from what users read — the terminal, ``--json``, the cell notes, the 校验结果
sheet, the 填报说明 sheet of the master workbook, the ribbon, the README — and must come to one word per
severity; the colour named for a warning mark is the colour it has (orange, FFCC99), never yellow.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xjr_excel.template import marks as M
from xjr_excel.annotate import plan as P
from xjr_excel.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "苏州市.xlsx"          # has errors and a warning (〔〕 in a 文号)
MASTER = ROOT / "workbook" / "xjr-master.xlsm"
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
        # 提示 / 提醒 as the name of a severity: "（提醒）", "提示 3 处", "【提示"
        assert not re.search(r"（(提示|提醒)）|(提示|提醒) \d+ 处|【(提示|提醒)|(提示|提醒)标", text), place
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
