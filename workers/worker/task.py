"""The analysis task, sent by name (``task_names.ANALYZE_STUDY``) with a study UID and version.

Thin on purpose: ``StudyAnalysis.run`` does the work. The task adds what belongs to Celery:
trying again later when another worker holds the study, recording the study as failed when the
task gives up (retries exhausted, hard time limit) so it never stays "analyzing", and counting
how each delivery ended."""

from __future__ import annotations

import random
import time
from typing import Any

from billiard.einfo import ExceptionInfo
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from redis.exceptions import RedisError

from spinetriage.logs import get_logger
from workers.worker.outcome import TRANSIENT_ERRORS, crashed, too_slow
from workers.worker.study_run import RunReport, StudyAnalysis

log = get_logger(__name__)

# Another worker holds the study: look again after this long, plus up to BUSY_JITTER_S so that
# several waiting deliveries do not come back in step.
BUSY_RETRY_S = 2.0
BUSY_JITTER_S = 1.0


class StudyTask(Task):  # type: ignore[misc]
    """The task's class; ``analysis`` and ``time_limits_s`` are set when the app registers it."""

    analysis: StudyAnalysis
    time_limits_s: tuple[float, float]  # soft, hard

    def on_failure(
        self,
        exc: BaseException,
        task_id: str,
        args: Any,
        kwargs: Any,
        einfo: ExceptionInfo | None,
    ) -> None:
        """The task gave up (in the worker process, or in the main process after the hard time
        limit stopped it): the study is recorded as failed with the reason."""
        self.analysis.metrics.tasks.labels("failed").inc()
        try:
            study_uid, version = str(args[0]), int(args[1])
        except (IndexError, TypeError, ValueError):
            log.error("task_arguments_invalid", task_id=task_id)
            return
        reason = failure_reason(exc, self.time_limits_s[0], self.max_retries)
        log.error("analysis_gave_up", study=study_uid, version=version, reason=reason)
        self.analysis.record_failure(study_uid, version, reason)

    def on_retry(
        self,
        exc: BaseException,
        task_id: str,
        args: Any,
        kwargs: Any,
        einfo: ExceptionInfo | None,
    ) -> None:
        """Redis or the disk failed and the delivery is retried later: counted, by which."""
        metrics = self.analysis.metrics
        metrics.tasks.labels("retried").inc()
        metrics.retries.labels("redis" if isinstance(exc, RedisError) else "disk").inc()


def failure_reason(error: BaseException, soft_time_limit_s: float, retries: int | None) -> str:
    """Why the task gave up, in words for the worklist; never the exception's text."""
    if isinstance(error, SoftTimeLimitExceeded | TimeLimitExceeded):
        return too_slow(soft_time_limit_s)
    if isinstance(error, TRANSIENT_ERRORS):
        return f"Redis or the disk kept failing ({type(error).__name__}, {retries} retries)"
    return crashed(error)


def analyze_study(task: StudyTask, study_uid: str, version: int) -> str:
    """Analyse one study version and record the outcome on the worklist."""
    started = time.perf_counter()
    report = task.analysis.run(study_uid, version)
    if report.outcome == "busy":
        _again_later(task, BUSY_RETRY_S + random.uniform(0, BUSY_JITTER_S))
        log.info("study_locked_elsewhere", study=study_uid, version=version)
    _count(task, report, time.perf_counter() - started)
    return report.outcome


def _count(task: StudyTask, report: RunReport, duration_s: float) -> None:
    """The delivery's end: the analysis's outcome with its wall time, or why none ran."""
    metrics = task.analysis.metrics
    if report.status is not None:
        metrics.tasks.labels(report.status).inc()
        metrics.task_duration.labels(report.status).observe(duration_s)
    else:
        metrics.tasks.labels("rescheduled" if report.outcome == "busy" else "skipped").inc()


def _again_later(task: StudyTask, countdown_s: float) -> None:
    """The same task (same ID, arguments and queue) sent again to run after ``countdown_s``.
    Unlike ``retry`` it keeps the retry count: a busy lock is no failure, and waiting for it
    must not use up the retries meant for transient errors; the lock's expiry bounds the wait."""
    again = task.signature_from_request(countdown=countdown_s, retries=task.request.retries)
    again.apply_async()
