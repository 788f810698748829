"""The operations endpoint of the listener and the worker, on their metrics port: ``/metrics``
(Prometheus text from the process's registry), ``/healthz`` (the process answers) and
``/readyz`` (its readiness checks pass; 503 with the failed checks and why otherwise).

A small threaded WSGI server of the standard library's, as prometheus-client's own
``start_http_server`` is, plus the two probes."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterable, Mapping
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, make_wsgi_app

from spinetriage.health import Check, readiness

_REASONS = {200: "200 OK", 404: "404 Not Found", 503: "503 Service Unavailable"}


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow readiness check never holds up a scrape."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """No access log: scrapes and probes every few seconds would drown the events."""

    def log_message(self, format: str, *args: Any) -> None:
        return None


def ops_app(registry: CollectorRegistry, checks: Mapping[str, Check]) -> WSGIApplication:
    metrics = make_wsgi_app(registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            return _json(start_response, 200, {"status": "ok"})
        if path == "/readyz":
            return _json(start_response, *readiness(checks))
        return _json(start_response, 404, {"detail": "not found"})

    return app


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    start_response(_REASONS[status], headers)
    return [data]


def start_ops_server(
    bind: str, port: int, registry: CollectorRegistry, checks: Mapping[str, Check]
) -> WSGIServer:
    """Serve in a background thread; ``server.server_address[1]`` is the port (``port`` 0
    picks a free one), ``server.shutdown()`` stops it."""
    family, address = _family(bind, port)
    server_class: type[_ThreadingServer] = type(
        "OpsServer", (_ThreadingServer,), {"address_family": family}
    )
    server = make_server(
        address, port, ops_app(registry, checks), server_class, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="ops-http", daemon=True).start()
    return server


def _family(bind: str, port: int) -> tuple[socket.AddressFamily, str]:
    """IPv4 or IPv6, whichever the bind address is."""
    family, _, _, _, sockaddr = socket.getaddrinfo(
        bind, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return family, str(sockaddr[0])
