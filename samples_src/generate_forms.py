"""Generate the fill-in form samples (填报表) and samples_src/forms_manifest.json.

* ``samples/forms/发出/<city>/``: the forms each sample city sends out (``xjr forms``), prefilled from
  the sample workbook.
* ``samples/forms/南京市-待回收.xlsx``: 南京市 with 附1 and 附2 filled and 附3–附5 empty, but for one
  row the city began itself (企业名称 and 法定代表人), which a returned form contradicts (a conflict).
* ``samples/forms/交回/``: what came back to 南京市: the enterprises' and platforms' forms with the
  sample's answers, and, planted: a wrong 统一社会信用代码, a 研发经费占比 below the threshold, a wrong
  手机号 (each at the form's own cell), an enterprise that sent two forms (the earlier draft differs),
  a form pasted into a new workbook (our marker lost, recognised by its labels), a form of an enterprise
  not in 附1 (a stranger), a form of another city, a file that is no workbook; one enterprise never
  returned its form.
* ``manifest.json``: per returned file its file time (set it before collecting: git keeps none), what
  collect must do with it (status, refusal code), the planted findings (sheet, cell, rule) and the
  answers it carries.

Run:  python samples_src/generate_forms.py [OUTDIR]   (default: samples/forms/)
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xjr_excel.fillin import layout as L  # noqa: E402
from xjr_excel.fillin.build import build_forms  # noqa: E402
from xjr_excel.read import normalize as N  # noqa: E402
from xjr_excel.read.workbook import read_workbook  # noqa: E402
from xjr_excel.spec.definition import get_spec  # noqa: E402

SAMPLES = ROOT / "samples"
CITIES = ("南京市.xlsx", "苏州市.xlsx", "无锡市.xlsx", "常州市.xlsx", "扬州市.xlsm")
HOME = "南京市.xlsx"
BASE_TIME = dt.datetime(2026, 5, 10, 9, 0)
A5_LISTS = ("a5_ops", "a5_res", "a5_tot", "a5_srv")


def cleared(city: Path, dst: Path, keep: dict[tuple[str, str, str], object]) -> Path:
    """``city`` with the answers of its listed records cleared; ``keep``: (table, name key, field) → value kept."""
    data = read_workbook(city)
    wb = openpyxl.load_workbook(city)
    for tkey in ("a3", "a4", "a5_basic", *A5_LISTS):
        td = data.tables[tkey]
        ws = wb[td.sheet]
        name_key = "unit" if tkey.startswith("a5") else "name"
        for row in td.frame.index:
            k = N.name_key(td.frame.at[row, name_key])
            kept = {key: v for (t, n, key), v in keep.items() if (t, n) == (tkey, k)}
            for key, c in td.columns.items():
                if key == name_key and kept:
                    continue             # a row the city began itself keeps its name
                ws.cell(row, c).value = kept.get(key)
    wb.save(dst)
    return dst


def _cell(form: L.FormLayout, table: str, field: str) -> tuple[str, str]:
    sheet, rng = form.value_cells()[(table, field)]
    return sheet, rng.split(":")[0]


def edit(path: Path, dst: Path, changes: list[tuple[str, str, object]], *, drop_marker=False) -> Path:
    wb = openpyxl.load_workbook(path)
    for sheet, cell, value in changes:
        wb[sheet][cell].value = value
    if drop_marker:
        del wb[L.MARKER_SHEET]
    wb.save(dst)
    return dst


def pasted(path: Path, dst: Path) -> Path:
    """The form's visible values pasted into Sheet1 of a new workbook (two rows lower, one column right)."""
    src = openpyxl.load_workbook(path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    offset = 2
    for s in src.worksheets:
        if s.sheet_state != "visible":
            continue
        for row in s.iter_rows():
            for c in row:
                v = c.value
                if v is not None and not (isinstance(v, str) and v.startswith("=")):
                    ws.cell(c.row + offset, c.column + 1, v)
        offset += s.max_row + 3
    wb.save(dst)
    return dst


def answers_of(form_path: Path, kind: str, spec) -> dict:
    """The answers a returned form carries, as the manifest lists them (read back by the package)."""
    from xjr_excel.fillin.read import read_form
    fr = read_form(form_path, spec)
    out = {}
    for tkey, td in fr.data.tables.items():
        recs = list(td.values.values())
        out[tkey] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items() if v not in (None, "")}
                     for r in recs]
    return out


