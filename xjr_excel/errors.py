"""User-facing errors: one Chinese sentence, exit codes, no tracebacks.

Exit codes: 0 no errors, 1 findings with errors, 2 the input cannot be read.
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
import tempfile
import traceback
from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2


class UserError(Exception):
    """An error the user can fix; ``message`` is Chinese first and says how."""
    exit_code = EXIT_UNREADABLE

    def __init__(self, message: str, *, file: str | None = None, kind: str = "error"):
        super().__init__(message)
        self.message = message
        self.file = file
        self.kind = kind      # short machine tag: encrypted, not_workbook, zip_bomb, …


class InputRejected(UserError):
    """The file is not something we will parse (wrong type, encrypted, hostile, not our template)."""


def log_dir() -> Path:
    d = Path(os.environ.get("XJR_LOG_DIR") or Path(tempfile.gettempdir()) / "xjr-logs")
    d.mkdir(parents=True, exist_ok=True)
    return d


def write_log(exc: BaseException) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = log_dir() / f"xjr-{stamp}-{os.getpid()}.log"
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path


def run_guarded(fn, *, debug: bool = False) -> int:
    """Run a command; turn any exception into one readable sentence."""
    try:
        return int(fn() or 0)
    except UserError as e:
        where = f"{e.file}：" if e.file else ""
        print(f"错误：{where}{e.message}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return e.exit_code
    except BrokenPipeError:     # output piped into `head` and closed: not an error
        return EXIT_OK
    except KeyboardInterrupt:
        print("已中断。输出文件未被改动。", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the last line of defence for users
        if debug:
            traceback.print_exc()
        log = write_log(e)
        print(f"错误：程序内部出错（{type(e).__name__}），输入文件未被改动。详细信息已写入日志：{log}"
              f"。请将日志发给技术支持；加 --debug 可显示详细信息。", file=sys.stderr)
        return EXIT_UNREADABLE
