"""Workers' heartbeats in Redis: each worker's main process puts the time in a sorted set under
its hostname every ``PERIOD_S`` while its consumer runs; a worker counts as seen while its time
is within ``WINDOW_S``. The API counts them for ``/readyz`` and ``spinetriage_workers_seen``,
in one command however large the key space."""

from __future__ import annotations

from redis import Redis

from spinetriage import keys

PERIOD_S = 5.0
# Three periods: one late or lost beat does not make a running worker look gone.
WINDOW_S = 3 * PERIOD_S
# Workers silent this long leave the set (a worker's clock may run somewhat behind another's).
FORGOTTEN_AFTER_S = 3600.0


def beat(redis: Redis, hostname: str, now: float) -> None:
    """Say that the worker ``hostname`` is consuming at ``now`` (epoch seconds)."""
    pipe = redis.pipeline(transaction=False)
    pipe.zadd(keys.WORKER_HEARTBEATS, {hostname: now})
    pipe.zremrangebyscore(keys.WORKER_HEARTBEATS, "-inf", f"({now - FORGOTTEN_AFTER_S!r}")
    pipe.execute()


def forget(redis: Redis, hostname: str) -> None:
    """The worker stopped consuming: it stops counting at once rather than after the window."""
    redis.zrem(keys.WORKER_HEARTBEATS, hostname)


def workers_seen(redis: Redis, now: float) -> int:
    """How many workers beat within the window before ``now``."""
    return int(redis.zcount(keys.WORKER_HEARTBEATS, now - WINDOW_S, "+inf"))
