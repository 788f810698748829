"""The worker's Celery app and command: delivery settings, retries, recording a task that gave
up, and the settings it refuses to start with."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time

import pytest
from celery import Celery
from celery.exceptions import TimeLimitExceeded
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from spinetriage.config import Settings, SettingsError, load_settings
from spinetriage.study_index import InstanceRecord, StudyIndex
from spinetriage.task_names import ANALYZE_STUDY, TRIAGE_QUEUE
from spinetriage.worklist import WorklistStore
from workers.worker.app import create_celery_app

STUDY = "1.2.3.4.5"


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return load_settings(
        redis_url=redis_url,
        task_soft_time_limit_s=50,
        task_time_limit_s=60,
        task_redelivery_s=90,
        task_max_retries=3,
    )


@pytest.fixture
def app(settings: Settings, redis: Redis) -> Celery:
    return create_celery_app(settings, redis_factory=lambda: redis)


def test_tasks_are_acknowledged_after_they_ran_one_at_a_time(app: Celery) -> None:
    """Late acknowledgement, requeue when a process is lost, one task per process, the time
    limits, the redelivery time, no result backend, JSON only."""
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (50, 60)
    assert conf.broker_transport_options["visibility_timeout"] == 90
    assert conf.task_ignore_result is True
    assert conf.task_default_queue == TRIAGE_QUEUE
    assert conf.accept_content == ["json"]
    assert conf.worker_hijack_root_logger is False


def test_the_task_retries_transient_errors_with_backoff(app: Celery) -> None:
    """The task is registered by its shared name and retries Redis and disk errors with
    jittered exponential backoff, as often as the settings say."""
    task = app.tasks[ANALYZE_STUDY]
    assert task.max_retries == 3
    assert set(task.autoretry_for) >= {RedisConnectionError, OSError}
    assert task.retry_backoff is True
    assert task.retry_jitter is True


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (RedisConnectionError("refused"), "Redis or the disk kept failing (ConnectionError, 3"),
        (TimeLimitExceeded(60), "analysis took longer than 50 s"),
        (KeyError("PatientName"), "analysis failed (KeyError)"),
    ],
)
def test_a_task_that_gave_up_leaves_the_study_failed(
    app: Celery, redis: Redis, error: Exception, reason: str
) -> None:
    """When the task gives up (retries exhausted, hard time limit, an unexpected error) the
    study is recorded as failed with a reason that never quotes the error's text."""
    index = StudyIndex(redis, quiet_s=0.0, grace_s=0.0)
    record = InstanceRecord(STUDY, "1.2.3.4.6", "1.2.3.4.7", "PACS", {}, {"modality": "MR"})
    index.record_instance(record, time.time(), first_in_association=True)
    (ready,) = index.claim_due(time.time() + 1, lease_s=30)
    store = WorklistStore(redis)
    assert store.begin_analysis(STUDY, ready.version) == "analyse"
    task = app.tasks[ANALYZE_STUDY]
    task.on_failure(error, "task-id", [STUDY, ready.version], {}, None)
    item = store.item_or_raise(STUDY)
    assert item.status == "failed"
    assert item.reason.startswith(reason)
    assert "PatientName" not in item.reason
    registry = task.analysis.metrics.registry
    assert registry.get_sample_value("spinetriage_tasks_total", {"outcome": "failed"}) == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [(RedisConnectionError("refused"), "redis"), (OSError(errno.EIO, "I/O error"), "disk")],
)
def test_a_retried_delivery_is_counted_with_what_failed(
    app: Celery, error: Exception, reason: str
) -> None:
    """A delivery retried after a transient error counts as retried, and as a retry for Redis
    or for the disk, whichever failed."""
    task = app.tasks[ANALYZE_STUDY]
    task.on_retry(error, "task-id", [STUDY, 1], {}, None)
    registry = task.analysis.metrics.registry
    retries = {
        other: registry.get_sample_value("spinetriage_task_retries_total", {"reason": other})
        for other in ("redis", "disk")
    }
    assert registry.get_sample_value("spinetriage_tasks_total", {"outcome": "retried"}) == 1
    assert retries == {other: float(other == reason) for other in ("redis", "disk")}


def test_redelivery_must_outlast_the_hard_time_limit() -> None:
    """A redelivery time within the hard limit would hand a running task to a second worker:
    refused, naming the variable."""
    with pytest.raises(SettingsError, match="SPINETRIAGE_TASK_REDELIVERY_S"):
        load_settings(task_time_limit_s=180, task_redelivery_s=120)


def test_the_worker_needs_a_redis_url() -> None:
    """`spinetriage worker` without SPINETRIAGE_REDIS_URL exits 2 saying what is missing."""
    env = {key: value for key, value in os.environ.items() if key != "SPINETRIAGE_REDIS_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "spinetriage", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "SPINETRIAGE_REDIS_URL" in done.stderr
