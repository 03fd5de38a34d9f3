"""`xjr serve`'s JSON API against a real server process on 127.0.0.1: the CLI's answers, never a 500,
nothing kept.

Each answer is compared with the CLI's ``--json`` for the same file, run in the file's folder
(so both name the file alone): every sample and every kind of hostile or damaged file.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest
import requests

import make_corpus as mc
from serve_support import (SAMPLES, Server, add_user, cli_json, copy_samples, manifest, policy_with, sample_files,
                           sheet_values, wait_busy, xjr)

pytestmark = pytest.mark.slow      # a server process and the CLI in subprocesses

UPLOADED: set[str] = set()          # digests of every file sent: none may be left behind


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("serve"))
    yield s
    s.stop()


def sent(path: Path) -> Path:
    UPLOADED.add(digest(path))
    return path


# ----------------------------------------------------------------------------- validate = xjr validate --json

@pytest.mark.parametrize("name", [f["file"] for f in manifest()["files"]])
def test_validate_answers_what_the_cli_prints_for_every_sample(server, name):
    path = sent(SAMPLES / name)
    r = server.upload("/api/validate", path)
    assert r.status_code == 200, r.text
    assert r.json() == cli_json("validate", name, cwd=SAMPLES)


@pytest.mark.parametrize("kind", sorted(mc.KINDS))
def test_validate_answers_what_the_cli_prints_for_every_hostile_file(server, corpus, kind, tmp_path):
    path = corpus(kind)
    if path.is_dir():                   # an inbox (several files): what consolidate makes of it
        return _same_merge_as_the_cli(server, path, tmp_path)
    sent(path)
    proc = xjr("validate", path.name, "--json", cwd=path.parent)
    assert "Traceback" not in proc.stderr
    import json
    expected = json.loads(proc.stdout)
    r = server.upload("/api/validate", path)
    assert r.status_code != 500 and "Traceback" not in r.text, r.text
    assert r.json() == expected
    if proc.returncode == 2:            # refused: the refusal's code, an HTTP 4xx
        assert 400 <= r.status_code < 500 and r.json()["code"] == expected["code"], r.text
    else:
        assert r.status_code == 200


def _same_merge_as_the_cli(server, folder: Path, tmp_path: Path) -> None:
    inbox = Path(shutil.copytree(folder, tmp_path / "inbox"))
    files = sorted(p for p in inbox.iterdir() if p.is_file())
    expected = cli_json("consolidate", *[f.name for f in files], "-o", "江苏省汇总.xlsx", "--province", "江苏省",
                        cwd=inbox)
    r = server.post("/api/consolidate", [("files", (f.name, open(sent(f), "rb"))) for f in files],
                    data={"province": "江苏省", "modified": [int(f.stat().st_mtime * 1000) for f in files]})
    assert r.status_code == 200, r.text
    got = r.json()
    got.pop("download")
    assert got == expected


def test_a_refused_file_gets_its_code_for_annotate_and_clear_too(server, corpus):
    path = sent(corpus("encrypted"))
    for route in ("/api/annotate", "/api/clear"):
        r = server.upload(route, path)
        assert r.status_code == 422 and r.json()["code"] == "XJR-E-ENCRYPTED" and "密码" in r.json()["error"], r.text
        assert r.json()["file"] == path.name


# ----------------------------------------------------------------------------- annotate / clear = the CLI's files

def _notes(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): c.comment.text for ws in wb.worksheets for row in ws.iter_rows()
            for c in row if c.comment}


def _same_but_the_time(a: dict, b: dict) -> None:
    """Equal sheet by sheet; only the time of the run may differ (a cell holding it, or a title naming it)."""
    assert a.keys() == b.keys()
    stamp = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")      # a form marker's is ISO
    for sheet in a:
        assert len(a[sheet]) == len(b[sheet]), sheet
        for ra, rb in zip(a[sheet], b[sheet]):
            for va, vb in zip(ra, rb):
                if va != vb:
                    assert stamp.search(str(va)) and stamp.sub("T", str(va)) == stamp.sub("T", str(vb)), (sheet, va, vb)


@pytest.mark.parametrize("name", ["苏州市.xlsx", "扬州市.xlsm"])
def test_annotate_gives_the_file_validate_annotate_writes(server, tmp_path, name):
    r = server.upload("/api/annotate", sent(SAMPLES / name))
    assert r.status_code == 200, r.text
    stem, suffix = name.rsplit(".", 1)
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    ours = tmp_path / f"web.{suffix}"
    ours.write_bytes(r.content)
    cli = tmp_path / f"cli.{suffix}"
    xjr("validate", SAMPLES / name, "--annotate", cli, cwd=tmp_path)
    _same_but_the_time(sheet_values(ours), sheet_values(cli))
    from xjr_excel.template import marks as M
    assert M.marked_cells(openpyxl.load_workbook(ours)) == M.marked_cells(openpyxl.load_workbook(cli))
    assert _notes(ours) == _notes(cli)

    # and clearing the marked copy gives the city's values back, as `xjr clear` does
    with open(ours, "rb") as fh:
        r = server.post("/api/clear", {"file": (f"{stem}-校验.{suffix}", fh)})
    assert r.status_code == 200, r.text
    cleared = tmp_path / f"cleared.{suffix}"
    cleared.write_bytes(r.content)
    assert sheet_values(cleared) == sheet_values(SAMPLES / name)
    assert not _notes(cleared).keys() - _notes(SAMPLES / name).keys()


# ----------------------------------------------------------------------------- consolidate = xjr consolidate --json

def test_consolidate_answers_what_the_cli_prints_and_the_workbook_is_the_clis(server, tmp_path):
    cli_dir = tmp_path / "cli"
    copy_samples(cli_dir)
    expected = cli_json("consolidate", *[f.name for f in sample_files()], "-o", "江苏省汇总.xlsx",
                        "--province", "江苏省", cwd=cli_dir)
    handles = [open(sent(f), "rb") for f in sample_files()]
    try:
        r = server.post("/api/consolidate", [("files", (f.name, h)) for f, h in zip(sample_files(), handles)],
                        data={"province": "江苏省"})
    finally:
        for h in handles:
            h.close()
    assert r.status_code == 200, r.text
    got = r.json()
    link = got.pop("download")
    assert got == expected
    wb = requests.get(server.url + link, timeout=60)
    assert wb.status_code == 200
    (tmp_path / "web.xlsx").write_bytes(wb.content)
    _same_but_the_time(sheet_values(tmp_path / "web.xlsx"), sheet_values(cli_dir / "江苏省汇总.xlsx"))
    again = requests.get(server.url + link, timeout=60)           # one download, then it is gone
    assert again.status_code == 410 and again.json()["code"] == "XJR-E-EXPIRED"


def test_a_zip_of_the_cities_is_a_folder_of_them(server, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sample_files():
            zf.write(f, f"报送/{f.name}")
        zf.writestr("报送/说明.txt", "各市报送文件")
    (tmp_path / "各市.zip").write_bytes(buf.getvalue())
    r = server.post("/api/consolidate", {"files": ("各市.zip", open(sent(tmp_path / "各市.zip"), "rb"))},
                    data={"province": "江苏省"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert sorted(c["file"] for c in got["cities"]) == sorted(f.name for f in sample_files())
    assert [Path(s["file"]).name for s in got["skipped"]] == ["说明.txt"]
    assert "不是工作簿" in got["skipped"][0]["reason"]


def test_one_bad_file_never_spoils_a_merge(server, corpus):
    files = [sent(SAMPLES / "南京市.xlsx"), sent(corpus("truncated"))]
    r = server.post("/api/consolidate", [("files", (f.name, open(f, "rb"))) for f in files], data={"province": "江苏省"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert [c["city"] for c in got["cities"] if c["status"] == "合格"] == ["南京市"]
    assert [s["code"] for s in got["skipped"]] == ["XJR-E-DAMAGED"]


def test_track_gives_the_tracking_workbook_of_the_cli(server, tmp_path):
    r = server.upload("/api/track", sent(SAMPLES / "南京市.xlsx"), data={"period": "1"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["city"] == "南京市" and got["enterprises"] == manifest()["files"][0]["enterprises"]
    web = tmp_path / "web.xlsx"
    web.write_bytes(requests.get(server.url + got["download"], timeout=60).content)
    cli = tmp_path / got["output"]
    assert xjr("track", SAMPLES / "南京市.xlsx", "-o", cli, "--period", "1", cwd=tmp_path).returncode == 0
    _same_but_the_time(sheet_values(web), sheet_values(cli))


def test_template_gives_the_master_workbook(server, tmp_path):
    r = server.post("/api/template", {}, data={"city": "南京市", "batch": "3", "year": "2026"})
    assert r.status_code == 200, r.text
    (tmp_path / "t.xlsm").write_bytes(r.content)
    wb = openpyxl.load_workbook(tmp_path / "t.xlsm", keep_vba=True)
    assert wb.vba_archive is not None                      # the ribbon's macros came along
    cli = tmp_path / "cli.xlsm"
    xjr("template", "-o", cli, "--city", "南京市", "--batch", "3", "--year", "2026", cwd=tmp_path)
    assert sheet_values(tmp_path / "t.xlsm") == sheet_values(cli)
    bad = server.post("/api/template", {}, data={"batch": "第三批"})
    assert bad.status_code == 400 and bad.json()["code"] == "XJR-E-ARGUMENT" and "整数" in bad.json()["error"]


# ----------------------------------------------------------------------------- forms = xjr forms, collect = xjr collect

FORMS = SAMPLES / "forms"
FORMS_MANIFEST = json.loads((SAMPLES.parent / "samples_src" / "forms_manifest.json").read_text(encoding="utf-8"))


def _returned_copy(dst: Path) -> list[Path]:
    """The returned forms with their file times from the manifest (git keeps none), as test_collect does."""
    dst.mkdir(parents=True, exist_ok=True)
    out = []
    for f in FORMS_MANIFEST["returned"]:
        shutil.copy(FORMS / "交回" / f["file"], dst / f["file"])
        os.utime(dst / f["file"], (f["mtime"], f["mtime"]))
        out.append(dst / f["file"])
    return out


def _post_collect(server, book: Path, files: list[Path], **data) -> requests.Response:
    """As the page sends them: the book, every form and its File.lastModified (milliseconds)."""
    handles = [open(sent(f), "rb") for f in [book, *files]]
    try:
        parts = [("book", (book.name, handles[0]))] + [("files", (f.name, h)) for f, h in zip(files, handles[1:])]
        fields = [("modified", str(int(f.stat().st_mtime * 1000))) for f in files] + list(data.items())
        return server.post("/api/collect", parts, data=fields)
    finally:
        for h in handles:
            h.close()


def test_forms_gives_a_zip_of_exactly_the_files_xjr_forms_writes(server, tmp_path):
    book = sent(SAMPLES / "南京市.xlsx")
    r = server.upload("/api/forms", book)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    cli = tmp_path / "cli"
    assert xjr("forms", book, "-o", cli, cwd=tmp_path).returncode == 0
    web = tmp_path / "web"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        zf.extractall(web)
    names = sorted(p.name for p in web.iterdir())
    assert names == sorted(p.name for p in cli.iterdir()) == sorted(FORMS_MANIFEST["sent"]["南京市"])
    for name in names:
        _same_but_the_time(sheet_values(web / name), sheet_values(cli / name))

    j = server.upload("/api/forms", book, data={"format": "json"})          # the JSON variant: what it holds
    assert j.status_code == 200, j.text
    got = j.json()
    assert sorted(got["forms"]) == names and got["failed"] == [] and got["output"] == "南京市-填报表.zip"
    again = requests.get(server.url + got["download"], timeout=60)
    with zipfile.ZipFile(io.BytesIO(again.content)) as zf:
        assert sorted(zf.namelist()) == names


def test_forms_of_a_refused_file_is_its_refusal(server, corpus):
    r = server.upload("/api/forms", sent(corpus("truncated")))
    assert r.status_code == 422 and r.json()["code"] == "XJR-E-DAMAGED"


def _same_collect(got: dict, expected: dict) -> None:
    assert got.pop("collected_at") and expected.pop("collected_at")       # the run's own time
    assert got == expected


def test_collect_answers_what_the_cli_prints_and_the_workbook_is_the_clis(server, tmp_path):
    cli = tmp_path / "cli"
    files = _returned_copy(cli)
    book = Path(shutil.copy(FORMS / FORMS_MANIFEST["book"], cli / FORMS_MANIFEST["book"]))
    out = "南京市-待回收-回收.xlsx"
    expected = cli_json("collect", book.name, *[f.name for f in files], "-o", out, cwd=cli)
    r = _post_collect(server, book, files)
    assert r.status_code == 200, r.text
    got = r.json()
    link = got.pop("download")
    _same_collect(got, dict(expected))
    by_file = {f["name"]: f for f in got["files"]}          # the manifest's outcome per returned file
    for f in FORMS_MANIFEST["returned"]:
        assert by_file[f["file"]]["status"] == f["status"] and by_file[f["file"]]["code"] == f["code"], f["file"]
    wb = requests.get(server.url + link, timeout=60)
    assert wb.status_code == 200
    (tmp_path / "web.xlsx").write_bytes(wb.content)
    _same_but_the_time(sheet_values(tmp_path / "web.xlsx"), sheet_values(cli / out))

    prefer = _post_collect(server, book, files, prefer="forms")              # --prefer forms likewise
    expected = cli_json("collect", book.name, *[f.name for f in files], "-o", "b.xlsx", "--prefer", "forms", cwd=cli)
    expected["output"] = out
    got = prefer.json()
    got.pop("download")
    _same_collect(got, expected)


def test_collect_takes_a_zip_of_the_returned_forms(server, tmp_path):
    cli = tmp_path / "cli"
    files = _returned_copy(cli / "交回")
    book = Path(shutil.copy(FORMS / FORMS_MANIFEST["book"], cli / FORMS_MANIFEST["book"]))
    with zipfile.ZipFile(tmp_path / "交回.zip", "w") as zf:
        for f in files:
            zf.write(f, f"交回/{f.name}")
    expected = cli_json("collect", book.name, "交回", "-o", "x.xlsx", cwd=cli)
    r = _post_collect(server, book, [tmp_path / "交回.zip"])
    assert r.status_code == 200, r.text
    got = r.json()
    # the zip keeps file times to 2 s: the outcome per file is the CLI's, the times may differ
    assert got["summary"] == expected["summary"]
    assert [(f["file"], f["status"], f["code"]) for f in got["files"]] == \
           [(f["file"], f["status"], f["code"]) for f in expected["files"]]


def test_collect_without_a_book_or_forms_is_a_400(server):
    book = sent(FORMS / FORMS_MANIFEST["book"])
    r = server.post("/api/collect", {"book": (book.name, open(book, "rb"))})
    assert r.status_code == 400 and r.json()["code"] == "XJR-E-ARGUMENT" and "files" in r.json()["error"]


# ----------------------------------------------------------------------------- limits and refusals of the server

def test_requests_the_server_refuses_are_json_4xx(server):
    r = requests.post(server.url + "/api/validate", data={"x": "1"}, timeout=30)
    assert r.status_code == 400 and r.json()["code"] == "XJR-E-ARGUMENT"
    r = requests.post(server.url + "/api/validate", files={"other": ("a.xlsx", b"x")}, timeout=30)
    assert r.status_code == 400 and "file" in r.json()["error"]
    r = requests.post(server.url + "/api/validate", files={"file": ("a.xlsx", b"x")},
                      headers={"Origin": "http://elsewhere.example"}, timeout=30)
    assert r.status_code == 403 and r.json()["code"] == "XJR-E-FORBIDDEN"
    r = requests.get(server.url + "/api/nothing", timeout=30)
    assert r.status_code == 404 and r.json()["code"] == "XJR-E-NOT-FOUND"
    r = requests.get(server.url + "/api/validate", timeout=30)
    assert r.status_code == 405 and "Traceback" not in r.text
    r = requests.post(server.url + "/api/validate", data=b"--x\r\nbroken", timeout=30,
                      headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 400 and r.json()["code"] == "XJR-E-ARGUMENT"
    r = requests.get(server.url + "/api/download/" + "A" * 32, timeout=30)
    assert r.status_code == 410


def test_a_page_post_without_its_csrf_token_is_refused(server):
    s = requests.Session()
    csrf = s.get(server.url + "/api/session", timeout=30).json()["csrf"]       # the page's cookie
    path = sent(SAMPLES / "南京市.xlsx")
    r = s.post(server.url + "/api/validate", files={"file": (path.name, path.read_bytes())}, timeout=60)
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    r = s.post(server.url + "/api/validate", files={"file": (path.name, path.read_bytes())}, timeout=60,
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["summary"] == {"errors": 0, "warnings": 0}


def _worker_pids(server_pid: int) -> list[int]:
    """The server's worker processes (multiprocessing's spawned children, not its resource tracker)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == server_pid and b"spawn_main" in cmd:
            out.append(int(stat.parent.name))
    return out


