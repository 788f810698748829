"""Two small ASGI middlewares: one counts and logs each request by its route template (never
the path, which holds a study UID, nor the query); one adds the headers every answer carries.

Plain ASGI rather than ``BaseHTTPMiddleware``, which would buffer the event stream."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spinetriage.logs import get_logger
from spinetriage.metrics import ApiMetrics

log = get_logger(__name__)

# The page loads its own script and style only, and shows key images fetched as blobs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics, mounts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.metrics = metrics
        self.mounts = mounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raises before answering
        started = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = self.metrics.request_done(route_template(scope, self.mounts), status)
            log.debug(
                "http_request",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )


class SecurityHeaders:
    """Headers for every answer; API answers (patient data) are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = str(scope["path"]).startswith("/api/")

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if no_store:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, add_headers)


def route_template(scope: MutableMapping[str, Any], mounts: tuple[str, ...]) -> str:
    """The matched route's template (``/api/v1/studies/{study_instance_uid}``). FastAPI names
    only its own routes in the scope: a mounted app counts as its mount's path, and any other
    path must be a template itself (``/openapi.json``) or it counts as ``other``."""
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        return template
    path = str(scope["path"])
    mount = next((prefix for prefix in mounts if path.startswith(f"{prefix}/")), None)
    return mount or path