def main(out: Path) -> None:
    spec = get_spec()
    if out.exists():
        shutil.rmtree(out)
    (out / "发出").mkdir(parents=True)
    for name in CITIES:
        build_forms(SAMPLES / name, out / "发出" / Path(name).stem)

    home = SAMPLES / HOME
    data = read_workbook(home)
    a1 = [n for n in data.tables["a1"].frame["name"] if isinstance(n, str)]
    a2 = [n for n in data.tables["a2"].frame["name"] if isinstance(n, str)]
    conflict_name = a1[0]
    city_rep = "孙玉（市里录入）"
    cleared(home, out / "南京市-待回收.xlsx", {("a3", N.name_key(conflict_name), "legal_rep"): city_rep})

    tmp = Path(tempfile.mkdtemp())
    sent = build_forms(home, tmp)               # prefilled with the sample's answers: as returned
    by_name = {f.name: p for f, p in sent.written}
    ent, plat = L.enterprise_layout(spec), L.platform_layout(spec)
    back = out / "交回"
    back.mkdir()
    files = []

    def add(path: Path, kind, record, status, *, code=None, findings=(), minutes=0, note=""):
        t = (BASE_TIME + dt.timedelta(minutes=minutes)).timestamp()
        os.utime(path, (t, t))
        files.append({"file": path.name, "kind": kind, "record": record, "status": status, "code": code,
                      "mtime": t, "findings": [dict(zip(("sheet", "cell", "rule"), f)) for f in findings],
                      "note": note,
                      "answers": answers_of(path, kind, spec) if kind and status != "refused" else None})

    missing = a1[-1]                             # never returned
    wrong_code, low_rd, twice, pasted_one = a1[1], a2 and a1[2], a1[3], a1[4]
    for i, name in enumerate(a1):
        src = by_name[name]
        dst = back / src.name
        if name == missing:
            continue
        if name == wrong_code:
            sheet, cell = _cell(ent, "a3", "credit_code")
            code = data.tables["a3"].frame.set_index("name").at[name, "credit_code"]
            bad = code[:-1] + ("0" if code[-1] != "0" else "1")
            edit(src, dst, [(sheet, cell, bad)])
            add(dst, "enterprise", name, "merged", findings=[(sheet, cell, "a3.credit_code")], minutes=i,
                note="统一社会信用代码校验位错误")
        elif name == low_rd:
            sheet, cell = _cell(ent, "a4", "rd_share_i0")
            edit(src, dst, [(sheet, cell, 2.5)])
            add(dst, "enterprise", name, "merged", findings=[(sheet, cell, "a4.rd_share")], minutes=i,
                note="研发经费占比低于申报条件")
        elif name == twice:
            sheet, cell = _cell(ent, "a3", "legal_rep")
            draft = back / (src.stem + "-初稿.xlsx")
            edit(src, draft, [(sheet, cell, "（待定）")])
            add(draft, "enterprise", name, "superseded", code="XJR-I-FORM-SUPERSEDED", minutes=i,
                note="同一企业的较早一份（初稿）")
            shutil.copy(src, dst)
            add(dst, "enterprise", name, "merged", minutes=i + 60, note="同一企业的较新一份")
        elif name == pasted_one:
            dst = back / (src.stem + "-另存.xlsx")
            pasted(src, dst)
            add(dst, "enterprise", name, "merged", minutes=i, note="粘贴到新工作簿（无本工具标记），按栏目识别")
        else:
            shutil.copy(src, dst)
            conflict = name == conflict_name
            add(dst, "enterprise", name, "merged", minutes=i,
                note="法定代表人与工作簿中已录入的值不同（冲突）" if conflict else "")
    for i, name in enumerate(a2):
        src = by_name[name]
        dst = back / src.name
        if i == 0:
            sheet, cell = _cell(plat, "a5_basic", "mobile")
            edit(src, dst, [(sheet, cell, "1327115676")])
            add(dst, "platform", name, "merged", findings=[(sheet, cell, "a5.mobile")], minutes=30 + i,
                note="手机号少一位")
        else:
            shutil.copy(src, dst)
            add(dst, "platform", name, "merged", minutes=30 + i)
    # a stranger: a form of an enterprise the city did not list
    stranger = back / "附3附4-南京未列入科技有限公司.xlsx"
    sheet, cell = _cell(ent, "a3", "name")
    src = by_name[a1[0]]
    wb = openpyxl.load_workbook(src)
    wb[sheet][cell].value = "南京未列入科技有限公司"
    wb[sheet]["B4"].value = wb[sheet]["B4"].value      # unchanged params
    m = wb[L.MARKER_SHEET]
    for row in m.iter_rows():
        if row[0].value == "name":
            row[1].value = "南京未列入科技有限公司"
        if row[0].value == "credit_code":
            row[1].value = None
    sheet4, cell4 = _cell(ent, "a4", "name")
    wb[sheet4][cell4].value = "南京未列入科技有限公司"
    wb.save(stranger)
    add(stranger, "enterprise", "南京未列入科技有限公司", "not_listed", code="XJR-E-FORM-NOT-LISTED", minutes=40,
        note="不在附1名单中的企业")
    # a form of another city
    other = next((out / "发出" / "苏州市").glob("附3附4-*.xlsx"))
    dst = back / ("苏州市-" + other.name)
    shutil.copy(other, dst)
    add(dst, "enterprise", None, "refused", code="XJR-E-FORM-OTHER-BOOK", minutes=41, note="其他城市的填报表")
    # no workbook at all
    junk = back / "扫描件.xlsx"
    junk.write_bytes("这不是工作簿，只是改了扩展名的文本。\n".encode("utf-8"))
    add(junk, None, None, "refused", code="XJR-E-NOT-WORKBOOK", minutes=42, note="改了扩展名的文本文件")
    shutil.rmtree(tmp, ignore_errors=True)

    manifest = {
        "book": "南京市-待回收.xlsx", "city": "南京市", "missing": [missing],
        "conflicts": [{"record": conflict_name, "sheet": "附3", "field": "法定代表人", "city": city_rep}],
        "sent": {Path(n).stem: sorted(p.name for p in (out / "发出" / Path(n).stem).iterdir()) for n in CITIES},
        "returned": files,
    }
    manifest_path = out / "manifest.json" if out != SAMPLES / "forms" else Path(__file__).resolve().parent / "forms_manifest.json"
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str) + "\n",
                                       encoding="utf-8")
    print(f"written: {out}  ({len(files)} returned files)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLES / "forms")
