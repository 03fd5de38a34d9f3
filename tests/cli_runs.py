"""Run many ``xjr`` command lines, each in a process of its own, without paying for a fresh Python each time.

    python tests/cli_runs.py JOBS.json     # prints the exit codes as a JSON list

This process imports the command line and the libraries its commands load, once; then each job is
a child forked from it that runs ``xjr_excel.cli.main.main(argv)`` in the job's folder, with its
standard output and error going to the job's files and ``XJR_LOG_DIR`` set: what a user's run
does, minus the seconds of imports (a corpus of hundreds of runs stays within minutes on two
cores).  Anything that escapes ``main`` — which a user would see as a traceback — is printed as
one to the job's standard error and exits 99.

A job: {"argv": [...], "cwd": DIR, "stdout": FILE, "stderr": FILE, "logs": DIR}.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WARM = ("xjr_excel.validate.run", "xjr_excel.read.workbook", "xjr_excel.annotate.backends.openpyxl_book",
        "xjr_excel.province.consolidate", "xjr_excel.track.source", "openpyxl", "python_calamine", "xlrd", "olefile",
        "msoffcrypto", "rich.console")


def _child(job: dict, cli) -> None:
    code = 99
    try:
        os.chdir(job["cwd"])
        os.environ["XJR_LOG_DIR"] = job["logs"]
        for fd, name in ((1, "stdout"), (2, "stderr")):
            target = os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(target, fd)
            os.close(target)
        code = cli.main(job["argv"])
    except SystemExit as e:                 # argparse refusing an argument
        code = e.code if isinstance(e.code, int) else 2
    except BaseException:                   # noqa: BLE001 - what a user would see as a traceback
        traceback.print_exc()
        code = 99
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run(jobs: list[dict]) -> list[int]:
    from xjr_excel.cli import main as cli
    for module, _ in cli.COMMANDS.values():
        importlib.import_module(module)
    for module in WARM:
        importlib.import_module(module)
    codes = []
    for job in jobs:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(job, cli)
        codes.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    return codes


if __name__ == "__main__":
    print(json.dumps(run(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))))
