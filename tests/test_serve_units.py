"""The small pieces of `xjr serve` without a server: names, zips, the result store, accounts, limits."""
from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from xjr_excel import errors
from xjr_excel.serve import auth
from xjr_excel.serve.api import unpack_zip
from xjr_excel.serve.config import ServeConfig, is_loopback
from xjr_excel.serve.store import Store
from xjr_excel.serve.uploads import safe_name
from xjr_excel.spec.policy import load_policy


def test_uploaded_names_never_leave_the_folder_and_stay_unique():
    taken: set[str] = set()
    assert safe_name("C:\\Users\\王\\南京市.xlsx", taken) == "南京市.xlsx"
    assert safe_name("../../etc/南京市.xlsx", taken) == "南京市(2).xlsx"
    assert safe_name("..", taken) == "上传文件"
    assert safe_name(".bashrc", taken) == "bashrc"             # never a hidden file
    assert safe_name("a\x00b<c>.xlsx", taken) == "a_b_c_.xlsx"
    assert safe_name("~$南京市.xlsx", taken) == "~$南京市.xlsx"   # Excel's lock files keep the name the merge knows
    assert "/" not in safe_name("x/" * 500 + "很长" * 200 + ".xlsx", taken)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _gbk_zip(path: Path, name: str) -> Path:
    """What Windows' "send to compressed folder" writes: the name in GBK bytes, no UTF-8 flag."""
    raw = name.encode("gbk")
    placeholder = "X" * len(raw)
    _zip(path, {placeholder: b"x"})
    path.write_bytes(path.read_bytes().replace(placeholder.encode(), raw))
    return path


def test_a_zip_unpacks_flat_into_its_own_folder(tmp_path):
    z = _zip(tmp_path / "各市.zip", {"../../evil.xlsx": b"x", "报送/南京市.xlsx": b"y", "__MACOSX/._a": b"z"})
    folder, n = unpack_zip(z, tmp_path, max_member_bytes=10, max_total_bytes=100, room=5, limit=5)
    assert n == 2 and sorted(p.name for p in folder.iterdir()) == ["evil.xlsx", "南京市.xlsx"]
    assert folder.parent == tmp_path and not (tmp_path.parent / "evil.xlsx").exists()


def test_gbk_names_from_windows_read_right(tmp_path):
    z = _gbk_zip(tmp_path / "a.zip", "苏州市.xlsx")
    folder, _ = unpack_zip(z, tmp_path, max_member_bytes=10, max_total_bytes=100, room=5, limit=5)
    assert [p.name for p in folder.iterdir()] == ["苏州市.xlsx"]


def test_zip_limits_are_refusals(tmp_path):
    z = _zip(tmp_path / "a.zip", {f"{i}.xlsx": b"x" for i in range(4)})
    (tmp_path / "1").mkdir()
    with pytest.raises(errors.TooManyFiles) as e:
        unpack_zip(z, tmp_path / "1", max_member_bytes=10, max_total_bytes=100, room=3, limit=3)
    assert "3个文件" in e.value.message
    big = _zip(tmp_path / "b.zip", {"a.xlsx": b"x" * 1000})
    (tmp_path / "2").mkdir()
    with pytest.raises(errors.FileTooLarge):
        unpack_zip(big, tmp_path / "2", max_member_bytes=100, max_total_bytes=10_000, room=3, limit=3)
    (tmp_path / "3").mkdir()
    bomb = _zip(tmp_path / "c.zip", {f"{i}.xlsx": b"x" * 60 for i in range(3)})
    with pytest.raises(errors.ZipBomb):
        unpack_zip(bomb, tmp_path / "3", max_member_bytes=100, max_total_bytes=150, room=9, limit=9)
    (tmp_path / "4").mkdir()
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(errors.Damaged):
        unpack_zip(tmp_path / "bad.zip", tmp_path / "4", max_member_bytes=100, max_total_bytes=150, room=9, limit=9)


