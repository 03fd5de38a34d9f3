"""回收填报表 from the ribbon: the picked returned forms into a copy of the open (saved) city workbook.

Registered as the ``collect`` action of the forms registry; ``xjr_excel.ribbon.collect`` calls it with
the live workbook, the ribbon's UI helper (status bar, message box) and the picked paths.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from xjr_excel.errors import UserError


def output_path(book_path: Path, now: dt.datetime | None = None) -> Path:
    now = now or dt.datetime.now()
    return book_path.with_name(f"{book_path.stem}-回收-{now:%Y%m%d-%H%M%S}{book_path.suffix}")


def collect_from_ribbon(book, ui, paths: list[str], *, opener=lambda book, path: False) -> dict | None:
    from xjr_excel.fillin.collect import collect
    if not paths:
        ui.alert("请点击“回收填报表”按钮，在弹出的对话框中选择企业、平台交回的填报表（可多选）。")
        return None
    try:
        src = Path(book.fullname)
    except Exception:  # noqa: BLE001 - an engine without files
        src = None
    if src is None or not src.exists():
        raise UserError("请先保存本工作簿（回收会读取保存在磁盘上的工作簿，写入它的副本），再点击“回收填报表”。")
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UserError(f"找不到文件：{'、'.join(missing)}。请重新选择。")
    out = output_path(src)
    ui.status(f"正在回收{len(paths)}个填报表…")
    payload = collect(src, paths, out, jobs=1)
    s = payload["summary"]
    text = (f"名单{s['records']}个，已交回{s['returned']}个，未交回{s['not_returned']}个；已合并{s['merged']}份，"
            f"未合并{s['skipped']}份，被取代{s['superseded']}份；与本工作簿已填内容不同{s['conflicts']}处（保留本工作簿的值）；"
            f"已合并的填报表中有错误{s['errors']}个、警告{s['warnings']}个。")
    skipped = [f for f in payload["files"] if f["status"] in ("refused", "not_listed")]
    if skipped:
        text += "\n未合并的文件：\n" + "\n".join(f"· {f['name']}：{f['reason']}" for f in skipped[:10])
    opened = opener(book, str(out))
    text += f"\n回收结果（本工作簿的副本，见“回收情况”工作表）：{out}" + ("" if opened else "\n（请在Excel中打开该文件查看。）")
    text += "\n本工作簿未被改动。"
    ui.alert(text, critical=bool(s["errors"] or skipped))
    return payload
