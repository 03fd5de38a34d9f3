"""User-facing errors: typed refusals with stable codes, one Chinese sentence, no tracebacks.

Every refusal is one class: a stable ``code`` (``XJR-E-ENCRYPTED``) for machines and
``--json``, an English ``title``, and a Chinese ``template`` used when the raiser has no
more precise sentence.  Raisers usually do: the message names the file, sheet, cell and
value and says how to fix it.  (Modelled on frictionless-py's ``errors/``.)

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


# ---------------------------------------------------------------- the file itself

class MissingFile(InputRejected):
    kind, code, title = "missing", "XJR-E-MISSING", "File not found"
    template = "找不到该文件。请检查文件名和路径是否正确。"


class Unreadable(InputRejected):
    kind, code, title = "unreadable", "XJR-E-UNREADABLE", "File cannot be opened"
    template = "无法访问该文件（{reason}）。请检查文件权限后重试。"


class IsDirectory(InputRejected):
    kind, code, title = "directory", "XJR-E-DIRECTORY", "A folder, not a workbook"
    template = "这是一个文件夹，不是工作簿。请指定要校验的.xlsx文件。"


class NotRegularFile(InputRejected):
    kind, code, title = "not_regular", "XJR-E-NOT-REGULAR", "Not a regular file"
    template = "这不是普通文件（可能是管道或设备）。请指定保存在磁盘上的.xlsx文件。"


class EmptyFile(InputRejected):
    kind, code, title = "empty", "XJR-E-EMPTY", "Empty file or list"
    template = "文件是空的（0字节）。请重新保存后提交。"


class FileTooLarge(InputRejected):
    kind, code, title = "too_large", "XJR-E-TOO-LARGE", "File larger than the limit"
    template = "文件有{size}，超过上限{limit}。请删除多余内容后重新提交。"


class LockFile(InputRejected):
    kind, code, title = "lock_file", "XJR-E-LOCK-FILE", "Excel lock file"
    template = "这是Excel打开工作簿时生成的临时锁定文件（以“~$”开头），不是工作簿。"


class NotWorkbook(InputRejected):
    kind, code, title = "not_workbook", "XJR-E-NOT-WORKBOOK", "Not an Excel workbook"
    template = "该文件不是Excel工作簿，而是{what}。请在Excel中另存为.xlsx后重新提交。"


class Encrypted(InputRejected):
    kind, code, title = "encrypted", "XJR-E-ENCRYPTED", "Password-protected workbook"
    template = "文件已加密，请去除密码后重新提交。本工具不会尝试破解密码。"


class Damaged(InputRejected):
    kind, code, title = "damaged", "XJR-E-DAMAGED", "Damaged or truncated file"
    template = "文件已损坏（{detail}），无法读取。请在Excel中打开并另存为.xlsx后重新提交。"


class BadEncoding(InputRejected):
    kind, code, title = "encoding", "XJR-E-ENCODING", "Text encoding not recognised"
    template = "文件的编码无法识别，请另存为UTF-8编码的CSV。"


# ---------------------------------------------------------------- hostile or oversized content

class ZipBomb(InputRejected):
    kind, code, title = "zip_bomb", "XJR-E-ZIP-BOMB", "Inflates to far more than a workbook"
    template = "文件解压后大小异常（{detail}），疑似“压缩炸弹”，已拒绝读取。"


class XmlDoctype(InputRejected):
    kind, code, title = "xml_dtd", "XJR-E-XML-DTD", "XML with a DTD or entity declaration"
    template = "文件内部的XML部件“{part}”含有文档类型定义（DTD/实体声明），已拒绝读取。"


class SheetTooBig(InputRejected):
    kind, code, title = "too_big_sheet", "XJR-E-SHEET-TOO-BIG", "Content reaches past the sheet limits"
    template = "工作表“{sheet}”的内容延伸到第{row}行、第{col}列，超过填报表格可能用到的范围，已拒绝读取。"


class TooManyValues(InputRejected):
    kind, code, title = "too_many_values", "XJR-E-TOO-MANY-VALUES", "More filled cells than any submission"
    template = "工作表“{sheet}”有{count}个填有内容的单元格，超过上限{limit}个，已拒绝读取。"


class TooManyCellsToMark(UserError):
    kind, code, title = "too_many_cells_to_mark", "XJR-E-TOO-MANY-CELLS-TO-MARK", "Too many formatted cells to mark"
    template = ("工作表“{sheet}”有{count}个带格式的单元格（多为空白行列的格式），超过写入或清除标记时可处理的{limit}个，"
                "文件未被改动。不加 --annotate / --in-place 仍可照常校验；要标记时，请删除数据下方多余的带格式空白行，"
                "或在Excel中使用功能区的按钮。")


class NotTemplate(InputRejected):
    kind, code, title = "not_template", "XJR-E-NOT-TEMPLATE", "Not the submission template"
    template = "该工作簿不是本填报模板。请下载最新模板，将数据复制到对应工作表后重新提交。"


# ---------------------------------------------------------------- consolidation: files set aside

class ProvinceOutput(InputRejected):
    kind, code, title = "province_output", "XJR-E-PROVINCE-OUTPUT", "A provincial workbook, not a city's"
    template = "这是全省汇总工作簿（xjr consolidate 的输出），不是城市工作簿，已跳过。"


class InternalError(InputRejected):
    kind, code, title = "internal", "XJR-E-INTERNAL", "Internal error while reading"
    template = "读取或校验时程序内部出错（{detail}）。该文件未合并，请单独运行 xjr validate 查看。"


class Superseded(UserError):
    kind, code, title = "superseded", "XJR-I-SUPERSEDED", "Older file of the same city"
    template = "同一城市“{city}”收到多个文件，已采用“{newer}”；本文件未合并。"


# ---------------------------------------------------------------- tracking (跟踪表)

class NotSubmission(UserError):
    kind, code, title = "not_submission", "XJR-E-NOT-SUBMISSION", "A tracking workbook, not a submission"
    template = "该文件已是跟踪表，不是申报工作簿。请用城市报送的申报工作簿生成跟踪表。"


class NoTargets(UserError):
    kind, code, title = "no_targets", "XJR-E-NO-TARGETS", "No enterprise targets"
    template = "附4（企业目标表）没有企业，无法生成跟踪表。请确认这是批准的申报工作簿。"


class NotProvince(UserError):
    kind, code, title = "not_province", "XJR-E-NOT-PROVINCE", "Not a provincial merge"
    template = "该文件不是全省汇总工作簿（xjr consolidate 的输出）。"


class OtherForm(InputRejected):
    kind, code, title = "other_form", "XJR-E-OTHER-FORM", "A workbook of the other form"
    template = "该文件与本次合并的表单不同（申报工作簿与跟踪表不能一起合并），未合并。"


# ---------------------------------------------------------------- outputs: never destroy

class OutputIsInput(UserError):
    kind, code, title = "output_is_input", "XJR-E-OUTPUT-IS-INPUT", "Output would overwrite an input"
    template = "输出文件与输入文件相同。为避免覆盖原始数据，请换一个输出文件名。"


class OutputExists(UserError):
    kind, code, title = "output_exists", "XJR-E-OUTPUT-EXISTS", "Output exists and is not ours to replace"
    template = ("输出文件已存在，且不是本工具生成的{purpose}（或生成后已被打开保存过）。为避免覆盖，"
                "请换一个输出文件名；确认要覆盖时加 --force。")


class BadOutputName(UserError):
    kind, code, title = "output_name", "XJR-E-OUTPUT-NAME", "Output file name not accepted"
    template = "输出文件的扩展名应为{suffixes}。"


class BadArgument(UserError):
    kind, code, title = "argument", "XJR-E-ARGUMENT", "Invalid command-line value"
    template = "参数不正确：{detail}"


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