def test_limits_busy_workers_and_a_killed_worker(tmp_path):
    """One worker, no queue, 1 MiB uploads, 3 files a merge: 503 with Retry-After when busy; a worker
    killed mid-job costs only that request; too large and too many are refused as such."""
    s = Server(tmp_path, policy=policy_with(tmp_path, workers=1, queue=0, max_upload_bytes=1048576,
                                        max_files_per_merge=3, retry_after_seconds=7))
    try:
        results = {}
        files = sample_files()[:3]

        def merge():
            results["merge"] = s.post("/api/consolidate", [("files", (f.name, open(f, "rb"))) for f in files],
                                      data={"province": "江苏省"})
        t = threading.Thread(target=merge)
        t.start()
        wait_busy(s)
        busy = s.upload("/api/validate", SAMPLES / "南京市.xlsx")
        t.join()
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "7", busy.text
        assert busy.json()["code"] == "XJR-E-BUSY" and "7秒后重试" in busy.json()["error"]
        assert results["merge"].status_code == 200                   # the running job was not disturbed

        # a worker killed while it works: that request is answered (not 500), the next one works
        def validate():
            results["killed"] = s.upload("/api/validate", SAMPLES / "苏州市.xlsx")
        t = threading.Thread(target=validate)
        t.start()
        wait_busy(s)
        import os
        import signal
        for pid in _worker_pids(s.proc.pid):
            os.kill(pid, signal.SIGKILL)
        t.join()
        killed = results["killed"]
        assert killed.status_code in (200, 422), killed.text          # finished first, or refused in one sentence
        if killed.status_code == 422:
            assert killed.json()["code"] == "XJR-E-INTERNAL" and "其他请求不受影响" in killed.json()["error"]
        after = s.upload("/api/validate", SAMPLES / "苏州市.xlsx")
        assert after.status_code == 200 and after.json()["summary"]["errors"] > 0

        big = tmp_path / "大.xlsx"
        big.write_bytes(b"PK\x03\x04" + b"\0" * (1 << 20))
        r = s.upload("/api/validate", big)
        assert r.status_code == 413 and r.json()["code"] == "XJR-E-TOO-LARGE" and "大.xlsx" in r.json()["error"]
        r = s.post("/api/consolidate", [("files", (f.name, open(f, "rb"))) for f in sample_files()[:4]],
                   data={"province": "江苏省"})
        assert r.status_code == 413 and r.json()["code"] == "XJR-E-TOO-MANY-FILES"
        assert not s.uploads_left()
    finally:
        s.stop()


