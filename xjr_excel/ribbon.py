"""What the 小巨人 tab's buttons run (VBA ``RunPython`` → these functions).

Shipped workbooks call ``xjr_excel.ribbon.<fn>``: these names stay.  Same rules
and messages as the CLI: the open workbook is read by the xlwings backend
(:mod:`xjr_excel.annotate.backends.xlwings_book`), checked by
:func:`xjr_excel.validate.run.validate`, and annotated through the same plan and
bookkeeping as files (:mod:`xjr_excel.annotate.bookkeeping`).  This module only
talks to the user.

Every failure reaches the user as one readable Chinese message box, never a
traceback: the functions catch everything, log details, and return normally.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from xjr_excel.annotate import bookkeeping as K
from xjr_excel.annotate.backends import xlwings_book as X
from xjr_excel.errors import UserError, write_log
from xjr_excel.spec.definition import get_spec

TITLE = "小巨人校验"


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------

def validate(book=None):
    """校验: check the workbook, mark problem cells, write 校验结果. Returns the summary."""
    return _guarded(_validate, book)


def clear(book=None):
    """清除标记: remove marks, our notes (restoring the user's) and 校验结果."""
    return _guarded(_clear, book)


def consolidate(book=None, paths=None, province=None):
    """合并汇总: merge the city files at ``paths`` (read from disk, never opened in Excel)."""
    return _guarded(lambda b, ui: _consolidate(b, ui, paths, province), book)


def _guarded(fn, book):
    ui = None
    try:
        if book is None:
            import xlwings as xw
            book = xw.Book.caller()
        ui = _UI(book)
        return fn(book, ui)
    except UserError as e:
        _tell(ui, book, e.message, critical=True)
    except Exception as e:  # noqa: BLE001 - the user must never see a traceback dialog
        log = write_log(e)
        _tell(ui, book, f"程序内部出错（{type(e).__name__}），工作簿中您填写的内容未被改动。\n"
                        f"详细信息已写入日志：{log}\n请将日志发给技术支持。", critical=True)
    finally:
        if ui is not None:
            ui.done()
    return None


def _tell(ui, book, text: str, critical: bool = False) -> None:
    try:
        (ui or _UI(book)).alert(text, critical=critical)
    except Exception:  # noqa: BLE001 - nothing left to show it with
        pass


# --------------------------------------------------------------------------
# Talking to Excel: status bar, screen updating, message boxes — each optional
# --------------------------------------------------------------------------

class _UI:
    def __init__(self, book):
        self.book = book
        self.app = book.app
        self._status_ok = True
        self._screen = None
        try:
            self._screen = self.app.screen_updating
            self.app.screen_updating = False
        except Exception:  # noqa: BLE001 - not every engine has it
            self._screen = None

    def status(self, text: str) -> None:
        if not self._status_ok:
            return
        try:
            self.app.status_bar = f"小巨人：{text}"
        except Exception:  # noqa: BLE001 - e.g. the remote engine has no status bar
            self._status_ok = False

    def alert(self, text: str, *, critical: bool = False) -> None:
        self.done()       # repaint first, so the message sits over the finished workbook
        self.app.alert(text, title=TITLE, mode="critical" if critical else "info")

    def done(self) -> None:
        if getattr(self, "_done", False):
            return
        self._done = True
        if self._status_ok:
            try:
                self.app.status_bar = False        # give the status bar back to Excel
            except Exception:  # noqa: BLE001
                pass
        if self._screen is not None:
            try:
                self.app.screen_updating = True
            except Exception:  # noqa: BLE001
                pass


# --------------------------------------------------------------------------
# 校验
# --------------------------------------------------------------------------

def _validate(book, ui: _UI) -> dict:
    from xjr_excel.validate import findings as F
    from xjr_excel.validate import run as V
    spec = get_spec()
    active = book.sheets.active.name
    spec, record = _form(book, spec)
    data, _sheet_names, tables = X.read_book(book, spec, ui)
    data.record = record
    ui.status("正在校验…")
    found = V.validate(data)
    ui.status("正在标记…")
    done = K.annotate(X.XlwingsBook(book, tables), found, spec, _dt.datetime.now(), file_name=book.name,
                      active=active)
    summary = F.summary(found)
    summary["notes_skipped"] = done.notes_skipped
    ui.alert(_summary_text(summary), critical=summary["errors"] > 0)
    return summary


def _form(book, spec):
    """(spec, record) of the form the open workbook is (申报 or 跟踪表: see track.spec.form_spec)."""
    from xjr_excel.track import record, spec as track
    names = [s.name for s in book.sheets]
    spec = track.form_spec(spec, names)
    if spec.form != track.FORM or track.RECORD_SHEET not in names:
        return spec, None
    return spec, record.from_grid(X.sheet_grid(book.sheets[track.RECORD_SHEET]))


def _summary_text(summary: dict) -> str:
    e, w = summary["errors"], summary["warnings"]
    if e:
        text = f"校验完成：发现{e}个错误、{w}个警告。\n错误单元格已标红色、警告标橙色，鼠标悬停可看批注；全部问题见“校验结果”工作表（点击单元格地址可跳转）。"
    elif w:
        text = f"校验完成：没有错误，有{w}个警告，请逐条核对（见“校验结果”工作表）。"
    else:
        text = "校验完成：未发现问题。上报前请点击“清除标记”。"
    if summary.get("notes_skipped"):
        text += f"\n（{summary['notes_skipped']}个单元格原有批注，未添加校验批注，问题已列入“校验结果”。）"
    return text


# --------------------------------------------------------------------------
# 清除标记
# --------------------------------------------------------------------------

def _clear(book, ui: _UI) -> dict:
    ui.status("正在清除校验标记…")
    previous = K.clear(X.XlwingsBook(book))
    ui.alert("已清除校验标记、校验批注和“校验结果”工作表；您原有的批注已恢复。" if previous.state
             else "没有需要清除的校验标记。")
    return {"cleared": bool(previous.state), "notes_removed": previous.notes_removed}


# --------------------------------------------------------------------------
# 合并汇总
# --------------------------------------------------------------------------

def from_vba(text) -> str:
    """VBA escapes each UTF-16 code unit (\\uXXXX): join surrogate pairs (rare CJK) into characters."""
    return str(text).encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def output_path(paths: list[str], now: _dt.datetime | None = None) -> Path:
    now = now or _dt.datetime.now()
    folder = Path(paths[0]).resolve().parent
    return folder / f"全省汇总-{now:%Y%m%d-%H%M%S}.xlsx"


def _consolidate(book, ui: _UI, paths, province) -> dict | None:
    from xjr_excel.province import consolidate as C
    if not paths:
        ui.alert("请点击“合并汇总”按钮，在弹出的对话框中选择各市上报的工作簿（可多选）。")
        return None
    paths = [from_vba(p) for p in paths]
    province = from_vba(province) if province else None
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UserError(f"找不到文件：{'、'.join(missing)}。请重新选择。")
    out = output_path(paths)
    ui.status(f"正在读取{len(paths)}个城市工作簿…")
    payload = C.consolidate(paths, out, province=province or "××省", jobs=1, progress=False)
    written = payload.get("province", {}).get("output")
    cities = payload.get("cities", [])
    skipped = payload.get("skipped", [])
    text = f"已合并{len(cities)}个城市。"
    if skipped:
        text += "\n未合并的文件：\n" + "\n".join(f"· {Path(s['file']).name}：{s['reason']}" for s in skipped)
    if not written:
        raise UserError("所选文件都无法读取，未生成汇总表。" + ("\n" + text if skipped else ""))
    opened = _open_book(book, written)
    text += f"\n汇总表：{written}" + ("" if opened else "\n（请在Excel中打开该文件查看。）")
    ui.alert(text)
    return payload


def _open_book(book, path: str) -> bool:
    """Open the provincial workbook in the user's Excel; engines without files (remote) cannot."""
    try:
        if book.app.engine.name not in ("excel",):
            return False
        book.app.books.open(path)
        return True
    except Exception:  # noqa: BLE001 - the file is written either way; say where it is
        return False
