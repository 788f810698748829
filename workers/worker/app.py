"""The Celery app of the workers, built from the settings by ``main()`` (no module-level app).

A study's task is acknowledged only once it has run (``acks_late``), so a worker that dies
mid-analysis loses nothing: a lost child process puts the task back at once, a worker that died
without a word (killed, machine gone) has it handed to another after ``task_redelivery_s``. Each
process takes one task at a time, since one analysis fills a core."""

from __future__ import annotations

from collections.abc import Callable

from celery import Celery
from prometheus_client import CollectorRegistry
from redis import Redis

from spinetriage.config import Settings, SettingsError
from spinetriage.metrics import WorkerMetrics
from spinetriage.redis_client import connect
from spinetriage.task_names import ANALYZE_STUDY, TRIAGE_QUEUE
from workers.worker.outcome import TRANSIENT_ERRORS
from workers.worker.study_run import StudyAnalysis
from workers.worker.task import StudyTask, analyze_study

# Transient errors are retried after 1, 2, 4... seconds (with full jitter), never more than
# this; kept well under the redelivery time, since a waiting retry is an unacknowledged message.
RETRY_BACKOFF_MAX_S = 60
# How often a worker looks for tasks of dead workers that are due for redelivery: a tenth of
# the redelivery time, within these bounds (seconds).
RESTORE_SWEEP_MIN_S = 1
RESTORE_SWEEP_MAX_S = 10
# A sweep holds a mutex in Redis for milliseconds; a worker killed while holding it would block
# every other worker's sweeps until it expires (kombu's default: 300 s).
RESTORE_MUTEX_EXPIRE_S = 30

RedisFactory = Callable[[], Redis]


def create_celery_app(
    settings: Settings,
    redis_factory: RedisFactory | None = None,
    metrics: WorkerMetrics | None = None,
) -> Celery:
    """The app with the analysis task registered; ``redis_factory`` makes the Redis client of
    each worker process (by default on ``settings.redis_url``); ``metrics`` are the worker's
    (by default in a registry of their own)."""
    redis_url = settings.redis_url
    if redis_url is None:
        raise SettingsError("SPINETRIAGE_REDIS_URL: not set; the workers need the broker")
    app = Celery("spinetriage-worker", broker=redis_url, set_as_current=False)
    app.conf.update(_config(settings))
    analysis = StudyAnalysis(
        spool_root=settings.spool_path,
        soft_time_limit_s=settings.task_soft_time_limit_s,
        time_limit_s=settings.task_time_limit_s,
        redis_factory=redis_factory or (lambda: connect(redis_url)),
        metrics=metrics or WorkerMetrics(CollectorRegistry()),
    )
    app.task(
        name=ANALYZE_STUDY,
        base=StudyTask,
        bind=True,
        shared=False,  # only this app: shared tasks join every app created afterwards
        analysis=analysis,
        time_limits_s=(settings.task_soft_time_limit_s, settings.task_time_limit_s),
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=True,
        retry_backoff_max=_backoff_max_s(settings),
        retry_jitter=True,
        max_retries=settings.task_max_retries,
    )(analyze_study)
    return app


def _config(settings: Settings) -> dict[str, object]:
    return {
        "task_default_queue": TRIAGE_QUEUE,
        "task_routes": {ANALYZE_STUDY: {"queue": TRIAGE_QUEUE}},
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # Its messages come back anyway when the connection returns; running on would analyse
        # the study twice.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": settings.task_soft_time_limit_s,
        "task_time_limit": settings.task_time_limit_s,
        "broker_transport_options": {
            "visibility_timeout": settings.task_redelivery_s,
            "unacked_restore_interval": _restore_sweep_s(settings),
            "unacked_restore_throttle": 1,
            "unacked_mutex_expire": RESTORE_MUTEX_EXPIRE_S,
        },
        "broker_connection_retry_on_startup": True,
        "task_ignore_result": True,
        "result_backend": None,
        "task_serializer": "json",
        "accept_content": ["json"],
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_send_task_events": False,
        "enable_utc": True,
    }


def _backoff_max_s(settings: Settings) -> int:
    return max(1, min(RETRY_BACKOFF_MAX_S, int(settings.task_redelivery_s / 2)))


def _restore_sweep_s(settings: Settings) -> int:
    tenth = int(settings.task_redelivery_s / 10)
    return max(RESTORE_SWEEP_MIN_S, min(RESTORE_SWEEP_MAX_S, tenth))
