"""The JSON API (the page calls it too): the same answers as the CLI's ``--json``.

Every route: who is asking (``auth``) → the upload into a private folder (``uploads``), deleted
when the request ends whatever happens → the work in a worker process (``pool`` / ``work``) →
JSON, or the workbook.  A refusal is JSON with its code and an HTTP 4xx; a bug is JSON and a 500
without a traceback.  The log gets file name, size, digest, user and outcome, nothing else.
"""
from __future__ import annotations

import logging
import os
import time
import shutil
import zipfile
from pathlib import Path
from urllib.parse import quote

import anyio
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from xjr_excel import errors
from xjr_excel.guard.check import sha256_of
from xjr_excel.serve import auth
from xjr_excel.serve.pool import InternalFailure
from xjr_excel.serve.uploads import Form, read_form, safe_name

log = logging.getLogger("xjr.serve")

# refusal kind → HTTP status (a refused file: 422)
STATUS = {"busy": 503, "login": 401, "forbidden": 403, "too_large": 413, "too_many_files": 413,
          "expired": 410, "argument": 400}
XLSX_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12", ".zip": "application/zip"}


# ----------------------------------------------------------------------------- answers

def refusal_response(e: errors.UserError, body: dict | None = None, retry_after: int | None = None) -> JSONResponse:
    status = STATUS.get(e.kind, 422)
    headers = {"Retry-After": str(retry_after)} if status == 503 and retry_after else None
    return JSONResponse(body or {**({"file": Path(e.file).name} if e.file else {}), **e.as_json()},
                        status_code=status, headers=headers)


def internal_response(what: str) -> JSONResponse:
    return JSONResponse({"code": errors.InternalError.code, "kind": "internal", "title": "Internal error",
                         "error": f"程序内部出错（{what}），文件未被保存。请将此信息告知管理员。"}, status_code=500)


def file_response(path: Path, cleanup) -> FileResponse:
    """The workbook as a download; ``cleanup`` runs after it is sent (the result is deleted)."""
    name = path.name
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return FileResponse(path, media_type=XLSX_TYPES.get(path.suffix.lower(), "application/octet-stream"),
                        headers={"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                                        f"filename*=UTF-8''{quote(name)}",
                                 "Cache-Control": "no-store"},
                        background=BackgroundTask(cleanup))


async def log_files(ident: auth.Identity, action: str, files: list[Path], outcome: str) -> None:
    for f in files:
        size, digest = await anyio.to_thread.run_sync(lambda: (f.stat().st_size, sha256_of(f)))
        log.info("%s user=%s file=%s size=%d sha256=%s outcome=%s", action, ident.user, f.name, size, digest, outcome)


# ----------------------------------------------------------------------------- the request's pieces

def state(request: Request):
    return request.app.state


def limits(request: Request) -> dict:
    return state(request).config.limits


async def upload(request: Request, folder: Path, max_files: int | None = None) -> Form:
    lim = limits(request)
    return await read_form(request, folder, max_file_bytes=int(lim["max_upload_bytes"]),
                           max_files=max_files or int(lim["max_files_per_merge"]))


def one_file(form: Form) -> Path:
    files = form.files_of("file")
    if len(files) != 1:
        raise errors.BadArgument(detail="请在字段“file”中上传一个工作簿。")
    return files[0]


def int_field(form: Form, name: str, label: str, required: bool = False) -> int | None:
    raw = form.fields.get(name, "").strip()
    if not raw:
        if required:
            raise errors.BadArgument(detail=f"请填写{label}。")
        return None
    try:
        return int(raw)
    except ValueError:
        raise errors.BadArgument(detail=f"{label}应为整数，当前为“{raw[:20]}”。") from None


def run(request: Request, name: str, **kwargs):
    return state(request).pool.run(name, policy_path=state(request).config.policy_path, **kwargs)


def keep_result(request: Request, token: str, folder: Path, name: str, ident: auth.Identity) -> str:
    state(request).store.keep(token, folder / name, ident.user)
    return f"/api/download/{token}"


