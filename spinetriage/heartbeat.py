"""Workers' heartbeats in Redis: each worker's main process writes its key every
``PERIOD_S`` while its consumer runs, with an expiry of ``WINDOW_S``; a worker counts as seen
while its key holds a time within the window. The API counts them for ``/readyz`` and
``spinetriage_workers_seen``."""

from __future__ import annotations

from redis import Redis

from spinetriage import keys

PERIOD_S = 5.0
# Three periods: one late or lost beat does not make a running worker look gone.
WINDOW_S = 3 * PERIOD_S
# Keys read per SCAN call; the study keys share the key space, so a call reads many.
SCAN_COUNT = 1000


def beat(redis: Redis, hostname: str, now: float) -> None:
    """Say that the worker ``hostname`` is consuming at ``now`` (epoch seconds)."""
    redis.set(keys.worker_heartbeat(hostname), repr(now), px=int(WINDOW_S * 1000))


def forget(redis: Redis, hostname: str) -> None:
    """The worker stopped consuming: it stops counting at once rather than after the window."""
    redis.delete(keys.worker_heartbeat(hostname))


def workers_seen(redis: Redis, now: float) -> int:
    """How many workers beat within the window before ``now``."""
    found = list(redis.scan_iter(match=keys.WORKER_HEARTBEATS, count=SCAN_COUNT))
    if not found:
        return 0
    return sum(_fresh(value, now) for value in redis.mget(found))


def _fresh(value: bytes | str | None, now: float) -> bool:
    try:
        return value is not None and now - float(value) <= WINDOW_S
    except ValueError:
        return False
