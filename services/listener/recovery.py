"""Start-up recovery: index instances that are in the spool but not in the study index.

Redis with an append-only file synced every second can lose its last second of writes in a
crash. The instances themselves are safe in the spool, but a study the index does not know is
never completed and never analysed. At start-up each listener re-reads what the index lacks and
completes those studies as if an association had just carried them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from redis.exceptions import RedisError

from services.listener.instance import BadUidsError, UndecodableInstanceError, read_instance
from services.listener.spool import Spool
from spinetriage.logs import get_logger
from spinetriage.study_index import StudyIndex

log = get_logger(__name__)


def recover_unindexed(
    spool: Spool, index: StudyIndex, clock: Callable[[], float] = time.time
) -> int:
    """Index every spooled instance the index does not hold; returns how many there were."""
    recovered = 0
    try:
        for study_dir in spool.study_dirs():
            known = index.known_instances(study_dir.name)
            missing = sorted(p for p in study_dir.glob("*/*.dcm") if p.stem not in known)
            if missing:
                recovered += _reindex(study_dir.name, missing, index, clock)
    except RedisError as exc:
        # What was not recovered now is on the next start; new arrivals are unaffected.
        log.error("spool_recovery_interrupted", error=type(exc).__name__, instances=recovered)
    if recovered:
        log.warning("spool_instances_recovered", instances=recovered)
    return recovered


def _reindex(
    study_uid: str, paths: list[Path], index: StudyIndex, clock: Callable[[], float]
) -> int:
    indexed = 0
    for path in paths:
        try:
            record = read_instance(path, path.stem, calling_ae="")
        except (UndecodableInstanceError, BadUidsError) as exc:
            log.error("spool_instance_unreadable", study=study_uid, error=str(exc))
            continue
        index.record_instance(record, clock(), first_in_association=indexed == 0)
        indexed += 1
    if indexed:
        # Complete it like an association that carried these instances and has ended.
        index.association_ended(study_uid, clock())
    return indexed
