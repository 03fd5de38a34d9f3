"""The Starlette application: routes, sessions, the page's static files, the worker pool's life.

``create_app(config)`` for ``xjr serve``; ``from_env()`` for gunicorn with uvicorn workers
(``gunicorn -k uvicorn.workers.UvicornWorker 'xjr_excel.serve.app:from_env()'``).
"""
from __future__ import annotations

import contextlib
import logging
import secrets
import time
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from xjr_excel import errors
from xjr_excel.serve import api, auth
from xjr_excel.serve.config import ServeConfig
from xjr_excel.serve.pool import Pool
from xjr_excel.serve.store import Store

log = logging.getLogger("xjr.serve")
STATIC = Path(str(resources.files("xjr_excel.serve") / "static"))
SESSION_COOKIE = "xjr_session"


class Gate:
    """Who a request is, and whether its POST may go ahead (CSRF, cross-site)."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self._accounts, self._mtime = auth.Accounts(config.accounts), self._stamp()

    def _stamp(self):
        try:
            return self.config.accounts.stat().st_mtime_ns
        except OSError:
            return None

    @property
    def accounts(self) -> auth.Accounts:
        if self._stamp() != self._mtime:      # `xjr serve --add-user` while running: read it again
            self._accounts, self._mtime = auth.Accounts(self.config.accounts), self._stamp()
        return self._accounts

    def identify(self, request: Request) -> auth.Identity:
        if request.method == "POST":
            self._same_origin(request)
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            ident = self.accounts.by_token(header[7:].strip())
            if ident is None:
                raise errors.NotLoggedIn("API 令牌不正确或已被替换。请向管理员索取新令牌（xjr serve --add-user 会重新生成）。")
            return ident                          # a token is not a cookie: no CSRF to forge
        session = request.session
        if not self.accounts.configured:
            ident = auth.Identity(auth.LOCAL_USER, auth.MERGE_ROLE, "local")
        else:
            user = session.get("user")
            role = self.accounts.role_of(user) if user else None
            if role is None:                      # never logged in, logged out, or the account was removed
                raise errors.NotLoggedIn()
            ident = auth.Identity(user, role, "session")
        # the page's posts carry the session's CSRF token (an API client without our cookie has none to forge)
        if request.method == "POST" and (SESSION_COOKIE in request.cookies or self.accounts.configured):
            if not auth.same_csrf(session.get("csrf"), request.headers.get("x-csrf-token")):
                raise errors.NotAllowed(detail="页面已过期（CSRF 令牌不符）。请刷新页面后重试。")
        return ident

    @staticmethod
    def _same_origin(request: Request) -> None:
        """A browser's cross-site POST carries Origin: refused (SameSite cookies cover the rest)."""
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
            raise errors.NotAllowed(detail="拒绝来自其他网站的请求。请直接在本服务的页面上操作。")


# ----------------------------------------------------------------------------- page and session routes

async def page(request: Request):
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def session_info(request: Request):
    """The page asks first: who is logged in, the CSRF token to send with every POST, the limits."""
    st = request.app.state
    session = request.session
    session.setdefault("csrf", auth.new_csrf())
    accounts = st.gate.accounts
    user = session.get("user")
    role = accounts.role_of(user) if user and accounts.configured else None
    if not accounts.configured:
        user, role = auth.LOCAL_USER, auth.MERGE_ROLE
    lim = st.config.limits
    return JSONResponse({"user": user if role else None, "role": role, "role_label": auth.ROLES.get(role),
                         "login_required": accounts.configured, "may_merge": role == auth.MERGE_ROLE,
                         "csrf": session["csrf"],
                         "limits": {"max_upload_mib": int(lim["max_upload_bytes"]) // (1 << 20),
                                    "max_files_per_merge": int(lim["max_files_per_merge"])}},
                        headers={"Cache-Control": "no-store"})


