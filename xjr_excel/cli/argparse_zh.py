"""argparse in Chinese: the frame of every ``xjr`` answer (用法、选项、错误) is Chinese like its contents.

argparse builds its texts from English message ids passed through the module-level ``_``/``ngettext``
(the gettext hooks it imports).  ``ZhArgumentParser`` swaps those two names for a lookup in ``MESSAGES``
while one of its own methods runs, and puts them back afterwards — gettext's own mechanism, without a
compiled catalogue or a process-wide locale.  The message ids are the same on Python 3.10–3.13 (3.13
adds a few, listed too); an id we do not know stays English rather than failing.

Help is wrapped by display width (a Chinese character takes two columns), so ``--help`` fits 80 columns.
"""
from __future__ import annotations

import argparse
import contextlib
import re
import sys

MESSAGES = {
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "位置参数",
    "subcommands": "子命令",
    "%(heading)s:": "%(heading)s：",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s：警告：%(message)s\n",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的%(type)s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多需要一个值",
    "expected at least one argument": "至少需要一个值",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "必须给出以下参数之一：%s",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是：%(matches)s",
    "ignored explicit argument %r": "忽略了多余的值 %r",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "没有子命令 %(parser_name)r（可用：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    "unexpected option string: %s": "意外的选项：%s",
    " (default: %(default)s)": "（默认：%(default)s）",
}
PLURALS = {("expected %s argument", "expected %s arguments"): "需要 %s 个值"}
# the %(type)s of "invalid %(type)s value" is the converter's __name__
TYPE_NAMES = {"int": "整数", "float": "数字"}
# Python 3.10 formats "argument X: message" without _(): the one text we translate after the fact
_ARGUMENT_PREFIX = re.compile(r"^argument (\S+): ")

_depth = 0


def _gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return PLURALS.get((singular, plural), singular if n == 1 else plural)


@contextlib.contextmanager
def chinese():
    """argparse's message hooks answer in Chinese while this block runs (re-entrant)."""
    global _depth
    saved = argparse._, argparse.ngettext
    _depth += 1
    argparse._, argparse.ngettext = _gettext, _ngettext
    try:
        yield
    finally:
        _depth -= 1
        if not _depth:
            argparse._, argparse.ngettext = saved


def _in_chinese(method):
    def wrapper(self, *args, **kwargs):
        with chinese():
            return method(self, *args, **kwargs)
    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


_PAD = "\u200b"
# "位置参数:" — Python before 3.13 writes the heading's colon outside _(): made full-width afterwards
_HEADING = re.compile(r"^(\S[^\n]*?):$", re.M)


def _pad_wide(text: str) -> str:
    from rich.cells import cell_len
    return "".join(ch + _PAD if cell_len(ch) == 2 else ch for ch in text)


def _finish(text: str) -> str:
    text = text.replace(_PAD, "")
    return _HEADING.sub(lambda m: m.group(1) + "：" if not m.group(1).isascii() else m.group(0), text)


class ZhHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the 示例 epilog as written; wraps help by display width, not by characters."""

    def __init__(self, prog, indent_increment=2, max_help_position=30, width=None):
        import shutil
        width = width or min(shutil.get_terminal_size((80, 24)).columns, 100) - 2
        super().__init__(prog, indent_increment, max_help_position, width)

    def _metavar_formatter(self, action, default_metavar):
        # argparse aligns the help column and wraps the usage by len(); a Chinese metavar is two columns
        # wide per character.  A zero-width space after each wide character makes len() equal the display
        # width; the parser strips them from the finished text.
        format_ = super()._metavar_formatter(action, default_metavar)
        return lambda size: tuple(_pad_wide(m) if isinstance(m, str) else m for m in format_(size))

    def add_usage(self, usage, actions, groups, prefix=None):
        with chinese():
            prefix = _pad_wide(argparse._("usage: ")) if prefix is None else prefix
        super().add_usage(usage, actions, groups, prefix)

    def _split_lines(self, text, width):
        from xjr_excel.terminal_wrap import wrap
        return wrap(" ".join(text.split()), max(width, 20))


class ZhArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose own texts are Chinese; sub-parsers inherit the class and the formatter."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", ZhHelpFormatter)
        with chinese():
            super().__init__(*args, **kwargs)

    parse_args = _in_chinese(argparse.ArgumentParser.parse_args)
    parse_known_args = _in_chinese(argparse.ArgumentParser.parse_known_args)

    def format_usage(self):
        with chinese():
            return _finish(super().format_usage())

    def format_help(self):
        with chinese():
            return _finish(super().format_help())
    add_subparsers = _in_chinese(argparse.ArgumentParser.add_subparsers)

    def _get_value(self, action, arg_string):
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError as e:
            name = getattr(action.type, "__name__", "")
            if name in TYPE_NAMES:
                e.message = e.message.replace(f"有效的{name}", f"有效的{TYPE_NAMES[name]}")
            raise

    def error(self, message):
        """Usage, the reason in Chinese, and where to read more; exit code 2 as argparse's."""
        message = _ARGUMENT_PREFIX.sub(r"参数 \1：", message)
        with chinese():
            self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n运行“{self.prog} --help”查看用法和示例。\n")
