"""The completion loop: claims studies whose deadline passed and sends their analysis task.

Every listener replica runs one; the claim is atomic in Redis, so each study version is sent by
exactly one of them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from redis.exceptions import RedisError

from spinetriage.logs import get_logger
from spinetriage.metrics import ListenerMetrics
from spinetriage.study_index import ReadyStudy, StudyIndex

log = get_logger(__name__)


class TaskPublisher(Protocol):
    def send_analysis(self, study: ReadyStudy) -> None: ...


class CompletionLoop:
    def __init__(
        self,
        index: StudyIndex,
        publisher: TaskPublisher,
        metrics: ListenerMetrics,
        *,
        poll_s: float,
        lease_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._index = index
        self._publisher = publisher
        self._metrics = metrics
        self._poll_s = poll_s
        self._lease_s = lease_s
        self._clock = clock

    def run_once(self) -> list[ReadyStudy]:
        """Claim what is due, plus what another replica claimed but never sent; send each.
        A fresh claim is the study's completion: its time since the first instance is
        observed then, once per study version."""
        now = self._clock()
        ready = self._index.claim_due(now, self._lease_s)
        for study in ready:
            if study.first_received_at is not None:
                received_s = max(0.0, now - study.first_received_at)
                self._metrics.receive_duration.observe(received_s)
        ready += self._index.reclaim_expired(now, self._lease_s)
        return [study for study in ready if self._dispatch(study)]

    def run_until(self, stop: threading.Event) -> None:
        while not stop.wait(self._poll_s):
            try:
                self.run_once()
            except RedisError as exc:
                log.warning("completion_poll_failed", error=type(exc).__name__)

    def _dispatch(self, study: ReadyStudy) -> bool:
        try:
            self._publisher.send_analysis(study)
        except Exception as exc:
            self._metrics.dispatch_failures.inc()
            log.error("analysis_not_sent", study=study.study_uid, error=type(exc).__name__)
            return False
        self._index.dispatched(study)
        trigger = study.trigger or "redelivered"
        self._metrics.studies_completed.labels(trigger).inc()
        log.info("study_complete", study=study.study_uid, version=study.version, trigger=trigger)
        return True
