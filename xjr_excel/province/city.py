"""One city file in the province merge: read, validated, its records and cover taken (a worker
process runs this; :mod:`xjr_excel.province.intake` hands out the files, :mod:`.consolidate` merges)."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from xjr_excel import errors, forms
from xjr_excel.guard.check import sha256_of
from xjr_excel.province.model import (AS_IS, STATUS_ERRORS, STATUS_OK, STATUS_UNREADABLE, CityFile, Rows, city_from_filename, norm_city,
                                      plain)
from xjr_excel.session import FileCache
from xjr_excel.spec.definition import Spec, get_spec

PROVINCE_SHEETS = ("统计", "合并记录")      # only our provincial workbook has both


# ----------------------------------------------------------------------------- one file (worker process)

def _load_names(path: str):
    from xjr_excel.read.names import load
    return load(path)


_NAMES = FileCache(_load_names)


def reference_names(names_path):
    """The MIIT reference list, loaded once per process (again when the file changes)."""
    if not names_path:
        return None
    return _NAMES.get(names_path)


def read_city_file(path: str, names_path: str | None = None, policy_path: str | None = None) -> CityFile:
    """Read and validate one city workbook; never raises (the reason is kept instead)."""
    cf, data = open_city_file(path, policy_path)
    if data is None:
        return cf
    try:
        from xjr_excel.validate import run as validate
        findings = list(validate.validate(data, names=reference_names(names_path)))
    except Exception as e:  # noqa: BLE001 - one broken file must not stop the merge
        return internal_error(cf, e)
    return finish_city_file(cf, data, findings)


def open_city_file(path: str, policy_path: str | None = None):
    """``(CityFile, WorkbookData)`` of one city workbook, read but not validated; the data is None
    when the file cannot be read (the CityFile says why). Never raises."""
    p = Path(path)
    try:
        st = p.stat()
        cf = CityFile(path=str(p), name=p.name, sha256=sha256_of(p), mtime=st.st_mtime)
    except OSError as e:
        return CityFile(path=str(p), name=p.name, sha256="", mtime=0.0,
                        reason=f"无法读取该文件（{e.strerror}）。请检查文件权限后重试。", kind="unreadable"), None
    spec = get_spec(policy_path)
    try:
        from xjr_excel.read import workbook as reader
        return cf, reader.read_workbook(p, spec=spec)
    except errors.UserError as e:
        cf.reason, cf.kind = e.message, e.kind
    except Exception as e:  # noqa: BLE001 - one broken file must not stop the merge
        internal_error(cf, e)
    return cf, None


def internal_error(cf: CityFile, e: Exception) -> CityFile:
    cf.reason = (f"读取或校验时程序内部出错（{type(e).__name__}：{e}）。该文件未合并；"
                 f"请单独运行 xjr validate 查看，或将文件发给技术支持。")
    cf.kind = "internal"
    return cf


def finish_city_file(cf: CityFile, data, findings) -> CityFile:
    """The CityFile of a workbook read and validated: counts, records, cover (or why it is skipped)."""
    if take_records(cf, data):
        count_findings(cf, findings)
    return cf


def take_records(cf: CityFile, data) -> bool:
    """The records and the cover into ``cf`` (no findings needed: a worker does it while reading).
    False when the file is no city workbook (the province's own output): nothing taken."""
    if set(PROVINCE_SHEETS) <= set(data.sheet_names):
        cf.reason = ("这是全省汇总工作簿（xjr consolidate 的输出），不是城市工作簿，已跳过。"
                     "请不要把汇总文件与城市文件放在同一文件夹中合并。")
        cf.kind = "province_output"
        return False
    _fill_from_data(cf, data, data.spec)     # the form the reader recognised (申报 or 跟踪表)
    return True


def count_findings(cf: CityFile, findings) -> None:
    """Counts of the findings (validate() includes the reader's) and the status they give."""
    cf.errors = sum(1 for f in findings if f.severity == "error")
    cf.warnings = sum(1 for f in findings if f.severity == "warning")
    cf.findings_by_rule = dict(sorted(Counter(f.rule for f in findings).items()))
    if not cf.reason:          # a file refused while its records were taken stays refused
        cf.status = STATUS_ERRORS if cf.errors else STATUS_OK


def _fill_from_data(cf: CityFile, data, spec: Spec) -> None:
    """The records, the cover."""
    cf.has_macros = bool(data.has_macros)

    found_any = False
    cf.form = spec.form
    for t in forms.lookup(spec).tables_to_merge(spec):      # the form says which tables hold its records
        td = data.tables.get(t.key)
        if td is None or td.sheet is None:
            continue
        found_any = True
        cols = [f.key for f in t.fields if f.key in td.frame.columns]
        content = [i for i, k in enumerate(cols) if k != "seq"]
        rows, values = [], []
        if cols and len(td.frame):
            matrix = td.frame[cols].to_numpy(dtype=object)
            for r, vals in zip(td.frame.index, matrix):
                vals = tuple(v if type(v) in AS_IS else plain(v) for v in vals)
                if any(vals[i] is not None and vals[i] != "" for i in content):
                    rows.append(int(r))
                    values.append(vals)
        cf.tables[t.key] = Rows(sheet=td.sheet, columns=cols, rows=rows, values=values)
    if not found_any:
        from xjr_excel.guard.check import reject_not_template
        e = reject_not_template(spec, cf.path, data.sheet_names)
        cf.status, cf.reason, cf.kind, cf.tables = STATUS_UNREADABLE, e.message, e.kind, {}
        return

    cover = data.cover or {}
    city = norm_city(plain(cover.get("city")))
    if city and "×" not in city:
        cf.city, cf.city_from = city, "封面"
    else:
        cf.city = city_from_filename(Path(cf.name).stem) or Path(cf.name).stem
        cf.city_from = "文件名"
    cf.batch = _int_or_none(cover.get("batch"))
    cf.year = _int_or_none(cover.get("year"))
    filled = plain(cover.get("filled_on"))
    cf.filled_on = filled.date() if isinstance(filled, dt.datetime) else filled if isinstance(filled, dt.date) else None
    cf.department = str(plain(cover.get("department")) or "")
    cf.period = str(plain(cover.get("period")) or "")


def _int_or_none(v):
    v = plain(v)
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None
