"""The ASGI application: authentication, CSRF, security headers and the access log around the routes.

:func:`create_app` takes what `govern serve` was told and an open :class:`~govern.server.data.Console`;
tests build it the same way and run it under uvicorn on a free loopback port.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.server import auth, csrf, security
from govern.server.ratelimit import FailureLimiter

if TYPE_CHECKING:
    from fastapi import FastAPI

    from govern.server.data import Console
    from govern.server.settings import ConsoleSettings

HERE = Path(__file__).resolve().parent
#: reachable without credentials: the login form, the stylesheet, liveness
OPEN_PATHS = ("/login", "/healthz")
OPEN_PREFIXES = ("/static/",)


def create_app(settings: "ConsoleSettings", console: "Console") -> "FastAPI":
    from fastapi import FastAPI, Request
    from fastapi.exceptions import HTTPException
    from starlette.concurrency import run_in_threadpool
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.responses import Response
    from starlette.staticfiles import StaticFiles

    from govern import __version__
    from govern.record.chain import LogAltered
    from govern.server import access, api, pages
    from govern.server.tokens import lookup

    app = FastAPI(title="govern console API", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url=None, redoc_url=None,
                  description="Read-only JSON over the govern audit store (the shapes of the CLI's `-f json`), "
                              "and POST of signed sign-off and waiver records. Authenticate with "
                              "`Authorization: Bearer <token>` (`govern tokens create`).")
    app.state.settings = settings
    app.state.console = console
    limiter = app.state.limiter = FailureLimiter(settings.token_failures_per_minute)

    def authenticate(request: Request) -> auth.Principal | None:
        peer = request.client.host if request.client else None
        header_token = auth.bearer(request.headers.get("authorization"))
        token = header_token or request.cookies.get(auth.TOKEN_COOKIE)
        if token:
            wait = limiter.retry_after(peer or "?")
            if wait is not None:
                raise auth.AuthError(429, "too many failed token checks from this address; try again later", wait)
            info = lookup(console.store, token)
            if info is None:
                limiter.failed(peer or "?")
                raise auth.AuthError(401, "unknown or revoked token")
            return auth.Principal(info.name, info.role, "token" if header_token else "cookie")
        if settings.trusted_header and auth.from_proxy(settings, peer):
            who = (request.headers.get(settings.trusted_header) or "").strip()
            if who:
                return auth.Principal(who[:200], settings.header_roles.get(who, settings.header_role), "header")
        if settings.allow_anonymous and auth.loopback(peer):
            return auth.Principal("anonymous", settings.anonymous_role, "anonymous")
        return None

    class Guard(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: Any) -> Response:
            request.state.started = time.perf_counter()
            path = request.url.path
            api_call = path.startswith("/api/")
            request.state.csrf = request.cookies.get(csrf.COOKIE) or csrf.new_token()
            request.state.principal = None
            try:
                principal = await run_in_threadpool(authenticate, request)
            except auth.AuthError as exc:
                response = pages.denied(request, exc.status, exc.message, api_call)
                if exc.retry_after:
                    response.headers["retry-after"] = str(exc.retry_after)
                if exc.status == 401 and not api_call and request.cookies.get(auth.TOKEN_COOKIE):
                    response.delete_cookie(auth.TOKEN_COOKIE, path="/")
                return self._finish(request, response)
            open_path = path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)
            if principal is None and not open_path:
                response = pages.denied(request, 401, "authentication required", api_call)
                return self._finish(request, response)
            request.state.principal = principal
            if (api_call and request.method not in ("GET", "HEAD", "OPTIONS") and principal is not None
                    and principal.ambient and not csrf.matches(request.cookies.get(csrf.COOKIE),
                                                               request.headers.get(csrf.HEADER))):
                return self._finish(request, pages.denied(request, 403, "missing or wrong CSRF token", True))
            response = await call_next(request)
            if principal is not None and principal.logged:
                query = request.url.query
                await run_in_threadpool(access.log, console.store, principal, request.method,
                                        path + (f"?{query}" if query else ""), response.status_code)
            return self._finish(request, response)

        def _finish(self, request: Request, response: Response) -> Response:
            elapsed = (time.perf_counter() - request.state.started) * 1000
            response.headers["server-timing"] = f"app;dur={elapsed:.1f}"  # what benchmarks/bench_console.py reads
            https = request.url.scheme == "https"
            security.apply(response.headers, https=https)
            if not request.cookies.get(csrf.COOKIE):
                response.set_cookie(csrf.COOKIE, request.state.csrf, httponly=True, samesite="strict", secure=https,
                                    path="/")
            return response

    app.add_middleware(Guard)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return pages.denied(request, exc.status_code, str(exc.detail), request.url.path.startswith("/api/"))

    @app.exception_handler(LogAltered)
    async def altered(request: Request, exc: LogAltered) -> Response:
        message = (f"the audit log was altered: {exc}. Nothing is shown from it; `govern audit verify` "
                   "locates every change")
        return pages.denied(request, 409, message, request.url.path.startswith("/api/"))

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
