"""The analysis task in a real worker process, sent by name as the listener sends it: what each
kind of study ends as on the worklist, and that repeated or stale deliveries change nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from redis import Redis

from spinetriage import keys
from spinetriage.worklist import WorklistStore
from spinetriage.worklist_item import WorklistItem
from tests.fixtures_worker import WorkerProcess
from tests.support import wait_for
from tests.workers.worker.conftest import PhantomStudy
from tests.workers.worker.seeding import analysing, complete, record_of, send_task, spool_files
from workers.worker.study_run import MAX_LOST_ANALYSES, lost_too_often

OUTCOME_TIMEOUT_S = 90.0


def outcome(store: WorklistStore, study_uid: str) -> WorklistItem:
    """The study's item once an analysis outcome is recorded on it."""

    def recorded() -> WorklistItem | None:
        item = store.item(study_uid)
        return item if item is not None and item.analyzed_at is not None else None

    item: WorklistItem = wait_for(recorded, OUTCOME_TIMEOUT_S)
    return item


def logged(worker: WorkerProcess, event: str, **fields: object) -> bool:
    return any(
        all(e.get(key) == value for key, value in fields.items()) for e in worker.events(event)
    )


def test_a_positive_study_is_done_with_findings_and_key_images(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """The phantom's epidural mass puts the study on the worklist as done, urgent or critical,
    with its findings and a key image per finding that decodes as a PNG."""
    ready = complete(redis, spool_files(phantom_study.files, worker_spool))
    send_task(redis_url, ready)
    worker = start_worker()
    store = WorklistStore(redis)
    item = outcome(store, ready.study_uid)
    assert item.status == "done", item.reason
    assert item.priority in ("critical", "urgent")
    assert item.suspected_compression
    assert any(finding.type == "epidural_mass" for finding in item.findings)
    for index in range(len(item.findings)):
        png = store.key_image(ready.study_uid, index)
        assert png is not None
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG"
            assert min(image.size) >= 256
    assert logged(worker, "study_analysed", study=ready.study_uid, version=ready.version)


def test_a_study_with_nothing_analysable_is_not_applicable_with_the_reason(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """Two slices of one series are no volume: the study ends not_applicable and says why."""
    first_series = record_of(phantom_study.files[0]).series_uid
    two = [p for p in phantom_study.files if record_of(p).series_uid == first_series][:2]
    ready = complete(redis, spool_files(two, worker_spool))
    send_task(redis_url, ready)
    start_worker()
    item = outcome(WorklistStore(redis), ready.study_uid)
    assert item.status == "not_applicable"
    assert item.priority == "routine"
    assert "nothing analysable" in item.reason
    assert "slice" in item.reason


def test_a_study_missing_from_the_spool_fails_with_the_reason(
    redis: Redis,
    redis_url: str,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """A study indexed but whose folder is not in the spool ends failed, saying so."""
    ready = complete(redis, [record_of(path) for path in phantom_study.files[:3]])
    send_task(redis_url, ready)
    start_worker()
    item = outcome(WorklistStore(redis), ready.study_uid)
    assert item.status == "failed"
    assert "spool" in item.reason


def test_a_study_whose_analysis_keeps_taking_its_process_down_is_failed(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """After as many analyses of a version lost with their process (begun, never finished) as
    the cap allows, the next delivery records the study failed with the reason instead of
    analysing it again."""
    ready = complete(redis, spool_files(phantom_study.files, worker_spool))
    store = WorklistStore(redis)
    for _ in range(MAX_LOST_ANALYSES):
        store.begin_attempt(ready.study_uid, ready.version)
    send_task(redis_url, ready)
    worker = start_worker()
    item = outcome(store, ready.study_uid)
    assert item.status == "failed"
    assert item.reason == lost_too_often(MAX_LOST_ANALYSES)
    assert not worker.events("study_analysed")


def test_the_same_task_twice_leaves_the_same_item(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """A task delivered again after its version was recorded is skipped: item and key images
    stay exactly as the first run left them."""
    ready = complete(redis, spool_files(phantom_study.files, worker_spool))
    send_task(redis_url, ready)
    worker = start_worker()
    store = WorklistStore(redis)
    first = outcome(store, ready.study_uid)
    first_images = redis.hgetall(keys.study_key_images(ready.study_uid))
    send_task(redis_url, ready)
    wait_for(lambda: logged(worker, "analysis_skipped", study=ready.study_uid, reason="recorded"))
    assert store.item(ready.study_uid) == first
    assert redis.hgetall(keys.study_key_images(ready.study_uid)) == first_images
    assert len(worker.events("study_analysed")) == 1


def test_a_stale_version_is_skipped_and_the_newer_one_analysed(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """When more images arrived after a study was queued, the older version's task changes
    nothing and the newer version's task records the analysis."""
    records = spool_files(phantom_study.files, worker_spool)
    old = complete(redis, records)
    new = complete(redis, records[-1:])  # the last instance again: a new version
    assert new.version == old.version + 1
    worker = start_worker()
    send_task(redis_url, old)
    wait_for(
        lambda: logged(worker, "analysis_skipped", study=old.study_uid, reason="stale"),
        OUTCOME_TIMEOUT_S,
    )
    item = WorklistStore(redis).item(old.study_uid)
    assert item is not None
    assert item.status == "queued"
    send_task(redis_url, new)
    assert outcome(WorklistStore(redis), new.study_uid).status == "done"
    assert redis.hget(keys.study(new.study_uid), "analyzed_version") == str(new.version).encode()


def test_a_study_over_the_soft_time_limit_fails_saying_so(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """An analysis stopped by the soft time limit is recorded as failed with the limit."""
    ready = complete(redis, spool_files(phantom_study.files, worker_spool))
    send_task(redis_url, ready)
    start_worker(task_soft_time_limit_s=0.2, task_time_limit_s=10, task_redelivery_s=20)
    item = outcome(WorklistStore(redis), ready.study_uid)
    assert item.status == "failed"
    assert item.reason == "analysis took longer than 0.2 s"


def test_sigterm_lets_the_running_analysis_finish(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """SIGTERM during an analysis is a warm shutdown: the analysis is recorded, then the worker
    exits with status 0."""
    ready = complete(redis, spool_files(phantom_study.files, worker_spool))
    store = WorklistStore(redis)
    worker = start_worker()
    send_task(redis_url, ready)
    wait_for(lambda: analysing(store, ready.study_uid), OUTCOME_TIMEOUT_S)
    worker.request_stop()
    assert worker.process.wait(timeout=OUTCOME_TIMEOUT_S) == 0
    assert store.item_or_raise(ready.study_uid).status == "done"
    log = worker.log_text()
    assert log.index("Warm shutdown") < log.index('"analysis_recorded"')
    assert worker.events("worker_stopped")
