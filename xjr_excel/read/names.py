"""The MIIT-published enterprise names (工业和信息化部公布的名称), as a reference list.

The official supplies an .xlsx or .csv: a column named 企业名称 (or the first
column that holds text).  A name in 附1/附3 must be on it exactly; when it is
not, we suggest the closest published names (rapidfuzz) and say when the only
difference is half-width vs full-width brackets or stray spaces — the usual cause.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from xjr_excel.read import normalize as N
from xjr_excel.errors import InputRejected
from xjr_excel.guard import check as guard

NAME_HEADERS = ("企业名称", "名称", "单位名称", "企业", "name")


def loose(name: str) -> str:
    """Brackets and spaces ignored: what two spellings of one name share."""
    return N.squash(N.half_width(name)).replace("(", "（").replace(")", "）")


@dataclass
class Reference:
    names: list[str]

    def __post_init__(self):
        self.exact = set(self.names)
        self.by_loose = {}
        for n in self.names:
            self.by_loose.setdefault(loose(n), n)
        self._choices = list(self.by_loose)

    def __len__(self):
        return len(self.names)

    def __contains__(self, name: str) -> bool:
        return name in self.exact

    def suggest(self, name: str, limit: int = 3, cutoff: float = 60) -> list[str]:
        hits = process.extract(loose(name), self._choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=cutoff)
        return [self.by_loose[h[0]] for h in hits]

    def explain(self, name: str) -> str | None:
        """None when ``name`` is published as written; otherwise the suggestion text of the finding."""
        name = name.strip()
        if name in self.exact:
            return None
        same = self.by_loose.get(loose(name))
        if same is not None:
            why = []
            if re.sub(r"\s", "", name) != name or re.sub(r"\s", "", same) != same:
                why.append("多余或缺少空格")
            if _brackets(name) != _brackets(same):
                why.append("括号的全角/半角不同（公布名称用“" + ("”“".join(sorted(set(_brackets(same)))) or "无括号") + "”）")
            if not why:
                why.append("字符的全角/半角不同")
            return f"公布名称为“{same}”，区别仅在于{'、'.join(why)}。请改为公布名称。"
        hits = self.suggest(name)
        if hits:
            return "最接近的公布名称：" + "；".join(f"“{h}”" for h in hits) + "。请核对后改为公布名称。"
        return "名单中没有相近的名称，请核对企业是否已被认定为国家级专精特新“小巨人”企业。"


def _brackets(text: str) -> str:
    return "".join(ch for ch in text if ch in "()（）")


def load(path) -> Reference:
    """Read a reference list (.xlsx/.xlsm/.xls/.csv/.txt)."""
    path = Path(path)
    if not path.exists():
        raise InputRejected(f"找不到名单文件“{path}”。请检查路径。", file=str(path), kind="missing")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        rows = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        guard.check_file(path)
        from python_calamine import CalamineWorkbook
        book = CalamineWorkbook.from_path(str(path))
        rows = book.get_sheet_by_index(0).to_python()
        book.close()
    else:
        raise InputRejected("名单文件应为.xlsx或.csv（一列“企业名称”）。", file=str(path), kind="not_workbook")
    names = _names(rows)
    if not names:
        raise InputRejected("名单文件中没有找到企业名称。请提供一列标题为“企业名称”的表格。", file=str(path),
                            kind="empty")
    return Reference(names)


def _csv_rows(path: Path) -> list[list]:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputRejected("名单文件的编码无法识别，请另存为UTF-8编码的CSV。", file=str(path), kind="encoding")
    return list(csv.reader(io.StringIO(text)))


def _names(rows: list[list]) -> list[str]:
    col, start = None, 0
    for r, row in enumerate(rows[:20]):
        for c, v in enumerate(row):
            if isinstance(v, str) and N.squash(v) in NAME_HEADERS:
                col, start = c, r + 1
                break
        if col is not None:
            break
    if col is None:   # the first column that holds text
        counts = {}
        for row in rows[:200]:
            for c, v in enumerate(row):
                if isinstance(v, str) and re.search(r"[\u4e00-\u9fff]{2,}", v):
                    counts[c] = counts.get(c, 0) + 1
        if not counts:
            return []
        col = min(c for c, n in counts.items() if n == max(counts.values()))
    out = []
    for row in rows[start:]:
        if col < len(row) and isinstance(row[col], str) and row[col].strip():
            out.append(N.strip_control(row[col]).strip())
    return list(dict.fromkeys(out))
