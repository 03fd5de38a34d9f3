"""``xjr serve``: run the web page and API, or add a user to its accounts file."""
from __future__ import annotations

import getpass
import logging
import sys
import threading
import time
import urllib.request
import webbrowser

from xjr_excel import errors
from xjr_excel.serve.config import ServeConfig, default_accounts, default_work_dir

NEEDS = ("starlette", "uvicorn", "python_multipart", "itsdangerous", "argon2")     # the `serve` extra


def check_installed() -> None:
    """The server's libraries come with ``pip install "xjr-excel[serve]"``: say so, not a traceback."""
    import importlib.util
    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        raise errors.UserError(f"网页服务需要的组件未安装（{'、'.join(missing)}）。请运行："
                               f"pip install \"xjr-excel[serve]\"（内网：pip install --no-index --find-links "
                               f"wheelhouse \"xjr-excel[serve]\"），然后重新运行 xjr serve。")


def add_user(args, config: ServeConfig) -> int:
    from xjr_excel.serve import auth
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"用户“{args.add_user}”的密码（至少8个字符）：")
        if getpass.getpass("再输入一次：") != password:
            raise errors.BadArgument(detail="两次输入的密码不一致，未添加用户。")
    token = auth.Accounts(config.accounts).add_user(args.add_user, password, args.role)
    print(f"已添加用户“{args.add_user}”（{auth.ROLES[args.role]}），账户文件：{config.accounts}")
    print(f"该用户的 API 令牌（只显示这一次，请妥善保存）：{token}")
    return errors.EXIT_OK


def _open_when_up(url: str) -> None:
    def wait_and_open():
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "api/health", timeout=1).close()
                webbrowser.open(url)
                return
            except OSError:
                time.sleep(0.5)
    threading.Thread(target=wait_and_open, daemon=True).start()


def cli_main(args) -> int:
    check_installed()
    config = ServeConfig(host=args.host, port=args.port, accounts=args.accounts or default_accounts(),
                         work_dir=args.work_dir or default_work_dir(), policy_path=getattr(args, "policy", None),
                         behind_proxy=args.behind_proxy)
    if args.add_user:
        return add_user(args, config)
    from xjr_excel.serve.auth import refuse_unprotected
    refuse_unprotected(config)
    import uvicorn

    from xjr_excel.serve.app import create_app
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    host = f"[{config.host}]" if ":" in config.host else config.host
    url = f"http://{'127.0.0.1' if config.host in ('0.0.0.0', '::') else host}:{config.port}/"
    print(f"xjr 网页服务：{url}  （按 Ctrl+C 停止）", flush=True)
    if args.open:
        _open_when_up(url)
    # no access log: it would record addresses and paths; the app logs name, size, digest, user, outcome
    uvicorn.run(create_app(config), host=config.host, port=config.port, access_log=False, log_level="info",
                proxy_headers=config.behind_proxy, forwarded_allow_ips="127.0.0.1" if config.behind_proxy else None)
    return errors.EXIT_OK
