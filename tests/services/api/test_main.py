"""`spinetriage api` as a process: it refuses to start without what it needs, and stops
cleanly with event streams open."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.fixtures_api import ApiProcess
from tests.support import free_port, spawn

EXIT_WITHIN_S = 30.0
STOPPED_WITHIN_S = 10.0


def clean_env(**settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SPINETRIAGE_")}
    env.update({f"SPINETRIAGE_{key.upper()}": value for key, value in settings.items()})
    return env


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        ({"redis_url": "redis://127.0.0.1:1/0"}, "SPINETRIAGE_API_TOKEN"),
        ({"redis_url": "redis://127.0.0.1:1/0", "api_token": "  "}, "SPINETRIAGE_API_TOKEN"),
        ({"api_token": "secret"}, "SPINETRIAGE_REDIS_URL"),
    ],
)
def test_it_refuses_to_start_without_a_token_or_redis(
    tmp_path: Path, settings: dict[str, str], variable: str
) -> None:
    """Without a token (or a blank one) or without a Redis URL it exits with code 2 and a
    message naming the variable, before serving anything."""
    log = tmp_path / "api.log"
    process = spawn("api", clean_env(**{"api_port": str(free_port()), **settings}), log)
    assert process.wait(timeout=EXIT_WITHIN_S) == 2
    assert variable in log.read_text()


def test_sigterm_stops_it_with_an_event_stream_open(
    start_api: Callable[..., ApiProcess],
) -> None:
    """A stop signal ends the open event streams and the process, well within the grace
    period a container gets."""
    api = start_api()
    with closing(api.connection()) as connection:
        connection.request("GET", "/api/v1/events", headers=api.auth())
        response = connection.getresponse()
        assert response.read1(4096).startswith(b"event: hello")
        api.process.send_signal(signal.SIGTERM)
        assert api.process.wait(timeout=STOPPED_WITHIN_S) in (0, -signal.SIGTERM)
