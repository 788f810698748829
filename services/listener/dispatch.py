"""Sends the analysis task to the workers by name; the listener never imports them."""

from __future__ import annotations

from celery import Celery

from spinetriage.study_index import ReadyStudy
from spinetriage.task_names import ANALYZE_STUDY, TRIAGE_QUEUE


class CeleryPublisher:
    def __init__(self, broker_url: str) -> None:
        self._app = Celery("spinetriage-listener", broker=broker_url, set_as_current=False)
        self._app.conf.broker_connection_retry_on_startup = True

    def send_analysis(self, study: ReadyStudy) -> None:
        # One task ID per study version, so a task resent after a lost confirmation is
        # recognisable as the same work.
        self._app.send_task(
            ANALYZE_STUDY,
            args=[study.study_uid, study.version],
            queue=TRIAGE_QUEUE,
            task_id=f"{ANALYZE_STUDY}-{study.study_uid}-v{study.version}",
        )

    def close(self) -> None:
        self._app.close()
