"""The worklist API as its own process (``spinetriage api``) on a free loopback port, and a small
HTTP client for it (urllib and http.client only)."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from tests.support import free_port, spawn, wait_for

REQUEST_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ApiProcess:
    base_url: str
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def connection(self, timeout_s: float = REQUEST_TIMEOUT_S) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request(
        self,
        method: str,
        path: str,
        body: object | None = None,
        authorized: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request; ``authorized`` sends the process's token unless ``headers`` say
        otherwise."""
        sent = {**(self.auth() if authorized else {}), **(headers or {})}
        payload = None if body is None else json.dumps(body).encode()
        if payload is not None:
            sent.setdefault("Content-Type", "application/json")
        with closing(self.connection()) as connection:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            return Reply(response.status, dict(response.getheaders()), response.read())

    def get(self, path: str, **options: Any) -> Reply:
        return self.request("GET", path, **options)

    def post(self, path: str, body: object, **options: Any) -> Reply:
        return self.request("POST", path, body, **options)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=STOP_TIMEOUT_S)


def launch_api(redis_url: str, log_dir: Path, **settings: object) -> ApiProcess:
    """Start ``spinetriage api`` and wait until it answers; extra settings as keyword arguments
    (``api_open_listing=True``; ``api_port`` to take over a stopped one's port). Only the
    settings given here reach it, whatever the environment holds."""
    port = int(str(settings.pop("api_port", free_port())))
    token = str(settings.pop("api_token", secrets.token_urlsafe(16)))
    env = {key: value for key, value in os.environ.items() if not key.startswith("SPINETRIAGE_")}
    env.update(
        SPINETRIAGE_REDIS_URL=redis_url,
        SPINETRIAGE_API_BIND="127.0.0.1",
        SPINETRIAGE_API_PORT=str(port),
        SPINETRIAGE_API_TOKEN=token,
        SPINETRIAGE_LOG_FORMAT="json",
        SPINETRIAGE_LOG_LEVEL="debug",
    )
    env.update({f"SPINETRIAGE_{key.upper()}": str(value) for key, value in settings.items()})
    log = log_dir / f"api-{port}.log"
    process = spawn("api", env, log)
    api = ApiProcess(f"http://127.0.0.1:{port}", port, token, process, log)
    try:
        wait_for(lambda: _healthy(api))
    except BaseException:
        api.stop()
        raise
    return api


def _healthy(api: ApiProcess) -> bool:
    assert api.process.poll() is None, f"the API exited during start-up:\n{api.log_text()}"
    try:
        return api.get("/healthz", authorized=False).status == 200
    except OSError:
        return False


@pytest.fixture
def start_api(redis: Redis, redis_url: str, tmp_path: Path) -> Iterator[Callable[..., ApiProcess]]:
    """Start `spinetriage api` as its own process against the test's (flushed) Redis; extra
    settings as keyword arguments. Every API started is stopped after the test."""
    started: list[ApiProcess] = []

    def start(**settings: object) -> ApiProcess:
        url = str(settings.pop("redis_url", redis_url))
        api = launch_api(url, tmp_path, **settings)
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()
