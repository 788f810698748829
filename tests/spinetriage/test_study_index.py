"""The study index and completion state, against a real Redis."""

from __future__ import annotations

import threading

from redis import Redis

from spinetriage import keys
from spinetriage.study_index import (
    TRIGGER_ASSOCIATION_END,
    TRIGGER_QUIET,
    InstanceRecord,
    ReadyStudy,
    StudyIndex,
    StudyTimes,
    study_times,
)

QUIET_S = 5.0
GRACE_S = 1.0
LEASE_S = 30.0


def record(sop: str, series: str = "1.2.3.1", study: str = "1.2.3") -> InstanceRecord:
    return InstanceRecord(
        study_uid=study,
        series_uid=series,
        sop_uid=sop,
        calling_ae="PACS",
        study_fields={"patient_id": "P1", "study_description": "MR SPINE"},
        series_fields={"modality": "MR", "description": "SAG T2"},
    )


def make_index(redis: Redis) -> StudyIndex:
    return StudyIndex(redis, quiet_s=QUIET_S, grace_s=GRACE_S)


def test_instances_are_counted_once_per_sop_and_series(redis: Redis) -> None:
    """A resent SOP instance is not counted again; series keep their own counts and details."""
    index = make_index(redis)
    assert index.record_instance(record("1.2.3.1.1"), 100.0, first_in_association=True)
    assert index.record_instance(record("1.2.3.1.2"), 101.0, first_in_association=False)
    assert not index.record_instance(record("1.2.3.1.2"), 102.0, first_in_association=False)
    assert index.record_instance(record("1.2.3.2.1", series="1.2.3.2"), 103.0, False)
    study = index.study("1.2.3")
    assert study["instances"] == "3"
    assert study["first_received_at"] == "100.0"
    assert study["last_received_at"] == "103.0"
    assert study["calling_ae"] == "PACS"
    assert study["modalities"] == ["MR"]
    assert study["series"]["1.2.3.1"] == {"modality": "MR", "description": "SAG T2", "instances": 2}
    assert study["series"]["1.2.3.2"]["instances"] == 1


def test_nothing_is_due_before_the_quiet_period(redis: Redis) -> None:
    """A study is claimed only once its quiet period has passed, and then with version 1 and
    the times its first and last instances arrived."""
    index = make_index(redis)
    index.record_instance(record("1.2.3.1.1"), 100.0, first_in_association=True)
    index.record_instance(record("1.2.3.1.2"), 100.5, first_in_association=False)
    assert index.claim_due(100.5 + QUIET_S - 0.1, LEASE_S) == []
    assert index.claim_due(100.5 + QUIET_S, LEASE_S) == [
        ReadyStudy("1.2.3", 1, TRIGGER_QUIET, first_received_at=100.0, last_received_at=100.5)
    ]
    assert index.claim_due(200.0, LEASE_S) == []


def test_association_end_shortens_to_grace_only_when_no_other_is_open(redis: Redis) -> None:
    """While a second association still carries the study its first one's end changes nothing;
    when the last one ends, the study is due after the grace period."""
    index = make_index(redis)
    index.record_instance(record("1.2.3.1.1"), 100.0, first_in_association=True)
    index.record_instance(record("1.2.3.1.2"), 100.5, first_in_association=True)
    index.association_ended("1.2.3", 101.0)
    assert index.claim_due(101.0 + GRACE_S, LEASE_S) == []
    index.association_ended("1.2.3", 102.0)
    assert index.claim_due(102.0 + GRACE_S, LEASE_S) == [
        ReadyStudy("1.2.3", 1, TRIGGER_ASSOCIATION_END, 100.0, 100.5)
    ]


def test_concurrent_claimers_take_each_study_once(redis: Redis) -> None:
    """Eight replicas claiming at the same moment share out the due studies without overlap."""
    index = make_index(redis)
    for n in range(50):
        index.record_instance(record("1.2.9.1", study=f"1.2.{n}"), 100.0, True)
    claimed: list[ReadyStudy] = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        claimed.extend(make_index(redis).claim_due(200.0, LEASE_S, limit=10))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(study.study_uid for study in claimed) == sorted(f"1.2.{n}" for n in range(50))


def test_unsent_claims_come_back_after_their_lease(redis: Redis) -> None:
    """A claim never confirmed sent is handed out again once its lease runs out; a confirmed
    one is not."""
    index = make_index(redis)
    index.record_instance(record("1.2.3.1.1"), 100.0, True)
    index.record_instance(record("1.2.4.1.1", study="1.2.4"), 100.0, True)
    first, second = index.claim_due(200.0, LEASE_S)
    index.dispatched(first)
    assert index.reclaim_expired(200.0 + LEASE_S - 1, LEASE_S) == []
    again = index.reclaim_expired(200.0 + LEASE_S, LEASE_S)
    assert again == [ReadyStudy(second.study_uid, second.version, "")]
    assert redis.zcard(keys.COMPLETION_OUTBOX) == 1


def test_new_instances_after_completion_make_a_new_version(redis: Redis) -> None:
    """An instance arriving after a study was claimed makes it due again as version 2."""
    index = make_index(redis)
    index.record_instance(record("1.2.3.1.1"), 100.0, True)
    (first,) = index.claim_due(200.0, LEASE_S)
    index.dispatched(first)
    index.record_instance(record("1.2.3.1.2"), 300.0, True)
    assert index.claim_due(300.0 + QUIET_S, LEASE_S) == [
        ReadyStudy("1.2.3", 2, TRIGGER_QUIET, 100.0, 300.0)
    ]


def test_later_instances_of_an_association_only_count(redis: Redis) -> None:
    """Instances after the first of a study and series in one association add to the counts and
    times without rewriting the study's or the series' description."""
    index = make_index(redis)
    index.record_instance(record("1.2.3.1.1"), 100.0, first_in_association=True)
    later = InstanceRecord(
        study_uid="1.2.3",
        series_uid="1.2.3.1",
        sop_uid="1.2.3.1.2",
        calling_ae="OTHER",
        study_fields={"study_description": "CHANGED"},
        series_fields={"description": "CHANGED"},
    )
    index.record_instance(later, 101.0, first_in_association=False, describe_series=False)
    study = index.study("1.2.3")
    assert (study["study_description"], study["calling_ae"]) == ("MR SPINE", "PACS")
    assert study["series"]["1.2.3.1"]["description"] == "SAG T2"
    assert (study["instances"], study["last_received_at"]) == ("2", "101.0")


def test_study_times_are_the_last_arrival_and_the_latest_completion(redis: Redis) -> None:
    """``study_times`` reads when the last instance arrived and when the study was last
    claimed complete; a study the index does not hold has neither."""
    index = make_index(redis)
    index.record_instance(record("1.2.3.1.1"), 100.0, True)
    index.record_instance(record("1.2.3.1.2"), 104.0, True)
    index.claim_due(110.0, LEASE_S)
    assert study_times(redis, "1.2.3") == StudyTimes(last_received_at=104.0, completed_at=110.0)
    assert study_times(redis, "9.9.9") == StudyTimes(None, None)
