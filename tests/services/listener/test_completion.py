"""Study completion seen on the real Celery queue: one task per study version, whichever listener
replica carried the study."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from pynetdicom import AE
from pynetdicom.sop_class import MRImageStorage  # type: ignore[attr-defined]
from redis import Redis

from spinetriage import keys
from spinetriage.sample_study import SeriesSpec, write_mr_series
from spinetriage.task_names import ANALYZE_STUDY
from tests.conftest import ListenerProcess
from tests.support import metric, queued_tasks, send, settled, study_uid_of, wait_for


def test_each_study_version_is_sent_once(
    start_listener: Callable[..., ListenerProcess], redis: Redis, tmp_path: Path
) -> None:
    """A study completes once after its association ends; an instance arriving later makes
    version 2 and exactly one more task."""
    listener = start_listener()
    paths = write_mr_series(tmp_path / "s", SeriesSpec(instances=5, rows=32, columns=32))
    uid = study_uid_of(paths)
    send(listener, paths)
    wait_for(lambda: queued_tasks(redis) == [(ANALYZE_STUDY, [uid, 1])])
    wait_for(lambda: settled(redis))
    send(listener, paths[:1])
    wait_for(lambda: len(queued_tasks(redis)) == 2)
    wait_for(lambda: settled(redis))
    assert queued_tasks(redis) == [(ANALYZE_STUDY, [uid, 2]), (ANALYZE_STUDY, [uid, 1])]
    assert (
        metric(
            listener.metrics_url, "spinetriage_studies_completed_total", trigger="association_end"
        )
        == 2
    )


def test_concurrent_associations_on_two_replicas_complete_the_study_once(
    start_listener: Callable[..., ListenerProcess], redis: Redis, tmp_path: Path
) -> None:
    """Two associations carrying halves of one study at the same time, each to a different
    listener process sharing Redis, give one task once both have ended, with every instance
    counted."""
    spool = tmp_path / "shared-spool"
    replicas = [start_listener(spool_dir=spool), start_listener(spool_dir=spool)]
    paths = write_mr_series(tmp_path / "s", SeriesSpec(instances=12, rows=32, columns=32))
    uid = study_uid_of(paths)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def carry(listener: ListenerProcess, share: list[Path]) -> None:
        try:
            start.wait()
            send(listener, share)
        except BaseException as exc:  # the assertion is re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=carry, args=(replicas[i], paths[i::2])) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    wait_for(lambda: queued_tasks(redis))
    wait_for(lambda: settled(redis))
    assert queued_tasks(redis) == [(ANALYZE_STUDY, [uid, 1])]
    assert redis.hget(keys.study(uid), "instances") == b"12"
    assert len(list((spool / uid).rglob("*.dcm"))) == 12


def test_quiet_period_completes_a_study_whose_association_stays_open(
    start_listener: Callable[..., ListenerProcess], redis: Redis, tmp_path: Path
) -> None:
    """A sender that keeps its association open still gets the study analysed after the quiet
    period, and releasing afterwards sends nothing more."""
    listener = start_listener(completion_quiet_s=1.0)
    paths = write_mr_series(tmp_path / "s", SeriesSpec(instances=3, rows=32, columns=32))
    uid = study_uid_of(paths)
    ae = AE(ae_title="PACS")
    ae.add_requested_context(MRImageStorage)
    assoc = ae.associate("127.0.0.1", listener.port, ae_title="SPINETRIAGE")
    for path in paths:
        assert int(assoc.send_c_store(path).Status) == 0
    wait_for(lambda: queued_tasks(redis) == [(ANALYZE_STUDY, [uid, 1])])
    assert assoc.is_established
    assoc.release()
    wait_for(lambda: redis.hget(keys.study(uid), "active_associations") == b"0")
    assert settled(redis)
    assert queued_tasks(redis) == [(ANALYZE_STUDY, [uid, 1])]
    assert (
        metric(listener.metrics_url, "spinetriage_studies_completed_total", trigger="quiet_period")
        == 1
    )
