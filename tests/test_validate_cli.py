"""`xjr validate` / `xjr clear` as a user runs them: exit codes, JSON shape, outputs, backups."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest_validate import build_grids, cell_of, with_value, write_xlsx

pytestmark = pytest.mark.slow      # subprocesses / LibreOffice / process pools: `make test-fast` skips these

ROOT = Path(__file__).resolve().parent.parent


def xjr(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=300)


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    clean = write_xlsx(build_grids(), d / "南京市.xlsx")
    broken = write_xlsx(build_grids(with_value("a3", 0, "staff", 299)), d / "苏州市.xlsx")
    warn_only = write_xlsx(build_grids(with_value("a2", 0, "doc_no", "工信部企业函[2020]120号")), d / "无锡市.xlsx")
    text = d / "not-a-workbook.xlsx"
    text.write_text("这不是工作簿", encoding="utf-8")
    return {"clean": clean, "broken": broken, "warn": warn_only, "text": text, "dir": d}


def test_clean_file_exits_0(files):
    r = xjr("validate", files["clean"])
    assert r.returncode == 0, r.stderr
    assert "未发现问题" in r.stdout


def test_warnings_only_exit_0(files):
    r = xjr("validate", files["warn"], "--json")
    assert r.returncode == 0
    payload = json.loads(r.stdout)
    assert payload["summary"] == {"errors": 0, "warnings": 1}


def test_errors_exit_1_with_json_shape(files):
    r = xjr("validate", files["broken"], "--json")
    assert r.returncode == 1, r.stderr
    payload = json.loads(r.stdout)
    assert set(payload) == {"file", "findings", "summary"}
    assert payload["file"] == str(files["broken"])
    assert payload["summary"] == {"errors": 1, "warnings": 0}
    (f,) = payload["findings"]
    assert set(f) == {"sheet", "cell", "field", "value", "rule", "severity", "level", "message"}
    assert (f["sheet"], f["cell"], f["rule"], f["value"]) == ("附3", cell_of("a3", 0, "size"), "a3.size_staff", "中型")
    assert "依据" in f["message"]


def test_human_output_is_grouped_by_sheet(files):
    r = xjr("validate", files["broken"])
    assert r.returncode == 1
    assert "附3（1）" in r.stdout and "a3.size_staff" in r.stdout and "错误 1 处" in r.stdout


def test_unreadable_file_exits_2_with_a_chinese_message(files):
    r = xjr("validate", files["text"])
    assert r.returncode == 2
    assert r.stderr.startswith("错误：") and "Traceback" not in r.stderr
    r = xjr("validate", files["text"], "--json")
    assert r.returncode == 2
    assert json.loads(r.stdout)["error"]
    r = xjr("validate", files["dir"] / "missing.xlsx")
    assert r.returncode == 2 and "找不到" in r.stderr


def test_names_reference(files, tmp_path):
    ref = tmp_path / "公布名单.csv"
    ref.write_text("序号,企业名称\n1,南京精工机械股份有限公司\n2,江苏恒远新材料科技有限公司\n3,南京中科微电子(集团)有限公司\n",
                   encoding="utf-8")
    r = xjr("validate", files["clean"], "--names", ref, "--json")
    assert r.returncode == 1
    found = json.loads(r.stdout)["findings"]
    assert {(f["sheet"], f["cell"]) for f in found} == {("附1", cell_of("a1", 2, "name")), ("附3", cell_of("a3", 2, "name"))}
    assert all(f["rule"] == "names.not_published" and "括号" in f["message"] for f in found)


def test_annotate_writes_a_new_file_and_leaves_the_input(files, tmp_path):
    before = sha(files["broken"])
    out = tmp_path / "苏州市-校验.xlsx"
    r = xjr("validate", files["broken"], "--annotate", out)
    assert r.returncode == 1, r.stderr
    assert sha(files["broken"]) == before
    wb = load_workbook(out)
    assert "附3" in wb.sheetnames and len(wb.sheetnames) > len(load_workbook(files["broken"]).sheetnames)
    # the marked copy validates to the same findings (marks and the results sheet are not data)
    again = json.loads(xjr("validate", out, "--json").stdout)["findings"]
    first = json.loads(xjr("validate", files["broken"], "--json").stdout)["findings"]
    assert [(f["sheet"], f["cell"], f["rule"]) for f in again] == [(f["sheet"], f["cell"], f["rule"]) for f in first]


def test_in_place_keeps_a_backup_and_clear_removes_marks(files, tmp_path):
    work = tmp_path / "常州市.xlsx"
    work.write_bytes(Path(files["broken"]).read_bytes())
    original = sha(work)
    r = xjr("validate", work, "--in-place")
    assert r.returncode == 1, r.stderr
    backup = tmp_path / "常州市.bak.xlsx"
    assert backup.exists() and sha(backup) == original
    assert sha(work) != original
    marked_sheets = load_workbook(work).sheetnames
    cleared = tmp_path / "cleared.xlsx"
    r = xjr("clear", work, "-o", cleared)
    assert r.returncode == 0, r.stderr
    assert len(load_workbook(cleared).sheetnames) < len(marked_sheets)
    r = xjr("validate", cleared, "--json")
    assert json.loads(r.stdout)["summary"]["errors"] == 1      # the data is unchanged, only marks went


def test_policy_file_changes_thresholds(files, tmp_path):
    """Policy is data: a stricter R&D threshold in a copy of policy.toml turns the same workbook red."""
    from xjr_excel.spec.policy import default_data_dir
    text = (default_data_dir() / "policy.toml").read_text(encoding="utf-8")
    assert "rd_share_min = 4 " in text
    policy = tmp_path / "policy.toml"
    policy.write_text(text.replace("rd_share_min = 4 ", "rd_share_min = 6 "), encoding="utf-8")
    r = xjr("validate", files["clean"], "--json", "--policy", policy)
    assert r.returncode == 1, r.stderr
    found = json.loads(r.stdout)["findings"]
    assert {f["rule"] for f in found} == {"a4.rd_share"}
    assert len(found) == 3 and all("低于6%" in f["message"] for f in found)


def test_clear_on_an_xls_says_what_clear_needs(files, tmp_path):
    """An .xls is never annotated: clear says so, names the .xlsx it needs and the command, and leaves the file."""
    xls = tmp_path / "常州市.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)     # an OLE header is enough: never opened
    before = sha(xls)
    r = xjr("clear", xls)
    assert r.returncode == 2
    assert "常州市.xls" in r.stderr and "无需清除" in r.stderr and "未被修改" in r.stderr
    assert "xjr clear 常州市-校验.xlsx" in r.stderr and "xjr validate 常州市.xls --annotate 常州市-校验.xlsx" in r.stderr
    assert sha(xls) == before and sorted(p.name for p in tmp_path.iterdir()) == ["常州市.xls"]


def test_cover_and_plan_alone_fail(tmp_path):
    """附1–附5 empty is not a clean submission: exit 1, the empty 附1 an error, the empty 附2 a warning."""
    from conftest_validate import records
    recs = {k: (v if k == "plan" else []) for k, v in records().items()}
    src = write_xlsx(build_grids(recs), tmp_path / "南京市.xlsx")
    r = xjr("validate", src, "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    got = {(f["rule"], f["severity"]) for f in json.loads(r.stdout)["findings"]}
    assert got == {("a1.empty", "error"), ("a2.empty", "warning")}
    assert "未发现问题" not in xjr("validate", src).stdout
