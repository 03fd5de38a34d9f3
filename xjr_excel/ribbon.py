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

import contextlib
import datetime as _dt
import gc
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
    with _collector_paused():
        return _guarded(_validate, book)


def clear(book=None):
    """清除标记: remove marks, our notes (restoring the user's) and 校验结果."""
    return _guarded(_clear, book)


def consolidate(book=None, paths=None, province=None, department=None, strict=False):
    """合并汇总: merge the city files at ``paths`` (read from disk, never opened in Excel).
    ``department`` (省级中小企业主管部门) and ``strict`` (only cities without errors in the lists)
    are the dialog's answers, as ``xjr consolidate --department/--strict``."""
    return _guarded(lambda b, ui: _consolidate(b, ui, paths, province, department, bool(strict)), book)


def forms(book=None, folder=None):
    """生成填报表: one form per 附1 enterprise and 附2 platform of the open workbook (or per enterprise
    of an open tracking workbook), written into ``folder`` (picked in VBA's folder dialog)."""
    return _guarded(lambda b, ui: _forms(b, ui, folder), book)


def collect(book=None, paths=None):
    """回收填报表: the returned forms at ``paths`` into a copy of the open (saved) city workbook."""
    return _guarded(lambda b, ui: _collect(b, ui, paths), book)


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
    from xjr_excel import findings as F
    from xjr_excel.validate import run as V
    spec = get_spec()
    _settle()
    active = book.sheets.active.name
    found = _form(book, spec)
    spec = found.spec
    if found.form.read is not None:      # a form with a reader of its own
        names = [s.name for s in book.sheets]
        data = found.form.read(book.fullname, spec, lambda name: X.sheet_grid(book.sheets[name]), names)
        tables = {}                       # its sheets' Excel tables: none we know of
    else:
        data, _sheet_names, tables = X.read_book(book, spec, ui)
    data.record = found.record
    ui.status("正在校验…")
    found = V.validate(data)
    ui.status("正在标记…")
    done = K.annotate(X.XlwingsBook(book, tables), found, spec, _dt.datetime.now(), file_name=book.name,
                      active=active)
    summary = F.summary(found)
    summary["notes_skipped"] = done.notes_skipped
    ui.alert(_summary_text(summary), critical=summary["errors"] > 0)
    return summary


_SETTLED = False


@contextlib.contextmanager
def _collector_paused():
    """No cyclic garbage collection during a click: a click allocates a bounded amount (one workbook's
    frames and findings), and the hundreds of collections its allocations would trigger cost a cold
    click about a tenth of a second; whatever cycles it leaves are collected after it, as usual."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _settle() -> None:
    """Once per Python, when the first click has imported what it needs: move those objects (xlwings,
    pandas, pandera, our modules and spec: hundreds of thousands) to the collector's permanent
    generation.  Otherwise every full collection during the click walks them all again, and the
    click's frames make the collector run one (measured: ~0.1 s of a cold click).  Nothing is kept
    alive by this: objects are still freed when their last reference goes; only cycles among these
    long-lived objects would never be collected, and module-level state has none to free."""
    global _SETTLED
    if not _SETTLED:
        gc.freeze()
        _SETTLED = True


def _form(book, spec):
    """What form the open workbook is (see :func:`xjr_excel.forms.recognise`)."""
    from xjr_excel import forms
    return forms.recognise(spec, [s.name for s in book.sheets], lambda name: X.sheet_grid(book.sheets[name]))


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


def _consolidate(book, ui: _UI, paths, province, department=None, strict=False) -> dict | None:
    from xjr_excel.province import consolidate as C
    if not paths:
        ui.alert("请点击“合并汇总”按钮，在弹出的对话框中选择各市上报的工作簿（可多选）。")
        return None
    paths = [from_vba(p) for p in paths]
    province = from_vba(province) if province else None
    department = from_vba(department).strip() if department else ""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UserError(f"找不到文件：{'、'.join(missing)}。请重新选择。")
    out = output_path(paths)
    ui.status(f"正在读取{len(paths)}个城市工作簿…")
    payload = C.consolidate(paths, out, province=province or "××省", jobs=1, progress=False, department=department,
                            strict=strict)
    written = payload.get("province", {}).get("output")
    cities = payload.get("cities", [])
    skipped = payload.get("skipped", [])
    text = f"已合并{len(cities)}个城市。"
    if strict:
        left_out = [c["city"] for c in cities if c["status"] == "有错误"]
        if left_out:
            text += f"\n只纳入没有错误的城市：{'、'.join(left_out)}有错误，未列入名单（见“统计”和“问题清单”）。"
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


# --------------------------------------------------------------------------
# 生成填报表
# --------------------------------------------------------------------------

def _forms(book, ui: _UI, folder) -> dict | None:
    from xjr_excel import forms      # the fill-in forms' action: no front end imports a form's package
    return forms.action("forms")(book, ui, from_vba(folder) if folder else folder, recognise=_form)


# --------------------------------------------------------------------------
# 回收填报表 (the fill-in forms' action, looked up in the forms registry)
# --------------------------------------------------------------------------

def _collect(book, ui: _UI, paths) -> dict | None:
    from xjr_excel import forms
    return forms.action("collect")(book, ui, [from_vba(p) for p in paths or []], opener=_open_book)