def guarded(action: str, *, merge: bool = False):
    """A route: identify (and check CSRF / role), then the handler; refusals and bugs become JSON."""
    def wrap(handler):
        async def endpoint(request: Request):
            st = state(request)
            ident = None
            try:
                ident = st.gate.identify(request)
                if merge and not ident.may_merge:
                    raise errors.NotAllowed(detail=f"合并汇总需要省级账户（角色 province）；当前账户“{ident.user}”"
                                                   f"为市级，只能校验。请用省级账户登录。")
                return await handler(request, ident)
            except errors.UserError as e:
                log.info("%s user=%s outcome=refused code=%s", action, ident.user if ident else "-", e.code)
                return refusal_response(e, getattr(e, "body", None), st.pool.retry_after)
            except InternalFailure as e:
                log.warning("%s user=%s outcome=internal-error", action, ident.user if ident else "-")
                return internal_response(str(e))
        endpoint.__name__ = handler.__name__
        return endpoint
    return wrap


# ----------------------------------------------------------------------------- routes

def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("xjr-excel")
    except PackageNotFoundError:
        return "unknown"


async def health(request: Request):
    return JSONResponse({"status": "ok", "version": _version(), "pool": state(request).pool.stats()})


@guarded("validate")
async def validate(request: Request, ident):
    with state(request).store.upload_folder() as d:
        f = one_file(await upload(request, d, 1))
        payload = await run(request, "validate", path=str(f))
        refused = "code" in payload
        await log_files(ident, "validate", [f], payload.get("code") or f"errors={payload['summary']['errors']}")
    if refused:        # the same payload `xjr validate --json` prints for a refused file, with a 4xx
        return JSONResponse(payload, status_code=STATUS.get(payload["kind"], 422))
    return JSONResponse(payload)


async def _workbook_job(request: Request, ident, job: str):
    st = state(request)
    with st.store.result_folder() as (token, out_dir):
        with st.store.upload_folder() as d:
            f = one_file(await upload(request, d, 1))
            try:
                result = await run(request, job, path=str(f), out_dir=str(out_dir))
            except errors.UserError as e:
                await log_files(ident, job, [f], e.code)
                raise
            await log_files(ident, job, [f], "ok")
        return file_response(out_dir / result["output"], lambda: st.store.drop(token))


@guarded("annotate")
async def annotate(request: Request, ident):
    return await _workbook_job(request, ident, "annotate")


@guarded("clear")
async def clear(request: Request, ident):
    return await _workbook_job(request, ident, "clear")


def keep_modified(files: list[Path], modified: list[str]) -> None:
    """Each file's modification time as the sender had it (``modified``: milliseconds, in the order of the
    files; the page sends File.lastModified).  The merge keeps a city's newest file by it, as the CLI does."""
    for f, ms in zip(files, modified):
        try:
            t = int(float(ms)) / 1000
            os.utime(f, (t, t))
        except (ValueError, OverflowError, OSError):
            pass          # no usable time: the upload's own


def unpack_zip(archive: Path, folder: Path, *, max_member_bytes: int, max_total_bytes: int, room: int,
               limit: int) -> tuple[Path, int]:
    """The zip's files in ``folder/<zip name>/`` (flattened, so no name escapes the folder; GBK names
    from Windows read right), each within the upload limit and all within ``max_total_bytes``, at most
    ``room`` of them (``limit``: the merge's whole limit, for the message); the folder and its count."""
    target = folder / safe_name(archive.stem, set())
    target.mkdir()
    taken: set[str] = set()
    count = total = 0
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise errors.Damaged(f"“{archive.name}”不是完整的zip压缩包，无法解压。请重新压缩后上传。",
                             file=archive.name) from None
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            if not info.flag_bits & 0x800:           # not flagged UTF-8: Windows wrote it in GBK
                try:
                    name = name.encode("cp437").decode("gbk")
                except (UnicodeEncodeError, UnicodeDecodeError):
                    pass
            if name.rsplit("/", 1)[-1].startswith("__MACOSX") or "/__MACOSX/" in f"/{name}":
                continue
            count += 1
            if count > room:
                raise errors.TooManyFiles(limit=limit)
            out = target / safe_name(name, taken)
            stamp = time.mktime((*info.date_time, 0, 0, -1))      # the member's time, as unzipping keeps it
            written = 0
            try:
                with zf.open(info) as src, open(out, "wb") as dst:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        written += len(chunk)
                        total += len(chunk)
                        if total > max_total_bytes:
                            raise errors.ZipBomb(f"压缩包“{archive.name}”解压后超过上限{max_total_bytes // (1 << 20)} MiB，"
                                                 f"未合并。请分成几个压缩包，或直接上传各市工作簿。", file=archive.name)
                        if written > max_member_bytes:
                            raise errors.FileTooLarge(f"压缩包“{archive.name}”中的“{out.name}”解压后超过上限"
                                                      f"{max_member_bytes // (1 << 20)} MiB。", file=archive.name)
                        dst.write(chunk)
                os.utime(out, (stamp, stamp))
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as e:
                raise errors.Damaged(f"压缩包“{archive.name}”中的“{out.name}”无法解压（{type(e).__name__}，"
                                     f"可能已损坏或加密）。请重新压缩后上传。", file=archive.name) from None
    return target, count


