"""The README says what the code does: a newcomer copies its commands and looks for its buttons and files.

Every command in the README's command list exists and takes the options written next to it; every
command of ``xjr`` is in the list; every button of the 小巨人 tab is in the buttons table; the files it
names are where it says; ``make demo`` runs end to end and every output it prints is there.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from xjr_excel.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _command_block() -> list[str]:
    block = README.split("## 命令行 / Command line", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("xjr ")]


def test_the_command_list_holds_every_command_and_only_real_options(capsys):
    lines = _command_block()
    listed = {line.split()[1] for line in lines if not line.split()[1].startswith("-")}
    assert listed == set(cli.COMMANDS), listed ^ set(cli.COMMANDS)
    for line in lines:
        command = line.split()[1]
        if command.startswith("-"):
            continue
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        help_text = capsys.readouterr().out
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line.split("#", 1)[0]):
            assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_text), (command, option)


def test_every_button_of_the_tab_is_in_the_readme():
    ribbon = (ROOT / "macros" / "customUI14.xml").read_text(encoding="utf-8")
    buttons = set(re.findall(r'<button [^>]*label="([^"]+)"', ribbon))
    assert {"生成填报表", "回收填报表"} <= buttons
    table = README.split("| 按钮 | 作用 |", 1)[1].split("\n\n", 1)[0]
    missing = [b for b in buttons if f"**{b}**" not in table]
    assert not missing, missing


def test_the_forms_and_web_sections_point_at_their_docs_and_the_files_are_where_it_says():
    assert "xjr forms" in README and "xjr collect" in README and "xjr serve" in README
    assert "](docs/forms.md)" in README and "](docs/serve.md)" in README
    # samples/ holds only workbooks; the generators and the answers are in samples_src/
    assert not list((ROOT / "samples").rglob("*.py")) and not list((ROOT / "samples").rglob("*.json"))
    for name in re.findall(r"`samples_src/([\w.]+)`", README) + ["manifest.json", "generate.py"]:
        assert (ROOT / "samples_src" / name).is_file(), name
    for path in re.findall(r"`((?:samples|docs|workbook|macros)/[^`\s]+?)`", README):
        assert (ROOT / path).exists(), path


@pytest.mark.slow
def test_make_demo_runs_and_every_output_it_prints_is_there(tmp_path):
    out = tmp_path / "演示"
    done = subprocess.run(["make", "demo", f"OUT={out}"], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    printed = done.stdout.split("输出 / outputs:", 1)[1]
    paths = re.findall(rf"{re.escape(str(out))}/\S+", printed)
    assert len(paths) >= 5, printed
    for p in paths:
        assert Path(p).exists(), p
    forms = out / "填报表-南京市"
    assert sorted(p.name for p in forms.glob("附3附4-*.xlsx")) and list(forms.glob("附5-*.xlsx"))
