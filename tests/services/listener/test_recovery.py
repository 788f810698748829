"""A study whose index entries Redis lost is found in the spool and analysed anyway."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from redis import Redis

from spinetriage import keys
from spinetriage.sample_study import SeriesSpec, write_mr_series
from spinetriage.task_names import ANALYZE_STUDY, TRIAGE_QUEUE
from tests.conftest import ListenerProcess
from tests.support import queued_tasks, send, settled, study_uid_of, wait_for


def forget_study(redis: Redis, uid: str) -> None:
    """What a Redis crash that lost the study's last writes leaves behind."""
    redis.delete(
        keys.study(uid),
        keys.study_series(uid),
        keys.study_series_counts(uid),
        keys.study_instances(uid),
        TRIAGE_QUEUE,
    )
    redis.zrem(keys.STUDIES, uid)


def test_restarted_listener_indexes_and_completes_unindexed_spool(
    start_listener: Callable[..., ListenerProcess], redis: Redis, tmp_path: Path
) -> None:
    """After the index lost a stored study, the next listener start re-indexes its instances
    from the spool and sends it for analysis; studies the index knows are left alone."""
    spool = tmp_path / "spool"
    first = start_listener(spool_dir=spool)
    lost = write_mr_series(tmp_path / "lost", SeriesSpec(instances=4, rows=16, columns=16))
    kept = write_mr_series(tmp_path / "kept", SeriesSpec(instances=2, rows=16, columns=16))
    send(first, lost)
    send(first, kept)
    wait_for(lambda: len(queued_tasks(redis)) == 2 and settled(redis))
    first.process.terminate()
    first.process.wait(timeout=30)
    lost_uid, kept_uid = study_uid_of(lost), study_uid_of(kept)
    forget_study(redis, lost_uid)
    start_listener(spool_dir=spool)
    wait_for(lambda: queued_tasks(redis) == [(ANALYZE_STUDY, [lost_uid, 1])])
    wait_for(lambda: settled(redis))
    assert queued_tasks(redis) == [(ANALYZE_STUDY, [lost_uid, 1])]
    assert redis.hget(keys.study(lost_uid), "instances") == b"4"
    assert redis.hget(keys.study(lost_uid), "active_associations") == b"0"
    assert redis.hget(keys.study(kept_uid), "version") == b"1"
