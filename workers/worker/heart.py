"""The worker's heartbeat, beaten by its consumer: a step of Celery's consumer blueprint puts a
beat on the consumer's own timer, so beats stop when the consumer stops or its event loop
stalls, which is what they are meant to show. Each beat sets
``spinetriage_worker_heartbeat_timestamp_seconds`` and renews the worker's key in Redis
(``spinetriage.heartbeat``), by which the API counts the workers seen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from celery import bootsteps
from celery.worker.consumer.tasks import Tasks
from prometheus_client import Gauge
from redis import Redis
from redis.exceptions import RedisError

from spinetriage import heartbeat
from spinetriage.logs import get_logger

log = get_logger(__name__)


class Heart:
    """Beats for one worker (its Celery hostname) and knows when it last did."""

    def __init__(
        self, redis: Redis, hostname: str, gauge: Gauge, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._hostname = hostname
        self._gauge = gauge
        self._clock = clock
        self.last_beat: float | None = None

    def beat(self) -> None:
        now = self._clock()
        self.last_beat = now
        self._gauge.set(now)
        try:
            heartbeat.beat(self._redis, self._hostname, now)
        except (RedisError, OSError) as exc:  # the consumer's loop must carry on
            log.warning("heartbeat_not_written", error=type(exc).__name__)

    def stopped(self) -> None:
        """The consumer stopped: not ready, and no longer counted among the workers seen."""
        self.last_beat = None
        try:
            heartbeat.forget(self._redis, self._hostname)
        except (RedisError, OSError) as exc:
            log.warning("heartbeat_not_removed", error=type(exc).__name__)

    def problem(self) -> str:
        """A readiness check: "" while the consumer beats within the heartbeat window."""
        if self.last_beat is None:
            return "the consumer is not running"
        silent_s = self._clock() - self.last_beat
        if silent_s > heartbeat.WINDOW_S:
            return f"the consumer has not beaten for {silent_s:.0f} s"
        return ""


def heart_step(heart: Heart) -> type[bootsteps.StartStopStep]:
    """A consumer step that beats ``heart`` once at once, then every ``heartbeat.PERIOD_S``
    on the consumer's timer, from when the consumer takes tasks until it stops."""

    class HeartStep(bootsteps.StartStopStep):  # type: ignore[misc]
        requires = (Tasks,)

        def __init__(self, parent: Any, **kwargs: Any) -> None:
            super().__init__(parent, **kwargs)
            self._beating: Any = None

        def start(self, parent: Any) -> None:
            heart.beat()
            self._beating = parent.timer.call_repeatedly(heartbeat.PERIOD_S, heart.beat)

        def stop(self, parent: Any) -> None:
            if self._beating is not None:
                self._beating.cancel()
                self._beating = None
                heart.stopped()

        shutdown = stop

    return HeartStep