async def unpacked(request: Request, d: Path, files: list[Path]) -> list[str]:
    """The inputs as the CLI is given them in ``d``: each file by its name, each zip as its folder."""
    lim = limits(request)
    inputs, room = [], int(lim["max_files_per_merge"])
    for f in files:
        if f.suffix.lower() == ".zip":
            folder, n = await anyio.to_thread.run_sync(lambda f=f: unpack_zip(
                f, d, max_member_bytes=int(lim["max_upload_bytes"]),
                max_total_bytes=int(lim["max_unzipped_bytes"]), room=room - len(files) + 1,
                limit=int(lim["max_files_per_merge"])))
            room -= n - 1
            inputs.append(folder.name)
        else:
            inputs.append(f.name)
    return inputs


@guarded("consolidate", merge=True)
async def consolidate(request: Request, ident):
    st = state(request)
    with st.store.result_folder() as (token, out_dir):
        with st.store.upload_folder() as d:
            form = await upload(request, d)
            files = form.files_of("files")
            if not files:
                raise errors.BadArgument(detail="请在字段“files”中上传城市工作簿（可多个，或一个zip压缩包）。")
            province = form.fields.get("province", "").strip() or "××省"
            keep_modified(files, form.lists.get("modified", []))
            inputs = await unpacked(request, d, files)
            output = safe_name(f"{province}汇总.xlsx", set())
            payload = await run(request, "consolidate", folder=str(d), inputs=inputs, province=province,
                                out_dir=str(out_dir), output_name=output)
            await log_files(ident, "consolidate", files,
                            f"cities={payload['province'].get('cities')} skipped={len(payload['skipped'])}")
        if payload["province"].get("output"):
            payload["download"] = keep_result(request, token, out_dir, output, ident)
        else:
            st.store.drop(token)
            payload["download"] = None
        return JSONResponse(payload)


@guarded("track")
async def track(request: Request, ident):
    st = state(request)
    with st.store.result_folder() as (token, out_dir):
        with st.store.upload_folder() as d:
            form = await upload(request, d, 1)
            f = one_file(form)
            period = int_field(form, "period", "实施期（1 满一年，2 满两年）", required=True)
            try:
                result = await run(request, "track", path=str(f), period=period, out_dir=str(out_dir))
            except errors.UserError as e:
                await log_files(ident, "track", [f], e.code)
                raise
            await log_files(ident, "track", [f], "ok")
        result["download"] = keep_result(request, token, out_dir, result["output"], ident)
        return JSONResponse(result)


@guarded("template")
async def template(request: Request, ident):
    st = state(request)
    with st.store.result_folder() as (token, out_dir):
        with st.store.upload_folder() as d:
            form = await upload(request, d, 0)
            result = await run(request, "template", city=form.fields.get("city", "").strip() or None,
                               batch=int_field(form, "batch", "批次"), year=int_field(form, "year", "申报年度"),
                               out_dir=str(out_dir))
        log.info("template user=%s outcome=ok", ident.user)
        return file_response(out_dir / result["output"], lambda: st.store.drop(token))


