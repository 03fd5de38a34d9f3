"""The command line answers in Chinese from the first keystroke: usage, errors, help, 示例, --version."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from rich.cells import cell_len

from xjr_excel.cli import main as cli

# argparse's own English frame: none of it may reach a user
ENGLISH_FRAME = re.compile(r"usage:|options:|positional arguments|error:|required|unrecognized|"
                           r"show this help|invalid choice|expected one argument|not allowed with")


def run(capsys, monkeypatch, *argv, columns=80):
    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit) as exit_:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_validate_without_a_file_says_so_in_chinese(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "validate")
    assert code == 2 and out == ""
    assert err.startswith("用法：xjr validate")
    assert "xjr validate：错误：缺少必需的参数：文件" in err
    assert "xjr validate --help" in err          # where to read more
    assert not ENGLISH_FRAME.search(err), err


@pytest.mark.parametrize("argv, reason", [
    (("validate", "a.xlsx", "--bogus"), "无法识别的参数：--bogus"),
    (("validate", "a.xlsx", "--annotate", "b.xlsx", "--in-place"), "参数 --in-place：不能与参数 --annotate 同时使用"),
    (("track", "a.xlsx", "-o", "b.xlsx", "--period", "3"), "参数 --period：无效的选项 3"),
    (("template", "-o", "a.xlsx", "--batch", "三"), "参数 --batch：'三' 不是有效的整数"),
    (("consolidate", "a", "-o", "b.xlsx", "--jobs"), "参数 --jobs：需要一个值"),
    (("validat", "a.xlsx"), "参数 子命令：无效的选项 'validat'"),
    ((), "缺少必需的参数：子命令"),
])
def test_wrong_options_are_refused_in_chinese(capsys, monkeypatch, argv, reason):
    code, out, err = run(capsys, monkeypatch, *argv)
    assert code == 2
    assert "：错误：" in err and reason in err, err
    assert not ENGLISH_FRAME.search(err), err


@pytest.mark.parametrize("command", [None, *cli.COMMANDS])
def test_help_is_chinese_with_examples_and_fits_80_columns(capsys, monkeypatch, command):
    code, out, err = run(capsys, monkeypatch, *([command] if command else []), "--help")
    assert code == 0 and err == ""
    assert out.startswith("用法：xjr") and "选项：" in out and "显示本帮助并退出" in out
    assert not ENGLISH_FRAME.search(out), out
    examples = out.split("示例：\n", 1)[1].splitlines()
    # every sub-command's help shows runnable examples of itself; the top level one per command
    assert any(line.strip().startswith(f"xjr {command or ''}") for line in examples)
    if command is None:
        assert {line.split()[1] for line in examples if line.startswith("  xjr ")} == set(cli.COMMANDS)
    wide = [line for line in out.splitlines() if cell_len(line) > 80 and not line.startswith("  xjr ")]
    assert not wide, wide        # the examples are commands to copy, so they are not wrapped
    assert "\u200b" not in out   # the alignment padding never reaches the screen


def test_help_column_is_aligned_by_display_width(capsys, monkeypatch):
    _, out, _ = run(capsys, monkeypatch, "validate", "--help")
    starts = {cell_len(line.split("将标记写入")[0]) for line in out.splitlines() if "将标记写入" in line}
    starts |= {cell_len(line.split("以JSON输出结果")[0]) for line in out.splitlines() if "以JSON输出结果" in line}
    assert len(starts) == 1, out          # "--annotate 输出" (Chinese metavar) lines up with "--json"


def test_version(capsys, monkeypatch):
    from importlib.metadata import version
    code, out, _ = run(capsys, monkeypatch, "--version")
    assert code == 0 and version("xjr-excel") in out


@pytest.mark.slow
def test_python_dash_m_runs_the_cli():
    """PCs where the `xjr` script is not on PATH: `python -m xjr_excel` is the same command."""
    proc = subprocess.run([sys.executable, "-m", "xjr_excel", "validate"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "缺少必需的参数：文件" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "xjr_excel", "spec"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "附1" in proc.stdout


def test_findings_stay_readable_at_80_columns():
    """At 80 columns each message gets nearly the whole width (the table squeezed 说明 to 6–8 characters)."""
    import io

    from rich.console import Console

    from xjr_excel import findings as F
    from xjr_excel.validate.run import validate_file
    from pathlib import Path
    sample = Path(__file__).resolve().parent.parent / "samples" / "苏州市.xlsx"
    _, found = validate_file(sample)
    buf = io.StringIO()
    F.render(str(sample), found, console=Console(file=buf, width=80, color_system=None))
    lines = buf.getvalue().splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    groups, current = [], []
    for line in lines:                  # a message is the run of lines indented by four under its heading
        if line.startswith("    "):
            current.append(line.rstrip())
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    squeeze = lambda t: "".join(t.split())      # noqa: E731 - wrapping may break at a space
    assert [squeeze("".join(g)) for g in groups] == [squeeze(f.message) for f in F.sort_findings(found, [])] or \
        sorted(squeeze("".join(g)) for g in groups) == sorted(squeeze(f.message) for f in found)
    for g in groups:                    # every line of a message but its last is at least 60 columns wide
        assert all(cell_len(line) >= 60 for line in g[:-1]), g
