"""What one server runs with: where it listens, its folders, the ``[serve]`` limits of policy.toml."""
from __future__ import annotations

import ipaddress
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from xjr_excel.spec.policy import load_policy

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_accounts() -> Path:
    """The accounts file: $XJR_SERVE_ACCOUNTS, else the user's config folder."""
    env = os.environ.get("XJR_SERVE_ACCOUNTS")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home())
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "xjr" / "serve-accounts.json"


def default_work_dir() -> Path:
    """One folder per user (so several server processes of one install share the download store)."""
    env = os.environ.get("XJR_SERVE_DIR")
    if env:
        return Path(env)
    uid = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    return Path(tempfile.gettempdir()) / f"xjr-serve-{uid}"


@dataclass
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    accounts: Path = field(default_factory=default_accounts)
    work_dir: Path = field(default_factory=default_work_dir)
    policy_path: str | None = None
    behind_proxy: bool = False       # a reverse proxy with TLS in front (nginx): any Host, Secure cookies
    limits: dict = field(default_factory=dict)

    def __post_init__(self):
        self.accounts, self.work_dir = Path(self.accounts), Path(self.work_dir)
        if not self.limits:
            self.limits = dict(load_policy(self.policy_path).serve)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def exposed(self) -> bool:
        """Reachable from other machines (listening beyond the loopback, or behind a proxy): needs accounts."""
        return self.behind_proxy or not self.loopback

    @classmethod
    def from_env(cls) -> "ServeConfig":
        return cls(host=os.environ.get("XJR_SERVE_HOST", "127.0.0.1"),
                   port=int(os.environ.get("XJR_SERVE_PORT", "8765")),
                   policy_path=os.environ.get("XJR_SERVE_POLICY") or None,
                   behind_proxy=os.environ.get("XJR_SERVE_BEHIND_PROXY") == "1")
