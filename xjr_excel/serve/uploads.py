"""Read a multipart/form-data request straight into a request's private folder, within limits.

Starlette's own form parser spools large files into the system temp folder; this one writes
each uploaded file only into the folder it is given, stops at the size and count limits while
the bytes arrive (nothing over the limit is kept), and names files by their uploaded names
made safe (no folders, no control characters, unique).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from xjr_excel import errors

MAX_FIELD_BYTES = 64 * 1024
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)            # the last value of each field
    lists: dict[str, list[str]] = field(default_factory=dict)       # every value of each field, in order
    files: list[tuple[str, Path]] = field(default_factory=list)     # (field name, saved file)

    def add(self, name: str, value: str) -> None:
        self.fields[name] = value
        self.lists.setdefault(name, []).append(value)

    def files_of(self, name: str) -> list[Path]:
        return [p for n, p in self.files if n == name]


def safe_name(raw: str, taken: set[str]) -> str:
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .") or "上传文件"      # no hidden files, no "." or ".."
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem, suffix = stem[:120], suffix[:16]
    candidate, i = name[:140], 2
    while candidate.lower() in taken:
        candidate = f"{stem}({i}){'.' + suffix if suffix else ''}"
        i += 1
    taken.add(candidate.lower())
    return candidate


async def read_form(request, folder: Path, *, max_file_bytes: int, max_files: int) -> Form:
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype == b"application/x-www-form-urlencoded":      # fields only (the template's city, batch, year)
        return await _urlencoded(request)
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise errors.BadArgument(detail="请求应为 multipart/form-data（以表单上传文件）。")
    form, taken = Form(), set()
    state: dict = {}

    def on_part_begin():
        state.update(headers={}, field=b"", value=b"", out=None, size=0, name=None, filename=None)

    def on_header_field(data, start, end):
        state["field"] += data[start:end]

    def on_header_value(data, start, end):
        state["value"] += data[start:end]

    def on_header_end():
        state["headers"][state["field"].lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished():
        _, opts = parse_options_header(state["headers"].get(b"content-disposition", b""))
        state["name"] = opts.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in opts:
            if len(form.files) >= max_files:
                raise errors.TooManyFiles(limit=max_files)
            raw = opts[b"filename"].decode("utf-8", "replace")
            path = folder / safe_name(raw, taken)
            state["filename"] = raw
            state["out"] = open(path, "wb")
            form.files.append((state["name"], path))
        else:
            state["buf"] = bytearray()

    def on_part_data(data, start, end):
        n = end - start
        state["size"] += n
        if state["out"] is not None:
            if state["size"] > max_file_bytes:
                raise errors.FileTooLarge(
                    f"“{state['filename']}”超过上传上限{max_file_bytes // (1 << 20)} MiB，未接收。"
                    f"请删除多余内容后重新上传。", file=state["filename"])
            state["out"].write(data[start:end])
        else:
            if state["size"] > MAX_FIELD_BYTES:
                raise errors.BadArgument(detail=f"表单字段“{state['name']}”过长。")
            state["buf"] += data[start:end]

    def on_part_end():
        if state["out"] is not None:
            state["out"].close()
            state["out"] = None
        else:
            form.add(state["name"], bytes(state["buf"]).decode("utf-8", "replace"))

    parser = MultipartParser(params[b"boundary"], {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished})
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except errors.UserError:
        raise
    except Exception as e:  # noqa: BLE001 - a malformed body is the client's error, not ours
        raise errors.BadArgument(detail=f"上传的表单无法解析（{type(e).__name__}）。请重新上传。") from None
    finally:
        if state.get("out") is not None:
            state["out"].close()
    return form


async def _urlencoded(request) -> Form:
    from urllib.parse import parse_qsl
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FIELD_BYTES:
            raise errors.BadArgument(detail="表单过长。")
    form = Form()
    for k, v in parse_qsl(body.decode("utf-8", "replace")):
        form.add(k, v)
    return form
