"""Nothing destroyed, nothing surprising: clear -o onto its input, non-workbooks in an inbox, track on an
uncorrected submission."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from xjr_excel.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_clear_onto_its_own_input_is_refused_and_leaves_it_byte_identical(tmp_path, capsys):
    x = shutil.copy(SAMPLES / "苏州市.xlsx", tmp_path / "X.xlsx")
    marked = tmp_path / "X-校验.xlsx"
    assert cli.main(["validate", str(x), "--annotate", str(marked)]) == 1
    before = sha(marked)
    for output in (marked, tmp_path / "." / marked.name):          # the same file however it is spelled
        assert cli.main(["clear", str(marked), "-o", str(output)]) == 2
        assert "与输入文件相同" in capsys.readouterr().err
        assert sha(marked) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X-校验.xlsx", "X.xlsx"]    # no backup, no temporary


def test_samples_folder_holds_workbooks_only():
    assert {p.suffix for p in SAMPLES.rglob("*") if p.is_file()} <= {".xlsx", ".xlsm"}


def test_plain_non_workbooks_in_an_inbox_are_listed_as_ignored_not_failed(tmp_path, capsys):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    shutil.copy(SAMPLES / "南京市.xlsx", inbox)                    # the clean city
    for name in ("说明.txt", "generate.py", "manifest.json", "README.md"):
        (inbox / name).write_text("x", encoding="utf-8")
    (inbox / "苏州市.docx").write_bytes(b"PK\x03\x04")              # a city's mistake still counts
    code = cli.main(["consolidate", str(inbox), "-o", str(tmp_path / "汇总.xlsx"), "--province", "江苏省", "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 1 and "未合并的文件：1个" in out and "苏州市.docx" in out.replace("\n", ""), out
    (inbox / "苏州市.docx").unlink()
    code = cli.main(["consolidate", str(inbox), "-o", str(tmp_path / "汇总.xlsx"), "--province", "江苏省", "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    ignored = next(line for line in out.splitlines() if line.startswith("已忽略"))
    assert all(n in ignored for n in ("说明.txt", "generate.py", "manifest.json", "README.md"))


def test_track_on_a_submission_with_errors_warns_with_the_count(tmp_path, capsys):
    from xjr_excel.findings import summary
    from xjr_excel.validate.run import validate_file
    errors = summary(validate_file(SAMPLES / "苏州市.xlsx")[1])["errors"]
    assert errors > 0
    assert cli.main(["track", str(SAMPLES / "苏州市.xlsx"), "-o", str(tmp_path / "t.xlsx"), "--period", "1"]) == 0
    err = capsys.readouterr().err
    assert f"仍有{errors}个错误" in err and "未改正" in err
    assert cli.main(["track", str(SAMPLES / "南京市.xlsx"), "-o", str(tmp_path / "n.xlsx"), "--period", "1"]) == 0
    assert "错误" not in capsys.readouterr().err
