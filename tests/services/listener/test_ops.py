"""The listener's metrics port: `/metrics` with the study and spool metrics, `/healthz`, and
`/readyz`, which names what is wrong when the listener cannot take studies."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis import Redis

from spinetriage import __version__
from spinetriage.embedded_redis import EmbeddedRedis
from spinetriage.sample_study import SeriesSpec, write_mr_series
from spinetriage.task_names import TRIAGE_QUEUE
from tests.conftest import ListenerProcess
from tests.support import free_port, metric, send, settled, wait_for


def get(listener: ListenerProcess, path: str) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of one of the listener's probes."""
    url = f"http://127.0.0.1:{listener.metrics_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def answers_ready(listener: ListenerProcess) -> bool:
    assert listener.process.poll() is None, f"listener exited:\n{listener.log_text()}"
    try:
        return get(listener, "/readyz")[0] == 200
    except urllib.error.URLError:  # its metrics port opens just after the DICOM port
        return False


def test_a_completed_study_and_the_spool_show_in_the_metrics(
    start_listener: Callable[..., ListenerProcess], redis: Redis, tmp_path: Path
) -> None:
    """A study stored and completed is observed once in the receive duration; the spool's
    capacity and the bytes it holds are reported; the build is named; the listener is alive and
    ready."""
    listener = start_listener(spool_usage_interval_s=0.2)
    paths = write_mr_series(tmp_path / "s", SeriesSpec(instances=3, rows=32, columns=32))
    send(listener, paths)
    wait_for(lambda: settled(redis) and redis.llen(TRIAGE_QUEUE) == 1)
    url = listener.metrics_url
    assert metric(url, "spinetriage_study_receive_duration_seconds_count") == 1
    assert metric(url, "spinetriage_study_receive_duration_seconds_bucket", le="+Inf") == 1
    assert metric(url, "spinetriage_spool_capacity_bytes") > 0
    stored = sum(path.stat().st_size for path in listener.spooled_files())
    wait_for(lambda: metric(url, "spinetriage_spool_used_bytes") == stored)
    assert metric(url, "spinetriage_build_info", version=__version__) == 1
    assert get(listener, "/healthz") == (200, {"status": "ok"})
    assert get(listener, "/readyz") == (200, {"status": "ready"})


def test_without_redis_the_listener_is_alive_but_not_ready(
    start_listener: Callable[..., ListenerProcess], tmp_path: Path
) -> None:
    """Once the listener's Redis stops, `/readyz` answers 503 naming Redis while `/healthz`
    still answers 200."""
    server = EmbeddedRedis(tmp_path / "own-redis", free_port())
    server.start()
    try:
        listener = start_listener(redis_url=server.url)
        wait_for(lambda: answers_ready(listener))
    finally:
        server.stop()
    status, body = get(listener, "/readyz")
    assert (status, body["status"], body["failed"]) == (503, "unavailable", ["redis"])
    assert "PING" in body["detail"]
    assert get(listener, "/healthz")[0] == 200