def test_results_are_for_their_owner_once_and_expire(tmp_path):
    store = Store(tmp_path / "work", ttl=60, stale_uploads_after=60)
    assert (tmp_path / "work").stat().st_mode & 0o077 == 0
    with store.result_folder() as (token, folder):
        pass                                                     # a request that ends well keeps its folder
    (folder / "汇总.xlsx").write_bytes(b"PK")
    store.keep(token, folder / "汇总.xlsx", "省厅")
    assert store.find(token, "南京") is None                     # someone else's
    assert store.find("../../etc", "省厅") is None
    assert store.find(token, "省厅") == folder / "汇总.xlsx"
    store.sweep(now=time.time() + 61)
    assert store.find(token, "省厅") is None and not folder.exists()
    with store.upload_folder() as d:
        (d / "a.xlsx").write_bytes(b"x")
        raise_inside = d
    assert not raise_inside.exists()
    with pytest.raises(RuntimeError):
        with store.upload_folder() as d:
            (d / "b.xlsx").write_bytes(b"x")
            raise RuntimeError("whatever happens")
    assert not list((tmp_path / "work" / "uploads").iterdir())
    with pytest.raises(RuntimeError):
        with store.result_folder() as (_token, failed):
            (failed / "汇总.xlsx").write_bytes(b"PK")
            raise RuntimeError("the merge failed")
    assert not failed.exists()                                   # a failed request leaves no result behind


def test_accounts_hash_passwords_and_tokens(tmp_path):
    acc = auth.Accounts(tmp_path / "a.json")
    assert not acc.configured
    token = acc.add_user("省厅", "long-enough-1", "province")
    again = auth.Accounts(tmp_path / "a.json")
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert "long-enough-1" not in text and token not in text and "$argon2" in text
    assert again.login("省厅", "long-enough-1") == auth.Identity("省厅", "province", "session")
    assert again.login("省厅", "wrong-password") is None and again.login("谁", "long-enough-1") is None
    assert again.by_token(token).may_merge and again.by_token("x" * 43) is None
    acc.add_user("南京", "long-enough-2", "city")
    assert auth.Accounts(tmp_path / "a.json").by_token(token).user == "省厅"        # each token its own user
    with pytest.raises(errors.BadArgument, match="至少8个字符"):
        acc.add_user("x", "short", "city")
    with pytest.raises(errors.BadArgument, match="角色"):
        acc.add_user("x", "long-enough-3", "admin")
    with pytest.raises(errors.BadArgument, match="用户名"):
        acc.add_user("a b", "long-enough-3", "city")


def test_loopback_and_exposure():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("xjr.example.gov.cn")
    assert not ServeConfig(host="127.0.0.1").exposed
    assert ServeConfig(host="0.0.0.0").exposed and ServeConfig(host="127.0.0.1", behind_proxy=True).exposed


def test_the_serve_limits_come_from_policy():
    serve = load_policy().serve
    for key in ("max_upload_bytes", "max_files_per_merge", "max_unzipped_bytes", "workers", "queue",
                "retry_after_seconds", "job_timeout_seconds", "download_ttl_seconds", "session_hours"):
        assert isinstance(serve[key], int) and serve[key] > 0, key
    # a file the guard refuses as too large still reaches the guard (and gets its message)
    assert serve["max_upload_bytes"] > load_policy().input_limits["max_file_bytes"]


def test_every_page_asset_is_shipped_and_none_comes_from_elsewhere():
    from importlib import resources
    static = Path(str(resources.files("xjr_excel.serve") / "static"))      # as installed: package data
    html = (static / "index.html").read_text(encoding="utf-8")
    import re
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("/static/") or r.startswith("data:") for r in refs), refs
    for r in refs:
        if r.startswith("/static/"):
            assert (static / r.removeprefix("/static/")).is_file(), r
    for f in static.iterdir():
        assert "http://" not in f.read_text(encoding="utf-8") and "https://" not in f.read_text(encoding="utf-8"), f


def test_without_the_serve_extra_xjr_serve_says_how_to_install_it(monkeypatch, capsys):
    from xjr_excel.cli.main import main
    from xjr_excel.serve import cli
    monkeypatch.setattr(cli, "NEEDS", ("starlette", "xjr_no_such_module"))
    assert main(["serve"]) == errors.EXIT_UNREADABLE
    err = capsys.readouterr().err
    assert 'pip install "xjr-excel[serve]"' in err and "xjr_no_such_module" in err and "Traceback" not in err


def test_guessing_passwords_is_throttled_per_name():
    t = auth.Throttle(limit=3, window=600)
    for i in range(3):
        assert not t.blocked("省厅", 1000 + i)
        t.failed("省厅", 1000 + i)
    assert t.blocked("省厅", 1010) and not t.blocked("南京", 1010)
    assert not t.blocked("省厅", 1000 + 2 + 600)          # the window passed
    t.failed("南京", 5000)
    t.succeeded("南京")
    assert "南京" not in t.failures