# ----------------------------------------------------------------------------- access control

def test_accounts_roles_tokens_and_the_loopback_rule(tmp_path):
    accounts = tmp_path / "accounts.json"
    proc = xjr("serve", "--host", "0.0.0.0", "--accounts", accounts, "--port", "1", cwd=tmp_path)
    assert proc.returncode == 2 and "必须先设置账户" in proc.stderr and "--add-user" in proc.stderr
    assert "Traceback" not in proc.stderr
    prov = add_user(accounts, "省厅", "province-pass-1", "province")
    city = add_user(accounts, "南京", "city-pass-123", "city")
    assert accounts.stat().st_mode & 0o077 == 0                      # only its owner reads the hashes
    assert "province-pass-1" not in accounts.read_text(encoding="utf-8") and prov not in accounts.read_text()
    s = Server(tmp_path, accounts=accounts)
    try:
        path = SAMPLES / "南京市.xlsx"
        r = s.upload("/api/validate", path)
        assert r.status_code == 401 and r.json()["code"] == "XJR-E-LOGIN"
        r = s.upload("/api/validate", path, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
        r = s.upload("/api/validate", path, headers={"Authorization": f"Bearer {city}"})
        assert r.status_code == 200
        merge = lambda token: s.post("/api/consolidate", {"files": (path.name, open(path, "rb"))},  # noqa: E731
                                     data={"province": "江苏省"}, headers={"Authorization": f"Bearer {token}"})
        r = merge(city)
        assert r.status_code == 403 and r.json()["code"] == "XJR-E-FORBIDDEN" and "省级账户" in r.json()["error"]
        r = merge(prov)
        assert r.status_code == 200
        # the download belongs to who asked for it
        link = r.json()["download"]
        assert requests.get(s.url + link, headers={"Authorization": f"Bearer {city}"}, timeout=30).status_code == 410
        assert requests.get(s.url + link, headers={"Authorization": f"Bearer {prov}"}, timeout=30).status_code == 200
        # a session: log in (CSRF), the cookie's flags, log out
        sess = requests.Session()
        csrf = sess.get(s.url + "/api/session", timeout=30).json()["csrf"]
        bad = sess.post(s.url + "/api/login", json={"user": "南京", "password": "wrong-password"},
                        headers={"X-CSRF-Token": csrf}, timeout=30)
        assert bad.status_code == 401 and "不正确" in bad.json()["error"]
        for _ in range(5):                       # guessing 省厅's password: after five failures, no more tries
            sess.post(s.url + "/api/login", json={"user": "省厅", "password": "guess-guess"},
                      headers={"X-CSRF-Token": csrf}, timeout=30)
        stop = sess.post(s.url + "/api/login", json={"user": "省厅", "password": "province-pass-1"},
                         headers={"X-CSRF-Token": csrf}, timeout=30)
        assert stop.status_code == 401 and "次数过多" in stop.json()["error"]
        ok = sess.post(s.url + "/api/login", json={"user": "南京", "password": "city-pass-123"},
                       headers={"X-CSRF-Token": csrf}, timeout=30)
        assert ok.status_code == 200 and ok.json()["role"] == "city"
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        csrf = ok.json()["csrf"]
        assert sess.post(s.url + "/api/validate", files={"file": (path.name, path.read_bytes())},
                         headers={"X-CSRF-Token": csrf}, timeout=60).status_code == 200
        assert sess.post(s.url + "/api/logout", headers={"X-CSRF-Token": csrf}, timeout=30).ok
        assert sess.post(s.url + "/api/validate", files={"file": (path.name, path.read_bytes())},
                         headers={"X-CSRF-Token": csrf}, timeout=60).status_code in (401, 403)
    finally:
        s.stop()
    log = s.output()
    assert "province-pass-1" not in log and prov not in log and "sha256=" in log


# ----------------------------------------------------------------------------- nothing kept (runs last)

def test_zz_no_uploaded_file_is_left_behind(server):
    assert UPLOADED, "the tests above uploaded files"
    assert not server.uploads_left()
    assert not server.files_with_digests(UPLOADED)
    assert "Traceback" not in server.output()
