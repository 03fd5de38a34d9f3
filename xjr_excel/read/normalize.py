"""Turn what people type into comparable values — for checking only.

Pure functions, one per field type.  Each returns the normalised value, ``None``
for blank, or :class:`~xjr_excel.model.Unparsed` (keeping the user's text) when
the value cannot be read as its type.  The user's cells are never changed: the
reader keeps the raw text next to these values.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from xjr_excel.model import Unparsed
from xjr_excel.spec import definition as S

# Written-out blanks: "无" "/" "——" … (but "无" stays a value where it is a choice, e.g. 上市计划).
BLANK_TOKENS = frozenset({"", "无", "/", "／", "\\", "—", "——", "-", "--", "－", "－－", "---", "─", "──",
                          "n/a", "N/A", "NA", "na", "null", "NULL", "none", "None", "空", "暂无", "/ ", "、"})
FORMULA_ERRORS = frozenset({"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                            "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!"})
_LONGEST_TOKEN = max(map(len, BLANK_TOKENS))
TICKS = "☑✓✔√■▣☒⊠●◉◆▲✅"
BOXES = "□☐○◇△◻⬜"
# Control and zero-width characters that survive copy/paste from web pages and PDFs.
CONTROL_RE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u2028\u2029\u202a-\u202e"
                         "\u2060-\u2064\ufeff\u00ad]")
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# Units people append to numbers ("120人", "500万元"); only stripped when the rest is a number.
_UNIT_RE = re.compile(r"(万元|元|人|个|项|次|户次|户|家|年)$")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def strip_control(text: str) -> str:
    return CONTROL_RE.sub("", text)


def half_width(text: str) -> str:
    """Full-width digits, letters and punctuation → ASCII (１２ → 12, ＣＮ → CN, ％ → %)."""
    return unicodedata.normalize("NFKC", text)


def squash(text: str) -> str:
    """Remove every whitespace character (also full-width spaces and line breaks)."""
    return "".join(text.split())      # str.split() splits at exactly the characters regex \s matches


# After NFKC every round bracket is "(" / ")"; square ones come in several shapes.
_ONE_BRACKET = str.maketrans({"(": "（", ")": "）", "【": "[", "】": "]", "〔": "[", "〕": "]",
                              "〖": "[", "〗": "]"})


@lru_cache(maxsize=1 << 16)
def name_key(text: str) -> str:
    """The one form names and choices are compared in: width folded (NFKC), no whitespace, one
    kind of bracket — （） for round, [] for square.  附1↔附3 matching, duplicates, the MIIT
    list and the provincial merge all use it, so they agree about any two names.  Memoised,
    since the same names are compared on several sheets (附1, 附3, 附4; 附2 and 附5)."""
    return squash(half_width(text)).translate(_ONE_BRACKET)


def count_chars(text) -> int:
    """Characters counted against a limit: every non-whitespace character."""
    if text is None or (isinstance(text, float) and text != text):
        return 0
    return len(squash(strip_control(str(text))))


def is_formula_error(value) -> bool:
    return isinstance(value, str) and value.strip() in FORMULA_ERRORS


def clean_text(value) -> str | None:
    """The cell as text: control characters removed, outer spaces trimmed, None when blank."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return display(value)
    text = str(value)
    if not text.isprintable():          # control / zero-width characters (rare): the slow path
        text = strip_control(text)
    text = text.strip().strip("\u3000")
    return text or None


def display(value) -> str:
    """The value as the user sees it (for messages and the raw frame)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def is_blank_token(text: str | None, choices=()) -> bool:
    if text is None:
        return True
    if len(text) > _LONGEST_TOKEN and not text[:1].isspace() and not text[-1:].isspace():
        return False
    t = squash(text)
    return t in BLANK_TOKENS and t not in choices


# ---------------------------------------------------------------- numbers

def _number_text(text: str) -> str:
    t = squash(half_width(text)).replace(",", "").replace("，", "").replace("\u2212", "-")
    return _UNIT_RE.sub("", t) if not _NUM_RE.match(t) else t


def to_number(value, *, integer: bool = False, percent_cell: bool = False, percent: bool = False):
    """int/float, None, or Unparsed.  ``percent_cell``: the cell is %-formatted, so 0.85 means 85."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return Unparsed(display(value))
    if isinstance(value, (int, float)):
        num = float(value) * 100 if (percent and percent_cell) else value
        if percent and percent_cell:
            num = round(num, 10)
    elif isinstance(value, (dt.date, dt.time)):
        return Unparsed(display(value))
    else:
        text = str(value)
        if is_formula_error(text):
            return Unparsed(text.strip(), "formula_error")
        t = _number_text(strip_control(text))
        if is_blank_token(t) or is_blank_token(text):
            return None
        if percent and t.endswith("%"):
            t = t[:-1]
        elif t.endswith("%"):
            return Unparsed(text.strip())
        if not _NUM_RE.match(t):
            return Unparsed(text.strip())
        num = float(t)
    if integer:
        if isinstance(num, float):
            if not num.is_integer():
                return Unparsed(display(value) if not isinstance(value, str) else value.strip())
            return int(num)
        return int(num)
    if isinstance(num, int):
        return num
    return int(num) if float(num).is_integer() and abs(num) < 1e15 else float(num)


