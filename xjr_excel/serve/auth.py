"""Who may use the server: the accounts file, passwords, roles, API tokens, CSRF.

The accounts file (JSON, mode 0600) is written only by ``xjr serve --add-user``: each user's
argon2 password hash (argon2-cffi), role and the SHA-256 of their API token (the token itself
is printed once).  It also holds the secret that signs session cookies, so every process of
one server (gunicorn workers) accepts the same sessions.

Roles: ``province`` may do everything (merge included); ``city`` may validate, mark, clear and
build templates, but not merge.  Without an accounts file the server is the official's own
(loopback only, enforced by ``xjr serve``): one local user with every right.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from xjr_excel import errors

ROLES = {"province": "省级（可合并汇总）", "city": "市级（仅校验）"}
MERGE_ROLE = "province"
LOCAL_USER = "本机"
NAME_RE = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,64}$")
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("xjr-dummy-password")       # verified for unknown names, so timing tells nothing


@dataclass(frozen=True)
class Identity:
    user: str
    role: str
    via: str          # "session", "token" or "local"

    @property
    def may_merge(self) -> bool:
        return self.role == MERGE_ROLE


class Accounts:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.data = {"users": {}, "secret": ""}
        if self.path.is_file():
            self.data = json.loads(self.path.read_text(encoding="utf-8"))

    @property
    def configured(self) -> bool:
        return bool(self.data.get("users"))

    @property
    def secret(self) -> str:
        return self.data.get("secret") or ""

    def add_user(self, name: str, password: str, role: str) -> str:
        """Add or replace ``name``; return its new API token (stored only as a digest)."""
        if not NAME_RE.match(name):
            raise errors.BadArgument(detail=f"用户名“{name}”只能由1至64个汉字、字母、数字或 . - _ @ 组成。")
        if role not in ROLES:
            raise errors.BadArgument(detail=f"角色应为 {' 或 '.join(ROLES)}（当前为“{role}”）。")
        if len(password) < 8:
            raise errors.BadArgument(detail="密码至少8个字符。")
        token = secrets.token_urlsafe(32)
        self.data.setdefault("users", {})[name] = {"hash": _HASHER.hash(password), "role": role,
                                                    "token_sha256": _digest(token)}
        self.data["secret"] = self.data.get("secret") or secrets.token_urlsafe(48)
        self._save()
        return token

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.data, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)

    def login(self, name: str, password: str) -> Identity | None:
        user = self.data.get("users", {}).get(name)
        try:
            _HASHER.verify(user["hash"] if user else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        return Identity(name, user["role"], "session") if user else None

    def by_token(self, token: str) -> Identity | None:
        d = _digest(token)
        for name, user in self.data.get("users", {}).items():
            if hmac.compare_digest(user.get("token_sha256", ""), d):
                return Identity(name, user["role"], "token")
        return None

    def role_of(self, name: str) -> str | None:
        user = self.data.get("users", {}).get(name)
        return user["role"] if user else None


class Throttle:
    """Failed logins per user name: after ``limit`` failures within ``window`` seconds the name is
    refused until the window has passed (guessing passwords costs time; one process's memory)."""

    def __init__(self, limit: int = 5, window: float = 600):
        self.limit, self.window = limit, window
        self.failures: dict[str, list[float]] = {}

    def _recent(self, name: str, now: float) -> list[float]:
        kept = [t for t in self.failures.get(name, []) if now - t < self.window]
        if kept:
            self.failures[name] = kept
        else:
            self.failures.pop(name, None)
        return kept

    def blocked(self, name: str, now: float) -> bool:
        return len(self._recent(name, now)) >= self.limit

    def failed(self, name: str, now: float) -> None:
        self._recent(name, now)
        self.failures.setdefault(name, []).append(now)

    def succeeded(self, name: str) -> None:
        self.failures.pop(name, None)


def refuse_unprotected(config) -> None:
    """Listening beyond the loopback (or behind a proxy) without accounts: refused, saying how to add them."""
    if config.exposed and not Accounts(config.accounts).configured:
        where = "反向代理之后" if config.behind_proxy else f"地址 {config.host}（本机以外的电脑也能访问）"
        raise errors.NotAllowed(detail=(
            f"在{where}提供服务前必须先设置账户，未启动。请先添加用户："
            f"xjr serve --add-user 用户名 --role province（省级，可合并）或 --role city（市级，仅校验），"
            f"账户文件：{config.accounts}。"
            + ("（gunicorn 部署：账户文件由环境变量 XJR_SERVE_ACCOUNTS 指定。）" if config.behind_proxy
               else "只在本机使用时请去掉 --host（默认 127.0.0.1）。")))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def same_csrf(session_value: str | None, sent: str | None) -> bool:
    return bool(session_value) and bool(sent) and hmac.compare_digest(session_value, sent)
