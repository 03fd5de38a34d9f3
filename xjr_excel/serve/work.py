"""What a worker process runs: the functions the CLI calls, on files in a request's folder.

Each function takes plain paths and strings and returns plain data (it crosses a process pipe).
Refusals are raised as the CLI raises them (the pool carries them back, class and message intact).
Results are written into ``out_dir`` (a folder of the download store); the return names them.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from xjr_excel.errors import UserError
from xjr_excel.spec.definition import get_spec


def warm(policy_path: str | None) -> None:
    """Import the reader, validator and writers and build the spec once, before the first request."""
    from xjr_excel.annotate.backends import openpyxl_book  # noqa: F401
    from xjr_excel.province import consolidate  # noqa: F401
    from xjr_excel.read import workbook  # noqa: F401
    from xjr_excel.validate import run  # noqa: F401
    get_spec(policy_path)


def validate(path: str, policy_path: str | None = None) -> dict:
    """The payload of ``xjr validate --json`` (a refused file gives its refusal's payload)."""
    from xjr_excel.validate.run import validate_json
    payload, _found, _refused = validate_json(path, Path(path).name, spec=get_spec(policy_path))
    return payload


def marked_name(src: Path) -> str:
    """The marked copy's name: ``X.xlsx`` → ``X-校验.xlsx`` (an .xls/.ods becomes an .xlsx copy, as the CLI's)."""
    from xjr_excel.annotate.backends import openpyxl_book as annotate
    from xjr_excel.annotate.xlsx_copy import copy_name
    return copy_name(src).name if annotate.needs_copy(src) else f"{src.stem}-校验{src.suffix}"


def annotate(path: str, out_dir: str, policy_path: str | None = None) -> dict:
    """The marked copy ``xjr validate FILE --annotate OUT`` writes; its payload and name."""
    from xjr_excel.annotate.backends import openpyxl_book as annotate_book
    from xjr_excel.validate.run import validate_json
    src, spec = Path(path), get_spec(policy_path)
    payload, found, refused = validate_json(path, src.name, spec=spec)
    if refused is not None:
        raise refused
    out = Path(out_dir) / marked_name(src)
    annotate_book.annotate_file(src, out, found, spec)
    return {"payload": payload, "output": out.name}


def clear(path: str, out_dir: str, policy_path: str | None = None) -> dict:
    """The cleared copy ``xjr clear FILE -o OUT`` writes (the same door, the same refusals: an .xls or
    .ods never carries marks, and clear_file says so)."""
    from xjr_excel.annotate.backends import openpyxl_book as annotate_book
    from xjr_excel.guard import check as guard
    src = Path(path)
    guard.check_file(path)
    stem = src.stem[:-3] if src.stem.endswith("-校验") else src.stem
    out = Path(out_dir) / f"{stem}-已清除标记{src.suffix}"
    annotate_book.clear_file(src, out)
    return {"output": out.name}


@contextlib.contextmanager
def _inside(folder: str):
    """Work with bare file names inside ``folder`` (the payload then names files as the CLI run there does)."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def consolidate(folder: str, inputs: list[str], province: str, out_dir: str, output_name: str,
                policy_path: str | None = None) -> dict:
    """The payload of ``xjr consolidate INPUTS -o NAME --province P --json`` run in ``folder``."""
    from xjr_excel.province.consolidate import consolidate as merge
    out = Path(out_dir) / output_name
    with _inside(folder):
        payload = merge(inputs, str(out), province=province, jobs=1, policy_path=policy_path, progress=False)
    if payload["province"].get("output"):
        payload["province"]["output"] = output_name
    # the CLI prints with default=str (dates): the same text, read back
    return json.loads(json.dumps(payload, ensure_ascii=False, default=str))


# The tracking form's command module, by module path as cli/main.py reaches it: a front end never
# imports a form's package (setup.cfg [importlinter:contract:forms]).
TRACK_COMMAND = "xjr_excel.track.command"


def track(path: str, period: int, out_dir: str, policy_path: str | None = None) -> dict:
    """The tracking workbook ``xjr track FILE -o OUT --period N`` writes, and what it holds."""
    import importlib
    cmd = importlib.import_module(TRACK_COMMAND)
    from xjr_excel.serve.uploads import safe_name
    spec = get_spec(policy_path)
    try:
        label = cmd.period_label(spec.policy, period)
    except ValueError as e:
        raise UserError(str(e)) from None
    src = cmd.from_submission(path, spec)
    city = src.cover.get("city") or Path(path).stem
    out = Path(out_dir) / safe_name(cmd.output_name(city, label), set())
    cmd.build_tracking(out, src, period, cmd.track_spec_for(spec))
    return {"file": Path(path).name, "city": city, "period": period, "period_label": label,
            "enterprises": len(src.enterprises), "output": out.name}


def template(city: str | None, batch: int | None, year: int | None, out_dir: str,
             policy_path: str | None = None) -> dict:
    """The master workbook ``xjr template -o OUT --city --batch --year`` writes."""
    from xjr_excel.template.build import build_workbook, submission_params
    spec = get_spec(policy_path)
    p = submission_params(spec, city=city, batch=batch, year=year)
    from xjr_excel.serve.uploads import safe_name
    out = Path(out_dir) / safe_name(f"{p['city']}-第{p['batch']}批-{p['year']}-申报模板.xlsm", set())
    build_workbook(out, city=city, batch=batch, year=year, spec=spec)
    return {"city": p["city"], "batch": p["batch"], "year": p["year"], "output": out.name}


# The fill-in forms' commands (``xjr forms`` / ``xjr collect``), by module path as cli/main.py names them:
# the same rule as TRACK_COMMAND.
FORMS_BUILD = "xjr_excel.fillin.build"          # what ``xjr_excel.fillin.command`` calls for ``-o DIR``
COLLECT_COMMAND = "xjr_excel.fillin.collect_command"


def forms(path: str, out_dir: str, policy_path: str | None = None) -> dict:
    """The files ``xjr forms FILE -o DIR`` writes, as one zip in ``out_dir``; what it holds.

    The forms are written into a folder beside the zip, zipped, and the folder removed: the zip holds
    exactly the files of ``xjr forms`` (names and contents)."""
    import importlib
    import shutil
    import zipfile
    from xjr_excel.atomic import atomic_path
    from xjr_excel.serve.uploads import safe_name
    builder = importlib.import_module(FORMS_BUILD)
    src = Path(path)
    folder = Path(out_dir) / "填报表"
    try:
        result = builder.build_forms(str(src), str(folder), spec=get_spec(policy_path))
        if not result.written:
            raise UserError("没有生成任何填报表：" + "；".join(why for _f, why in result.failed), file=src.name)
        out = Path(out_dir) / safe_name(f"{src.stem}-填报表.zip", set())
        with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for _form, written in result.written:
                zf.write(written, Path(written).name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"file": src.name, "forms": [Path(w).name for _f, w in result.written],
            "failed": [{"name": f.name, "reason": why} for f, why in result.failed],
            "notes": list(result.notes), "output": out.name}


def collect(folder: str, book: str, inputs: list[str], out_dir: str, output_name: str, prefer: str = "city",
            policy_path: str | None = None) -> dict:
    """The payload of ``xjr collect BOOK INPUTS -o NAME [--prefer forms] --json`` run in ``folder``."""
    import importlib
    cmd = importlib.import_module(COLLECT_COMMAND)
    out = Path(out_dir) / output_name
    with _inside(folder):
        # jobs=1: this already is a worker process of the pool
        payload = cmd.collect(book, inputs, str(out), prefer_forms=prefer == "forms", jobs=1, policy_path=policy_path)
    payload["output"] = output_name
    return json.loads(json.dumps(payload, ensure_ascii=False, default=str))


JOBS = {"validate": validate, "annotate": annotate, "clear": clear, "consolidate": consolidate,
        "track": track, "template": template, "forms": forms, "collect": collect}