# ---------------------------------------------------------------- dates

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})[./\-](\d{1,2})[./\-](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def to_date(value):
    """date, None, or Unparsed.  Accepts Excel dates and serials, 2015年3月2日, 2015.3.2, 2015/3/2, 20150302."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return Unparsed(display(value))
    if isinstance(value, (int, float)):
        # Excel serial (1900 system); 1..2958465 is 1900-01-01..9999-12-31.
        if 1 <= value <= 2958465:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        return Unparsed(display(value))
    text = str(value)
    if is_formula_error(text):
        return Unparsed(text.strip(), "formula_error")
    t = squash(half_width(strip_control(text)))
    if is_blank_token(t):
        return None
    for pat in _DATE_PATTERNS:
        m = pat.match(t)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return Unparsed(text.strip())
    if re.fullmatch(r"\d+(\.0+)?", t):          # a serial typed as text
        return to_date(float(t))
    return Unparsed(text.strip())


def to_year(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    if isinstance(value, str):
        t = squash(half_width(value)).rstrip("年")
        if t != squash(half_width(value)):
            value = t
    n = to_number(value, integer=True)
    if isinstance(n, int) and not (1000 <= n <= 9999):
        return Unparsed(display(value))
    return n


# ---------------------------------------------------------------- choices

def _canon(text: str) -> str:
    """Compare choices ignoring width, spaces and bracket style."""
    return name_key(text)


@lru_cache(maxsize=256)
def _choice_index(choices: tuple[str, ...]) -> dict[str, str]:
    return {_canon(c): c for c in choices}


_CN_NUM = {c: i for i, c in enumerate("零一二三四五六七八九")}


def chinese_to_int(text: str) -> int | None:
    """三 → 3, 十二 → 12, 二十一 → 21 (batch numbers)."""
    if not text or any(ch not in "零一二三四五六七八九十" for ch in text):
        return None
    if "十" not in text:
        return _CN_NUM[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    return (_CN_NUM.get(tens, 0) if tens else 1) * 10 + (_CN_NUM.get(ones, 0) if ones else 0)


def is_batch_choices(choices: tuple[str, ...]) -> bool:
    return bool(choices) and all(re.fullmatch(r"第.+批", c) for c in choices)


def normalise_batch(value, choices: tuple[str, ...]):
    """3 / "3" / 第3批 / 三 / 第三批 → 第三批 (or Unparsed)."""
    text = clean_text(value)
    if text is None or is_blank_token(text):
        return None
    t = squash(half_width(text))
    m = re.fullmatch(r"第?([0-9]+|[零一二三四五六七八九十]+)批?", t)
    if m:
        n = int(m[1]) if m[1].isdigit() else chinese_to_int(m[1])
        if n is not None:
            from xjr_excel.spec.policy import chinese_number
            name = f"第{chinese_number(n)}批" if 0 < n < 100 else None
            if name in choices:
                return name
    return Unparsed(text, "choice")


def ticked(text: str, choices: tuple[str, ...]) -> str | None | Unparsed:
    """Read a checkbox layout ("□中型 ■小型", "☑是 □否", "是√").

    A choice counts as ticked when a tick mark stands right before (or right after) its label.
    No tick at all → blank; more than one distinct choice ticked → Unparsed.
    """
    t = _canon(text)
    hits = []
    for c in sorted(choices, key=len, reverse=True):
        cc = _canon(c)
        for m in re.finditer(re.escape(cc), t):
            before = t[m.start() - 1] if m.start() > 0 else ""
            after = t[m.end()] if m.end() < len(t) else ""
            if before in TICKS or (after in TICKS and before not in BOXES):
                if not any(h[1] <= m.start() < h[2] for h in hits):
                    hits.append((c, m.start(), m.end()))
    found = {h[0] for h in hits}
    if len(found) == 1:
        return found.pop()
    if not found:
        return None
    return Unparsed(text, "choice")


def to_choice(value, choices: tuple[str, ...], *, strict: bool = True):
    """A value of ``choices`` (canonical spelling), free text when not strict, or Unparsed(reason="choice")."""
    if isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, str) and is_formula_error(value):
        return Unparsed(value.strip(), "formula_error")
    text = clean_text(value)
    if text is None or is_blank_token(text, choices):
        return None
    if is_batch_choices(choices):
        return normalise_batch(text, choices)
    index = _choice_index(choices)
    hit = index.get(_canon(text))
    if hit is not None:
        return hit
    c = _canon(text)
    if c and all(ch in TICKS for ch in c):       # a bare tick in a 是/否 column means 是
        return "是" if "是" in choices else Unparsed(text, "choice")
    if any(ch in text for ch in TICKS + BOXES):
        got = ticked(text, choices)
        if got is not None or any(ch in text for ch in TICKS):
            return got
        # only empty boxes: nothing chosen
        return None
    if "是" in choices and c.upper() in ("Y", "YES", "√", "✓", "TRUE"):
        return "是"
    if "否" in choices and c.upper() in ("N", "NO", "×", "✗", "FALSE"):
        return "否"
    if not strict:
        return text
    return Unparsed(text, "choice")


# ---------------------------------------------------------------- industry

@lru_cache(maxsize=8)
def _industry_index(choices: tuple[str, ...]) -> tuple[dict, dict]:
    by_code, by_name = {}, {}
    for c in choices:
        code, _, name = c.partition(" ")
        by_code[code[1:]] = c
        by_name[_canon(name)] = c
    return by_code, by_name


def to_industry(value, choices: tuple[str, ...]):
    """34 / C34 / "C34 通用设备制造业" / 通用设备制造业 → "C34 通用设备制造业"; else Unparsed(reason="industry")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = f"{int(value):02d}" if float(value).is_integer() else str(value)
    if isinstance(value, str) and is_formula_error(value):
        return Unparsed(value.strip(), "formula_error")
    text = clean_text(value)
    if text is None or is_blank_token(text):
        return None
    by_code, by_name = _industry_index(choices)
    t = squash(half_width(text)).upper()
    m = re.match(r"^([A-T])?(\d{1,2})(.*)$", t)
    if m:
        code = m[2].zfill(2)
        hit = by_code.get(code)
        if hit and (not m[1] or hit[0] == m[1]) and (not m[3] or _canon(hit.partition(" ")[2]) == _canon(m[3])):
            return hit
        return Unparsed(text, "industry")
    hit = by_name.get(_canon(text))
    if hit:
        return hit
    return Unparsed(text, "industry")


def to_credit_code(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = display(value)
    if isinstance(value, str) and is_formula_error(value):
        return Unparsed(value.strip(), "formula_error")
    text = clean_text(value)
    if text is None or is_blank_token(text):
        return None
    return code_key(text)


def code_key(text: str) -> str:
    """A 统一社会信用代码 as compared: width folded, upper case, no spaces or dashes."""
    return squash(half_width(text)).upper().replace("-", "").replace("—", "")


def to_text(value, choices=()):
    if isinstance(value, str) and is_formula_error(value):
        return Unparsed(value.strip(), "formula_error")
    text = clean_text(value)
    if text is None or is_blank_token(text, choices):
        return None
    return text


def normalise(field: S.Field, value, *, percent_cell: bool = False):
    """Dispatch on the field type."""
    t = field.type
    if t == S.TEXT:
        return to_text(value)
    if t == S.INT:
        return to_number(value, integer=True)
    if t == S.NUMBER:
        return to_number(value)
    if t == S.PERCENT:
        return to_number(value, percent=True, percent_cell=percent_cell)
    if t == S.DATE:
        return to_date(value)
    if t == S.YEAR:
        return to_year(value)
    if t == S.CHOICE:
        return to_choice(value, field.choices, strict=field.strict_choices)
    if t == S.INDUSTRY:
        return to_industry(value, field.choices)
    if t == S.CREDIT_CODE:
        return to_credit_code(value)
    return to_text(value)


EXPECTED = {
    S.TEXT: "文字", S.INT: "整数", S.NUMBER: "数值", S.PERCENT: "百分数（如85或85%）",
    S.DATE: "日期（如2015-03-02或2015年3月2日）", S.YEAR: "四位年份", S.CHOICE: "下拉列表中的选项",
    S.INDUSTRY: "国民经济行业大类", S.CREDIT_CODE: "18位统一社会信用代码",
}
