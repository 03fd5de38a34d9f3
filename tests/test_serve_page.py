"""The page of `xjr serve` in a real headless Chromium (Debian's chromium + chromium-driver, Selenium).

What an official does: choose a workbook → the findings, counts and the picture of where they
are → the marked copy; merge the five cities → the provincial workbook; a damaged file → its
refusal; log in and out; a city account cannot merge.  The screenshots in docs/serve.md are
taken here (docs/serve-*.png).
"""
from __future__ import annotations

import contextlib


import hashlib
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from serve_support import (ROOT, SAMPLES, Server, add_user, chromium, cli_json, copy_samples, manifest,
                           merge_in_background, policy_with, sample_files, sheet_values, wait_busy,
                           wait_for_download, xjr)

pytestmark = pytest.mark.slow      # a server process and a browser

DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("serve-page"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser(downloads):
    driver = chromium(downloads)
    yield driver
    driver.quit()


@pytest.fixture()
def fresh(downloads):
    for p in downloads.iterdir():
        p.unlink()
    return downloads


def wait(driver, timeout=120):
    return WebDriverWait(driver, timeout)


def visible(driver, element_id, timeout=120):
    return wait(driver, timeout).until(EC.visibility_of_element_located((By.ID, element_id)))


def text_of(driver, element_id) -> str:
    return driver.find_element(By.ID, element_id).text


def shot(driver, name: str, height: int | None = None) -> None:
    """A screenshot for docs/serve.md, the page's full height (up to ``height``)."""
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(full + 120, height or 2400))
    driver.save_screenshot(str(DOCS / name))
    driver.set_window_size(1280, 1000)


def tab(driver, name: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'nav button[data-tab="{name}"]').click()


# ----------------------------------------------------------------------------- 校验

def test_check_shows_every_planted_finding_and_the_marked_copy_carries_the_marks(server, browser, fresh):
    entry = next(f for f in manifest()["files"] if f["file"] == "苏州市.xlsx")
    expected = entry["expected_findings"]
    browser.get(server.url + "/")
    visible(browser, "app")
    browser.find_element(By.ID, "check-file").send_keys(str(SAMPLES / "苏州市.xlsx"))
    visible(browser, "check-actions")
    errors = sum(f["severity"] == "error" for f in expected)
    assert text_of(browser, "n-errors") == str(errors)
    assert text_of(browser, "n-warnings") == str(len(expected) - errors)
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.finding")
    assert len(rows) == len(expected)
    for f in expected:
        sheet = browser.find_element(By.CSS_SELECTOR, f'div.sheet[data-sheet="{f["sheet"]}"]')
        row = sheet.find_element(By.CSS_SELECTOR, f'tr.finding[data-cell="{f["cell"]}"][data-rule="{f["rule"]}"]')
        assert ("错误" if f["severity"] == "error" else "警告") in row.text
        # the picture: that cell is painted as the mark looks in Excel (errors red, warnings orange)
        marked = sheet.find_elements(By.CSS_SELECTOR, f'table.grid td[data-cell="{f["cell"]}"]')
        if marked:
            assert f'mark-{f["severity"]}' in marked[0].get_attribute("class") or "mark-error" in marked[0].get_attribute("class")
    painted = browser.find_elements(By.CSS_SELECTOR, "table.grid td.mark-error, table.grid td.mark-warning")
    assert len(painted) >= len({(f["sheet"], f["cell"]) for f in expected}) - 1     # AL12 lies past the picture's columns
    assert browser.find_element(By.CSS_SELECTOR, "table.grid td.mark-error").value_of_css_property(
        "background-color") == "rgba(255, 199, 206, 1)"                              # FFC7CE, Excel's error fill
    assert browser.find_element(By.CSS_SELECTOR, "table.grid td.mark-warning").value_of_css_property(
        "background-color") == "rgba(255, 204, 153, 1)"                              # FFCC99, 橙色
    shot(browser, "serve-check.png", 1500)

    browser.find_element(By.ID, "download-marked").click()
    marked = wait_for_download(fresh, ".xlsx")
    assert marked.name == "苏州市-校验.xlsx"
    wb = openpyxl.load_workbook(marked)
    for f in expected:
        note = wb[f["sheet"]][f["cell"]].comment
        level = "错误" if f["severity"] == "error" else "警告"
        assert note is not None and f"【{level}】" in note.text, (f, note)
    from xjr_excel.template import marks as M
    painted_cells = {cell for cells in M.marked_cells(wb).values() for cell in cells}
    assert {f["cell"] for f in expected} <= painted_cells


