"""The main job, run by a user's installed ``xjr`` in an empty folder (called by tests/install_check.sh).

Run with the venv's own python: ``VENV/bin/python tests/installed_main_job.py WORKDIR SAMPLES``.
Each step checks what a user would look at: the template is a real .xlsm with its ribbon and
VBA, validate finds the sample's errors and marks them in a copy, clear removes the marks,
consolidate merges every sample city.  Exits non-zero with the failing step on any mismatch.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import olefile
import openpyxl

import xjr_excel

VENV_BIN = Path(sysconfig.get_path("scripts"))
XJR = shutil.which("xjr", path=str(VENV_BIN))
RESULTS_SHEET = "校验结果"


def xjr(*args: str, expect: int, cwd: Path) -> str:
    proc = subprocess.run([XJR, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    if proc.returncode != expect:
        sys.exit(f"FAIL: xjr {' '.join(args)} exited {proc.returncode}, expected {expect}\n"
                 f"{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def check(ok: bool, what: str) -> None:
    if not ok:
        sys.exit(f"FAIL: {what}")
    print(f"ok   {what}")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(work: Path, samples: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    pkg = Path(xjr_excel.__file__).resolve().parent
    check(XJR is not None and Path(sys.prefix) in pkg.parents and "site-packages" in pkg.parts,
          f"xjr_excel and xjr come from the installed venv ({pkg})")
    check(not list(pkg.parent.glob("__editable__*")) and not list(pkg.parent.glob("*.egg-link")),
          "a normal install, not an editable one")

    # template: a macro-enabled master whose VBA project holds our modules and whose ribbon is there
    xjr("template", "-o", "master.xlsm", "--city", "南京市", "--batch", "3", "--year", "2026", expect=0, cwd=work)
    with zipfile.ZipFile(work / "master.xlsm") as z:
        names = set(z.namelist())
        types = z.read("[Content_Types].xml").decode()
        ui = z.read("customUI/customUI14.xml").decode() if "customUI/customUI14.xml" in names else ""
        vba = z.read("xl/vbaProject.bin") if "xl/vbaProject.bin" in names else b""
    check("macroEnabled.main+xml" in types, "template .xlsm has the macro-enabled content type")
    check("onAction=" in ui, "template .xlsm has the ribbon (customUI/customUI14.xml)")
    check(olefile.isOleFile(vba), "template .xlsm has xl/vbaProject.bin")
    with olefile.OleFileIO(vba) as ole:
        project = ole.openstream("PROJECT").read().decode("latin-1")
    for module in ("Module=XjrRibbon", "Module=xlwings", "Document=ThisWorkbook"):
        check(module in project, f"VBA project lists {module}")

    for f in sorted(samples.glob("*.xls*")):
        shutil.copy2(f, work / f.name)
    city = work / "苏州市.xlsx"                   # the sample with errors
    before = sha(city)

    # validate: a clean city passes, the other is reported and marked in a copy
    out = xjr("validate", "南京市.xlsx", expect=0, cwd=work)
    check("未发现问题" in out, "validate: 南京市 has no problems")
    out = xjr("validate", city.name, "--annotate", "苏州市-校验.xlsx", expect=1, cwd=work)
    check("错误" in out, "validate: 苏州市 errors reported")
    check(sha(city) == before, "validate leaves its input untouched")
    marked = openpyxl.load_workbook(work / "苏州市-校验.xlsx", read_only=True).sheetnames
    check(marked[0] == RESULTS_SHEET, "annotate: the marked copy opens on 校验结果")

    # a macro workbook keeps its VBA project, with a document module for every worksheet (added ones too)
    xjr("validate", "扬州市.xlsm", "--annotate", "扬州市-校验.xlsm", expect=0, cwd=work)
    with zipfile.ZipFile(work / "扬州市-校验.xlsm") as z, olefile.OleFileIO(z.read("xl/vbaProject.bin")) as ole:
        project = ole.openstream("PROJECT").read().decode("latin-1")
    documents = set(re.findall(r"^Document=([^/\r\n]+)", project, re.M)) - {"ThisWorkbook"}
    code_names = {ws.sheet_properties.codeName for ws in openpyxl.load_workbook(work / "扬州市-校验.xlsm",
                                                                                keep_vba=True).worksheets}
    check("Module=XjrRibbon" in project and documents == code_names,
          "annotate .xlsm: VBA kept, every worksheet has its document module")
    (work / "扬州市-校验.xlsm").unlink()

    # clear: the marks go, the sheets are the original's again
    xjr("clear", "苏州市-校验.xlsx", "-o", "苏州市-清除.xlsx", expect=0, cwd=work)
    cleared = openpyxl.load_workbook(work / "苏州市-清除.xlsx", read_only=True).sheetnames
    original = openpyxl.load_workbook(city, read_only=True).sheetnames
    check(cleared == original, "clear: the cleared copy has the original's sheets, no 校验结果")
    (work / "苏州市-校验.xlsx").unlink()
    (work / "苏州市-清除.xlsx").unlink()

    # consolidate: every sample city, with the process pool (workers import the installed package)
    cities = sorted(p.name for p in work.glob("*市.xls*"))
    out = xjr("consolidate", *cities, "-o", "out/江苏省汇总.xlsx", "--province", "江苏省", "--jobs", "2",
              "--json", expect=1, cwd=work)     # 1: 苏州市 has errors
    summary = json.loads(out)
    check(len(summary["cities"]) == len(cities) and not summary["skipped"],
          f"consolidate: all {len(cities)} sample cities merged")
    sheets = openpyxl.load_workbook(work / "out" / "江苏省汇总.xlsx", read_only=True).sheetnames
    check(sheets[0] == "统计" and "附1" in sheets, "consolidate: the provincial workbook has 统计 and 附1")
    print(f"main job passed on Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