# The fill-in forms: a city's own work, so any account may (no province role needed).

def wants_json(request: Request, form: Form) -> bool:
    return (form.fields.get("format", "") or request.query_params.get("format", "")).strip().lower() == "json"


@guarded("forms")
async def forms(request: Request, ident):
    """``xjr forms FILE -o DIR``: the zip of exactly those files; with ``format=json`` what it holds and a
    one-time link to the zip."""
    st = state(request)
    with st.store.result_folder() as (token, out_dir):
        with st.store.upload_folder() as d:
            form = await upload(request, d, 1)
            f = one_file(form)
            try:
                result = await run(request, "forms", path=str(f), out_dir=str(out_dir))
            except errors.UserError as e:
                await log_files(ident, "forms", [f], e.code)
                raise
            await log_files(ident, "forms", [f], f"forms={len(result['forms'])} failed={len(result['failed'])}")
        if wants_json(request, form):
            result["download"] = keep_result(request, token, out_dir, result["output"], ident)
            return JSONResponse(result)
        return file_response(out_dir / result["output"], lambda: st.store.drop(token))


@guarded("collect")
async def collect(request: Request, ident):
    """``xjr collect BOOK FORMS... -o OUT [--prefer forms] --json`` (fields ``book``, ``files`` — forms or
    zips of them —, ``modified``, ``prefer``): its JSON and a one-time link to OUT."""
    st = state(request)
    with st.store.result_folder() as (token, out_dir):
        with st.store.upload_folder() as d:
            form = await upload(request, d, int(limits(request)["max_files_per_merge"]) + 1)
            books, files = form.files_of("book"), form.files_of("files")
            if len(books) != 1:
                raise errors.BadArgument(detail="请在字段“book”中上传一个城市申报工作簿（或目标完成情况跟踪表）。")
            if not files:
                raise errors.BadArgument(detail="请在字段“files”中上传交回的填报表（可多个，或一个zip压缩包）。")
            prefer = form.fields.get("prefer", "city").strip() or "city"
            if prefer not in ("city", "forms"):
                raise errors.BadArgument(detail=f"prefer应为 city 或 forms，当前为“{prefer[:20]}”。")
            # the merge keeps a record's latest form by its file time: the sender's, as for consolidate
            keep_modified(files, form.lists.get("modified", []))
            inputs = await unpacked(request, d, files)
            book = books[0]
            output = safe_name(f"{book.stem}-回收{book.suffix}", set())
            try:
                payload = await run(request, "collect", folder=str(d), book=book.name, inputs=inputs,
                                    out_dir=str(out_dir), output_name=output, prefer=prefer)
            except errors.UserError as e:
                await log_files(ident, "collect", [book, *files], e.code)
                raise
            s = payload["summary"]
            await log_files(ident, "collect", [book, *files],
                            f"merged={s['merged']} skipped={s['skipped']} superseded={s['superseded']}")
        payload["download"] = keep_result(request, token, out_dir, output, ident)
        return JSONResponse(payload)


async def download(request: Request):
    st = state(request)
    token = request.path_params["token"]
    try:
        ident = st.gate.identify(request)
        path = st.store.find(token, ident.user)
        if path is None:
            raise errors.ResultGone()
    except errors.UserError as e:
        return refusal_response(e)
    log.info("download user=%s file=%s outcome=sent", ident.user, path.name)
    return file_response(path, lambda: shutil.rmtree(path.parent, ignore_errors=True))


ROUTES = [
    Route("/api/health", health, methods=["GET"]),
    Route("/api/validate", validate, methods=["POST"]),
    Route("/api/annotate", annotate, methods=["POST"]),
    Route("/api/clear", clear, methods=["POST"]),
    Route("/api/consolidate", consolidate, methods=["POST"]),
    Route("/api/track", track, methods=["POST"]),
    Route("/api/template", template, methods=["POST"]),
    Route("/api/forms", forms, methods=["POST"]),
    Route("/api/collect", collect, methods=["POST"]),
    Route("/api/download/{token}", download, methods=["GET"]),
]