def test_a_damaged_file_shows_its_refusal_next_to_its_name(server, browser, corpus):
    path = corpus("truncated")
    expected = cli_json("validate", path.name, cwd=path.parent)
    browser.get(server.url + "/")
    visible(browser, "app")
    browser.find_element(By.ID, "check-file").send_keys(str(path))
    refusal = visible(browser, "check-refusal")
    assert refusal.text.startswith(path.name + "：")
    assert expected["error"] in refusal.text and expected["code"] in refusal.text
    assert not browser.find_element(By.ID, "check-actions").is_displayed()
    shot(browser, "serve-refusal.png", 700)


# ----------------------------------------------------------------------------- 合并汇总

def test_merge_of_the_five_samples_gives_the_clis_provincial_workbook(server, browser, fresh, tmp_path, corpus):
    """The five samples and a damaged file: the damaged one is listed with its reason, the rest merged."""
    cli_dir = tmp_path / "cli"
    copy_samples(cli_dir)
    damaged = corpus("truncated")
    inputs = sample_files() + [damaged]
    shutil.copy2(damaged, cli_dir / damaged.name)
    expected = cli_json("consolidate", *[f.name for f in inputs], "-o", "江苏省汇总.xlsx",
                        "--province", "江苏省", cwd=cli_dir)
    browser.get(server.url + "/")
    visible(browser, "app")
    tab(browser, "merge")
    browser.find_element(By.ID, "merge-files").send_keys("\n".join(str(f) for f in inputs))
    browser.find_element(By.ID, "merge-province").send_keys("江苏省")
    browser.find_element(By.ID, "merge-submit").click()
    visible(browser, "merge-result")
    rows = browser.find_elements(By.CSS_SELECTOR, "#merge-cities tbody tr")
    assert [(r.get_attribute("data-city"), r.find_elements(By.TAG_NAME, "td")[2].text) for r in rows] == \
        [(c["city"], c["status"]) for c in expected["cities"]]
    assert f"共{expected['province']['enterprises']}家重点企业" in text_of(browser, "merge-title")
    [skip] = expected["skipped"]
    shown = browser.find_element(By.CSS_SELECTOR, f'#merge-skipped li[data-file="{damaged.name}"]').text
    assert shown.startswith(damaged.name + "：") and skip["reason"] in shown and skip["code"] in shown
    shot(browser, "serve-merge.png", 1200)
    browser.find_element(By.ID, "merge-download").click()
    got = wait_for_download(fresh, ".xlsx")
    assert got.name == "江苏省汇总.xlsx"
    ours, theirs = sheet_values(got), sheet_values(cli_dir / "江苏省汇总.xlsx")
    assert ours.keys() == theirs.keys()
    for sheet in ours:           # the same workbook; only the time of the run (合并记录) may differ
        diff = [(a, b) for ra, rb in zip(ours[sheet], theirs[sheet]) for a, b in zip(ra, rb) if a != b]
        assert len(ours[sheet]) == len(theirs[sheet]) and all("20" in str(a)[:4] for a, _ in diff), (sheet, diff)


# ----------------------------------------------------------------------------- 模板

