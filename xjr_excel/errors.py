"""User-facing errors: typed refusals with stable codes, one Chinese sentence, no tracebacks.

Every refusal is one class, declared as a table of ``data/refusals.toml``: a stable ``code``
(``XJR-E-ENCRYPTED``) for machines and ``--json``, an English ``title``, and a Chinese
``template`` used when the raiser has no more precise sentence.  Raisers usually do: the
message names the file, sheet, cell and value and says how to fix it.  (Modelled on
frictionless-py's ``errors/``.)

``InputRejected(message, kind="encrypted")`` still works and gives the class registered
for that kind, so every place that refuses a file picks its class by one short tag.

Exit codes: 0 no errors, 1 findings with errors, 2 the input cannot be read / the command
was refused.
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
import tempfile
import traceback
from pathlib import Path

from xjr_excel.spec.policy import default_data_dir, read_toml

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2

REFUSALS: dict[str, type] = {}      # kind → class, every registered refusal


class UserError(Exception):
    """An error the user can fix; ``message`` is Chinese first and says how."""
    exit_code = EXIT_UNREADABLE
    kind = "error"
    code = "XJR-E-USAGE"
    title = "Cannot do what was asked"
    template = "{detail}"

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "kind" in cls.__dict__:
            assert cls.kind not in REFUSALS, f"kind {cls.kind} declared twice"
            REFUSALS[cls.kind] = cls

    def __new__(cls, *args, kind: str | None = None, **kw):
        # the generic classes given a registered kind become that kind's class
        target = REFUSALS.get(kind) if kind else None
        if target is not None and issubclass(target, cls):
            cls = target
        return super().__new__(cls)

    def __init__(self, message: str | None = None, *, file: str | None = None, kind: str | None = None,
                 **fields):
        if message is None:
            message = self.template.format(file=file, **fields)
        super().__init__(message)
        self.message = message
        self.file = file
        if kind is not None and kind != type(self).kind:
            self.kind = kind       # an unregistered tag keeps its generic class

    def __reduce__(self):     # crosses process pools with its class and message intact
        return (_rebuild, (type(self), self.message, self.file, self.kind))

    def as_json(self) -> dict:
        return {"code": self.code, "kind": self.kind, "title": self.title, "error": self.message}


REFUSALS["error"] = UserError


class InputRejected(UserError):
    """The file is not something we will parse (wrong type, encrypted, hostile, not our template)."""
    kind = "rejected"
    code = "XJR-E-REJECTED"
    title = "Input rejected"
    template = "该文件无法作为填报工作簿读取：{detail}"


# ---------------------------------------------------------------- every refusal, from data/refusals.toml

def _declare_refusals() -> None:
    """One class per table of ``data/refusals.toml``, a name of this module (``errors.Encrypted``)."""
    bases = {"UserError": UserError, "InputRejected": InputRejected}
    for name, row in read_toml(default_data_dir() / "refusals.toml").items():
        base = bases[row.pop("base")]
        globals()[name] = type(name, (base,), {**row, "__module__": __name__, "__qualname__": name,
                                              "__doc__": row["title"]})


_declare_refusals()


def _rebuild(cls, message, file, kind):
    return cls(message, file=file, kind=kind)


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
