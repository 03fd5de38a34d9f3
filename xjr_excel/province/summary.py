"""文字摘要: one paragraph for the province's 报告, from the very counts 统计's tables show.

Every number here is read from the :class:`~xjr_excel.province.stats.CityStats` the 统计 sheet
prints (the 全省合计 row and the cities' rows) — never counted a second time — so the paragraph
and the tables cannot disagree.
"""
from __future__ import annotations

from collections import Counter

from xjr_excel.province.model import STATUS_ERRORS, STATUS_OK, STATUS_UNREADABLE, CityFile
from xjr_excel.province.stats import NOT_FOUR_BASE, CityStats, SCOPE_WITHIN

MAX_FIELDS = 3          # fields named per sheet in "which city must correct what"


def _parts(counter: Counter, keys: list[str]) -> str:
    return "、".join(f"{k}{counter[k]}家" for k in keys if counter.get(k))


def _what_to_fix(cf: CityFile) -> str:
    """「附3：法定代表人、注册时间；附5：…」 — where a city's errors are, by sheet and field."""
    by_sheet: dict[str, list[str]] = {}
    for f in cf.findings:
        if f["severity"] != "error":
            continue
        field = (f["field"] or "").split("\n")[0].split("（")[0].split("·")[0] or "整个工作簿"
        fields = by_sheet.setdefault(f["sheet"] or "工作簿", [])
        if field not in fields:
            fields.append(field)
    return "；".join(f"{sheet}：{'、'.join(fs[:MAX_FIELDS])}{'等' if len(fs) > MAX_FIELDS else ''}"
                    for sheet, fs in by_sheet.items())


def paragraph(*, province: str, batch, stats: list[CityStats], total: CityStats, cities: list[CityFile],
              four_base_keys: list[str], size_keys: list[str], mismatches: list[dict], duplicates: list[dict],
              strict: bool) -> str:
    """The paragraph (Chinese).  ``four_base_keys`` / ``size_keys``: the columns of 统计's blocks 二 / 三."""
    reported = [s for s in stats if s.status != STATUS_UNREADABLE]
    included = [s for s in stats if s.included]
    clean = [s.city for s in stats if s.status == STATUS_OK]
    with_errors = [s for s in stats if s.status == STATUS_ERRORS]
    unreadable = [s.city for s in stats if s.status == STATUS_UNREADABLE]
    by_city = {cf.city: cf for cf in cities}
    batch_text = f"第{batch}批" if batch is not None else ""
    out = [f"{province}{batch_text}重点“小巨人”企业申报材料汇总：共收到{len(reported)}个市的申报，"
           f"{len(included)}个市纳入名单。"]
    out.append(f"附1名单共{total.enterprises}家重点“小巨人”企业，其中★企业（填补国内或国际空白、关键领域补短板）"
               f"{total.star}家；公共服务示范平台{total.platforms}个。")
    four = [k for k in four_base_keys if k != NOT_FOUR_BASE]
    fb_in = sum(total.four_base.get(k, 0) for k in four)
    fb = f"按附3所填{total.detailed}家企业，属《工业“四基”发展目录》重点领域的{fb_in}家"
    detail = _parts(total.four_base, four)
    fb += f"（{detail}）" if detail else ""
    if total.four_base.get(NOT_FOUR_BASE):
        fb += f"，非“四基”{total.four_base[NOT_FOUR_BASE]}家"
    size = _parts(total.size, size_keys)
    out.append(fb + (f"；按企业规模，{size}。" if size else "。"))
    if total.detailed != total.enterprises or mismatches:
        out.append(f"附1与附3不一致的企业{len(mismatches)}家（附1为{total.enterprises}家、附3为{total.detailed}家），"
                   f"见统计表“八”。")
    within = sum(1 for d in duplicates if d["scope"] == SCOPE_WITHIN)
    if duplicates:
        out.append(f"重复填报的企业{len(duplicates)}组（其中同一城市内{within}组），见“重复”工作表。")
    if clean:
        out.append(f"{'、'.join(clean)}{len(clean)}个市的材料未发现错误。")
    if with_errors:
        fixes = []
        for s in with_errors:
            cf = by_city.get(s.city)
            where = _what_to_fix(cf) if cf else ""
            fixes.append(f"{s.city}{s.errors}个错误" + (f"（{where}）" if where else ""))
        left = "，未纳入名单" if strict else ""
        out.append(f"须更正后重新报送的{len(with_errors)}个市{left}：{'；'.join(fixes)}；逐条问题见“问题清单”工作表。")
    if unreadable:
        out.append(f"{'、'.join(unreadable)}的文件无法读取，须重新报送（原因见“合并记录”）。")
    return "".join(out)
