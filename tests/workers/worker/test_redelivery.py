"""Deliveries of one study that overlap: two workers never analyse it at once, and a study
whose worker died mid-analysis is analysed by the next worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from redis import Redis

from spinetriage.worklist import WorklistStore
from tests.fixtures_worker import WorkerProcess
from tests.support import wait_for
from tests.workers.worker.conftest import PhantomStudy
from tests.workers.worker.seeding import analysing, complete, send_task, spool_files
from tests.workers.worker.test_task import OUTCOME_TIMEOUT_S, outcome

# Short limits so that a dead worker's task and lock come back within seconds; the lock lasts
# the hard limit plus a second, the task is handed out again after the redelivery time.
FAST_RECOVERY = {
    "task_soft_time_limit_s": 5,
    "task_time_limit_s": 6,
    "task_redelivery_s": 8,
}
HELD_LOCK_S = 60.0


def test_two_workers_given_the_same_task_twice_never_analyse_at_once(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """While the study's lock is held both deliveries wait; once it is free one worker analyses
    the study and the other finds it recorded, so it is analysed exactly once."""
    ready = complete(redis, spool_files(phantom_study.files, worker_spool))
    store = WorklistStore(redis)
    holder = store.lock(ready.study_uid, HELD_LOCK_S)
    assert holder is not None
    workers = [start_worker(), start_worker()]
    for worker in workers:
        worker.wait_ready()
    send_task(redis_url, ready)
    send_task(redis_url, ready)
    wait_for(
        lambda: sum(len(w.events("study_locked_elsewhere")) for w in workers) >= 2,
        OUTCOME_TIMEOUT_S,
    )
    store.unlock(ready.study_uid, holder)
    assert outcome(store, ready.study_uid).status == "done"
    wait_for(
        lambda: any(
            e["reason"] == "recorded" for w in workers for e in w.events("analysis_skipped")
        ),
        OUTCOME_TIMEOUT_S,
    )
    assert sum(len(w.events("study_analysis_started")) for w in workers) == 1


def test_a_study_whose_worker_was_killed_is_analysed_by_the_next_worker(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """SIGKILL to a worker's whole process group mid-analysis leaves the study analyzing;
    a worker started afterwards gets the task once the redelivery time has passed and
    records the analysis."""
    ready = complete(redis, spool_files(phantom_study.files, worker_spool))
    store = WorklistStore(redis)
    doomed = start_worker(**FAST_RECOVERY)
    send_task(redis_url, ready)
    wait_for(lambda: analysing(store, ready.study_uid), OUTCOME_TIMEOUT_S)
    doomed.kill()
    assert analysing(store, ready.study_uid), "the analysis ended before the worker was killed"
    assert not doomed.events("analysis_recorded")
    successor = start_worker(**FAST_RECOVERY)
    item = outcome(store, ready.study_uid)
    assert item.status == "done", item.reason
    assert item.findings
    assert successor.events("analysis_recorded")