async def login(request: Request):
    st = request.app.state
    try:
        st.gate._same_origin(request)      # noqa: SLF001
        if not auth.same_csrf(request.session.get("csrf"), request.headers.get("x-csrf-token")):
            raise errors.NotAllowed(detail="页面已过期（CSRF 令牌不符）。请刷新页面后重试。")
        try:
            body = await request.json()
            name, password = str(body.get("user", "")), str(body.get("password", ""))
        except Exception:  # noqa: BLE001 - any malformed body is a refusal
            raise errors.BadArgument(detail="请填写用户名和密码。") from None
        now = time.time()
        if st.throttle.blocked(name, now):
            log.info("login user=%s outcome=throttled", name[:64])
            raise errors.NotLoggedIn(f"该用户名登录失败次数过多，请{int(st.throttle.window // 60)}分钟后再试，"
                                     f"或请管理员重设密码（xjr serve --add-user）。")
        ident = await anyio.to_thread.run_sync(st.gate.accounts.login, name, password)
        if ident is None:
            st.throttle.failed(name, now)
            log.info("login user=%s outcome=refused", name[:64])
            raise errors.NotLoggedIn("用户名或密码不正确。")
        st.throttle.succeeded(name)
    except errors.UserError as e:
        return api.refusal_response(e)
    request.session.clear()                 # a new session on login: no fixation
    request.session.update(user=ident.user, csrf=auth.new_csrf())
    log.info("login user=%s outcome=ok", ident.user)
    return JSONResponse({"user": ident.user, "role": ident.role, "csrf": request.session["csrf"]})


async def logout(request: Request):
    if not auth.same_csrf(request.session.get("csrf"), request.headers.get("x-csrf-token")):
        return api.refusal_response(errors.NotAllowed(detail="页面已过期（CSRF 令牌不符）。请刷新页面后重试。"))
    log.info("logout user=%s", request.session.get("user", "-"))
    request.session.clear()
    return JSONResponse({"user": None})


async def not_found(request: Request, exc):
    return JSONResponse({"code": "XJR-E-NOT-FOUND", "error": "没有这个地址。"}, status_code=getattr(exc, "status_code", 404))


async def server_error(request: Request, exc):
    log.error("internal error %s", type(exc).__name__)
    errors.write_log(exc)
    return api.internal_response(type(exc).__name__)


# ----------------------------------------------------------------------------- the application

def create_app(config: ServeConfig | None = None, *, start_pool: bool = True) -> Starlette:
    config = config or ServeConfig()
    gate = Gate(config)
    lim = config.limits
    store = Store(config.work_dir, ttl=float(lim["download_ttl_seconds"]),
                  stale_uploads_after=2 * float(lim["job_timeout_seconds"]))
    pool = Pool(workers=int(lim["workers"]), queue_size=int(lim["queue"]), timeout=float(lim["job_timeout_seconds"]),
                retry_after=int(lim["retry_after_seconds"]), policy_path=config.policy_path)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        store.sweep()
        if start_pool:
            pool.start()
        async with anyio.create_task_group() as tg:
            async def sweeper():
                while True:
                    await anyio.sleep(60)
                    store.sweep()
            tg.start_soon(sweeper)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
                pool.close()

    middleware = []
    if not config.exposed:      # DNS rebinding: a page elsewhere may not reach this one under another name
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "[::1]", "::1"]))
    secret = gate.accounts.secret or secrets.token_urlsafe(48)
    middleware.append(Middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                                 max_age=int(float(lim["session_hours"]) * 3600), same_site="strict",
                                 https_only=config.exposed))
    routes = [Route("/", page), Route("/api/session", session_info, methods=["GET"]),
              Route("/api/login", login, methods=["POST"]), Route("/api/logout", logout, methods=["POST"]),
              *api.ROUTES, Mount("/static", StaticFiles(directory=STATIC), name="static")]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={404: not_found, 405: not_found, Exception: server_error})
    app.state.config, app.state.gate, app.state.store, app.state.pool = config, gate, store, pool
    app.state.throttle = auth.Throttle()
    return app


def from_env() -> Starlette:
    """The app gunicorn's uvicorn workers build (config from XJR_SERVE_* variables)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config = ServeConfig.from_env()
    try:
        auth.refuse_unprotected(config)
    except errors.UserError as e:
        raise SystemExit(f"错误：{e.message}") from None
    return create_app(config)
