"""Probes: alive, ready (Redis answers; degraded without a worker), and what a client sees while
Redis is away."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

from spinetriage import heartbeat
from tests.fixtures_api import ApiProcess
from tests.support import free_port


def test_alive_and_ready_with_redis_and_a_worker(api: ApiProcess, redis: Redis) -> None:
    """`/healthz` says the process serves; `/readyz` says Redis answers and a worker beat
    within the heartbeat window."""
    heartbeat.beat(redis, "spinetriage-worker@a-1", time.time())
    assert api.get("/healthz", authorized=False).json() == {"status": "ok"}
    ready = api.get("/readyz", authorized=False)
    assert (ready.status, ready.json()["status"]) == (200, "ready")


def test_without_a_worker_it_stays_ready_and_says_degraded(api: ApiProcess, redis: Redis) -> None:
    """With no worker heartbeat in the window (none, or only a stale one), `/readyz` still
    answers 200, so the worklist stays in service, but says degraded and names the workers."""
    heartbeat.beat(redis, "spinetriage-worker@a-1", time.time() - heartbeat.WINDOW_S - 1)
    ready = api.get("/readyz", authorized=False)
    assert ready.status == 200
    assert (ready.json()["status"], ready.json()["failed"]) == ("degraded", ["workers"])
    assert "heartbeat" in ready.json()["detail"]


def test_without_redis_it_is_alive_but_not_ready(start_api: Callable[..., ApiProcess]) -> None:
    """With nothing listening at the Redis URL, `/readyz` is 503 with the reason, `/healthz`
    still answers, and the worklist is a 503 with a message rather than a server error."""
    api = start_api(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    assert api.get("/healthz", authorized=False).status == 200
    ready = api.get("/readyz", authorized=False)
    assert ready.status == 503
    assert (ready.json()["status"], ready.json()["failed"]) == ("unavailable", ["redis"])
    assert "PING" in ready.json()["detail"]
    listing = api.get("/api/v1/worklist")
    assert listing.status == 503
    assert "Redis" in listing.json()["detail"]