def test_template_tab_downloads_the_master_workbook(server, browser, fresh):
    browser.get(server.url + "/")
    visible(browser, "app")
    tab(browser, "template")
    browser.find_element(By.ID, "template-city").send_keys("南京市")
    browser.find_element(By.ID, "template-batch").send_keys("3")
    browser.find_element(By.ID, "template-year").send_keys("2026")
    shot(browser, "serve-template.png", 800)
    browser.find_element(By.ID, "template-submit").click()
    got = wait_for_download(fresh, ".xlsm")
    assert "南京市" in got.name
    wb = openpyxl.load_workbook(got, keep_vba=True)
    assert wb.vba_archive is not None
    assert any(c.value == "南京市" for ws in wb.worksheets for row in ws.iter_rows() for c in row)     # the cover


FORMS = SAMPLES / "forms"
FORMS_MANIFEST = json.loads((ROOT / "samples_src" / "forms_manifest.json").read_text(encoding="utf-8"))


def _digests(folder: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def test_template_tab_gives_the_forms_of_a_city_workbook_as_a_zip(server, browser, fresh, tmp_path):
    book = SAMPLES / "南京市.xlsx"
    browser.get(server.url + "/")
    visible(browser, "app")
    tab(browser, "template")
    browser.find_element(By.ID, "forms-file").send_keys(str(book))
    browser.find_element(By.ID, "forms-submit").click()
    link = visible(browser, "forms-download")
    sent_ = sorted(FORMS_MANIFEST["sent"]["南京市"])
    assert f"已生成{len(sent_)}个填报表" in text_of(browser, "forms-status")
    shot(browser, "serve-forms.png", 1100)
    link.click()
    got = wait_for_download(fresh, ".zip")
    assert got.name == "南京市-填报表.zip"
    cli = tmp_path / "cli"
    assert xjr("forms", book, "-o", cli, cwd=tmp_path).returncode == 0
    with zipfile.ZipFile(got) as zf:
        assert sorted(zf.namelist()) == sorted(p.name for p in cli.iterdir()) == sent_
    assert not server.uploads_left() and not server.files_with_digests(_digests(SAMPLES / "南京市.xlsx"))


def test_template_tab_collects_returned_forms_into_the_city_workbook(server, browser, fresh, tmp_path):
    """The book and the returned forms (their file times from the manifest, as the official's PC has them):
    the 回收情况 per enterprise and platform and per file not merged, as `xjr collect --json` says; the
    downloaded workbook is the CLI's."""
    cli = tmp_path / "cli"
    cli.mkdir()
    files = []
    for f in FORMS_MANIFEST["returned"]:
        files.append(Path(shutil.copy(FORMS / "交回" / f["file"], cli / f["file"])))
        os.utime(files[-1], (f["mtime"], f["mtime"]))
    book = Path(shutil.copy(FORMS / FORMS_MANIFEST["book"], cli / FORMS_MANIFEST["book"]))
    out = "南京市-待回收-回收.xlsx"
    expected = cli_json("collect", book.name, *[f.name for f in files], "-o", out, cwd=cli)
    browser.get(server.url + "/")
    visible(browser, "app")
    tab(browser, "template")
    browser.find_element(By.ID, "collect-book").send_keys(str(book))
    browser.find_element(By.ID, "collect-files").send_keys("\n".join(str(f) for f in files))
    browser.find_element(By.ID, "collect-submit").click()
    visible(browser, "collect-result")
    s = expected["summary"]
    assert f"已交回{s['returned']}个，未交回{s['not_returned']}个" in text_of(browser, "collect-title")
    rows = browser.find_elements(By.CSS_SELECTOR, "#collect-records tbody tr")
    assert [(r.get_attribute("data-name"), r.find_elements(By.TAG_NAME, "td")[2].text.startswith("是"))
            for r in rows] == [(x["name"], x["returned"]) for x in expected["records"]]
    for x in expected["records"]:           # errors, warnings, conflicts, superseded per enterprise/platform
        cells = browser.find_element(By.CSS_SELECTOR, f'#collect-records tr[data-name="{x["name"]}"]') \
            .find_elements(By.TAG_NAME, "td")
        assert [c.text for c in cells[4:7]] == [str(x["errors"]), str(x["warnings"]), str(x["conflicts"])]
        assert cells[7].text == "、".join(Path(f).name for f in x["superseded"])
    assert FORMS_MANIFEST["missing"][0] in [x["name"] for x in expected["records"] if not x["returned"]]
    for f in expected["files"]:             # each file not merged: why, and its code
        if f["status"] != "merged":
            li = browser.find_element(By.CSS_SELECTOR, f'#collect-skipped li[data-file="{f["name"]}"]').text
            assert li.startswith(f["name"] + "：") and f["status_text"] in li and (f["code"] or "") in li
    shown = browser.find_elements(By.CSS_SELECTOR, "#collect-findings li")      # each merged form's findings
    assert [li.get_attribute("data-file") for li in shown] == \
        [f["name"] for f in expected["files"] if f["status"] == "merged" for _x in f["findings"]]
    assert len(shown) == s["errors"] + s["warnings"] > 0
    assert len(browser.find_elements(By.CSS_SELECTOR, "#collect-conflicts li")) == s["conflicts"] > 0
    browser.execute_script("window.scrollTo(0, 0)")
    shot(browser, "serve-collect.png", 2800)
    browser.find_element(By.ID, "collect-download").click()
    got = wait_for_download(fresh, ".xlsx")
    assert got.name == out
    ours, theirs = sheet_values(got), sheet_values(cli / out)
    assert ours.keys() == theirs.keys()
    stamp = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")
    for sheet in ours:           # the same workbook; only the time of the run (回收情况's title, the ledger) may differ
        diff = [(a, b) for ra, rb in zip(ours[sheet], theirs[sheet]) for a, b in zip(ra, rb) if a != b]
        assert len(ours[sheet]) == len(theirs[sheet]), sheet
        assert all(stamp.sub("T", str(a)) == stamp.sub("T", str(b)) for a, b in diff), (sheet, diff)
    assert not server.uploads_left() and not server.files_with_digests(_digests(cli) - _digests(fresh))


# ----------------------------------------------------------------------------- Firefox (the domestic desktops ship it)

def test_firefox_smoke_check_download_and_collect(server, tmp_path):
    """The same page in Debian's Firefox ESR: a check shows the manifest's counts, the marked copy downloads,
    the returned forms (with their file times) give the CLI's 回收情况."""
    from serve_support import firefox
    downloads = tmp_path / "ff-downloads"
    downloads.mkdir()
    driver = firefox(downloads)
    try:
        entry = next(f for f in manifest()["files"] if f["file"] == "苏州市.xlsx")
        driver.get(server.url + "/")
        visible(driver, "app")
        driver.find_element(By.ID, "check-file").send_keys(str(SAMPLES / "苏州市.xlsx"))
        visible(driver, "check-actions")
        errors = sum(f["severity"] == "error" for f in entry["expected_findings"])
        assert text_of(driver, "n-errors") == str(errors)
        assert len(driver.find_elements(By.CSS_SELECTOR, "tr.finding")) == len(entry["expected_findings"])
        driver.find_element(By.ID, "download-marked").click()
        assert wait_for_download(downloads, ".xlsx").name == "苏州市-校验.xlsx"

        cli = tmp_path / "cli"
        cli.mkdir()
        files = []
        for f in FORMS_MANIFEST["returned"]:
            files.append(Path(shutil.copy(FORMS / "交回" / f["file"], cli / f["file"])))
            os.utime(files[-1], (f["mtime"], f["mtime"]))
        book = Path(shutil.copy(FORMS / FORMS_MANIFEST["book"], cli / FORMS_MANIFEST["book"]))
        expected = cli_json("collect", book.name, *[f.name for f in files], "-o", "回收.xlsx", cwd=cli)
        tab(driver, "template")
        driver.find_element(By.ID, "collect-book").send_keys(str(book))
        driver.find_element(By.ID, "collect-files").send_keys("\n".join(str(f) for f in files))
        driver.find_element(By.ID, "collect-submit").click()
        visible(driver, "collect-result")
        s = expected["summary"]
        assert (f"已交回{s['returned']}个，未交回{s['not_returned']}个；未合并{s['skipped']}个文件，"
                f"被取代{s['superseded']}个") in text_of(driver, "collect-title")
        superseded = [f["name"] for f in expected["files"] if f["status"] == "superseded"]
        assert [li.get_attribute("data-file") for li in driver.find_elements(
            By.CSS_SELECTOR, '#collect-skipped li[data-status="superseded"]')] == superseded
    finally:
        driver.quit()


# ----------------------------------------------------------------------------- accounts

def test_log_in_and_out_and_a_city_account_cannot_merge(tmp_path, downloads):
    accounts = tmp_path / "accounts.json"
    add_user(accounts, "南京", "city-pass-123", "city")
    with contextlib.ExitStack() as cleanup:      # server and browser stop even when the test fails
        s = Server(tmp_path, accounts=accounts)
        cleanup.callback(s.stop)
        driver = chromium(downloads)
        cleanup.callback(driver.quit)
        driver.get(s.url + "/")
        visible(driver, "login")
        assert not driver.find_element(By.ID, "app").is_displayed()
        driver.find_element(By.ID, "login-user").send_keys("南京")
        driver.find_element(By.ID, "login-password").send_keys("wrong-password")
        driver.find_element(By.ID, "login-submit").click()
        wait(driver).until(lambda d: "不正确" in text_of(d, "login-message"))
        shot(driver, "serve-login.png", 500)
        driver.find_element(By.ID, "login-password").clear()
        driver.find_element(By.ID, "login-password").send_keys("city-pass-123")
        driver.find_element(By.ID, "login-submit").click()
        visible(driver, "app")
        assert "南京" in text_of(driver, "who-name")
        tab(driver, "merge")
        assert "省级账户" in text_of(driver, "merge-role")
        driver.find_element(By.ID, "merge-files").send_keys(str(SAMPLES / "南京市.xlsx"))
        driver.find_element(By.ID, "merge-province").send_keys("江苏省")
        driver.find_element(By.ID, "merge-submit").click()
        wait(driver).until(lambda d: "XJR-E-FORBIDDEN" in text_of(d, "merge-status"))
        assert "省级账户" in text_of(driver, "merge-status")
        assert not driver.find_element(By.ID, "merge-result").is_displayed()
        # the city account may validate
        tab(driver, "check")
        driver.find_element(By.ID, "check-file").send_keys(str(SAMPLES / "南京市.xlsx"))
        wait(driver).until(lambda d: "未发现问题" in text_of(d, "check-counts"))
        driver.find_element(By.ID, "logout").click()
        visible(driver, "login")
        assert not driver.find_element(By.ID, "app").is_displayed()
        driver.refresh()                                   # logged out for good, not just hidden
        visible(driver, "login")


def test_the_page_says_when_the_server_is_busy(tmp_path, downloads):
    """One worker, no queue, a merge running: the page says the server is busy and when to retry."""
    with contextlib.ExitStack() as cleanup:      # server and browser stop even when the test fails
        s = Server(tmp_path, policy=policy_with(tmp_path, workers=1, queue=0, retry_after_seconds=9))
        cleanup.callback(s.stop)
        driver = chromium(downloads)
        cleanup.callback(driver.quit)
        driver.get(s.url + "/")
        visible(driver, "app")
        t, result = merge_in_background(s, sample_files())
        wait_busy(s)
        driver.find_element(By.ID, "check-file").send_keys(str(SAMPLES / "南京市.xlsx"))
        wait(driver).until(lambda d: "服务器正忙" in text_of(d, "check-status"))
        status = text_of(driver, "check-status")
        assert "9秒后可重试" in status and "XJR-E-BUSY" in status, status
        t.join()
        assert result["response"].status_code == 200
