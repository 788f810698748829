"""The worklist store against a real Redis: order, versioned outcomes, radiologists' actions,
the lock, and the events every change publishes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from redis import Redis
from redis.client import PubSub

from spinetriage import keys
from spinetriage.study_index import InstanceRecord, StudyIndex
from spinetriage.triage import Finding, KeyImage, TriageResult, result_for
from spinetriage.worklist import (
    AnalysisOutcome,
    ClaimedByOtherError,
    NothingToDismissError,
    StudyNotFoundError,
    WorklistStore,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(redis: Redis, clock: Clock) -> WorklistStore:
    return WorklistStore(redis, clock=clock)


@pytest.fixture
def index(redis: Redis) -> StudyIndex:
    return StudyIndex(redis, quiet_s=0.0, grace_s=0.0)


@pytest.fixture
def events(redis: Redis) -> Iterator[PubSub]:
    pubsub = redis.pubsub()
    pubsub.subscribe(keys.EVENTS)
    confirmation = pubsub.get_message(timeout=5)
    assert confirmation is not None
    assert confirmation["type"] == "subscribe"
    yield pubsub
    pubsub.close()


def arrive(index: StudyIndex, uid: str, at: float) -> int:
    """One instance of study ``uid`` received at ``at`` and the study completed: its version."""
    record = InstanceRecord(
        uid, f"{uid}.1", f"{uid}.1.1", "PACS", {"patient_name": "Doe^Jane"}, {"modality": "MR"}
    )
    index.record_instance(record, at, first_in_association=True)
    (ready,) = index.claim_due(at + 1, lease_s=30)
    return ready.version


def epidural(grade: str) -> Finding:
    return Finding(
        type="epidural_mass",
        from_level="C5",
        to_level="T2",
        side="posterior",
        max_thickness_mm=6.5,
        craniocaudal_extent_mm=80.0,
        canal_compromise_pct=60.0,
        bilsky_grade=grade,  # type: ignore[arg-type]
        confidence=0.9,
        series_instance_uid="1.9",
        key_image=KeyImage(series_instance_uid="1.9", slice_index=7, bbox=(1, 2, 3, 4)),
    )


def result(uid: str, *findings: Finding) -> TriageResult:
    return result_for(uid, list(findings), [])


def done(uid: str, version: int, *findings: Finding) -> AnalysisOutcome:
    return AnalysisOutcome(uid, version, "done", result(uid, *findings), key_images={0: b"png"})


def published(events: PubSub) -> list[dict[str, str]]:
    messages = []
    while (message := events.get_message(timeout=0.2)) is not None:
        messages.append(json.loads(message["data"]))
    return messages


def test_order_is_priority_then_oldest_first(store: WorklistStore, index: StudyIndex) -> None:
    """Critical before urgent before routine; within a priority the oldest study first."""
    versions = {uid: arrive(index, uid, at) for uid, at in (("1", 10.0), ("2", 20.0), ("3", 30.0))}
    versions["4"] = arrive(index, "4", 40.0)
    store.record(done("2", versions["2"], epidural("1c")))
    store.record(done("3", versions["3"], epidural("3")))
    store.record(done("4", versions["4"], epidural("2")))
    order = [(item.study_instance_uid, item.priority) for item in store.items()]
    assert order == [("3", "critical"), ("4", "critical"), ("2", "urgent"), ("1", "routine")]


def test_a_new_study_is_receiving_then_queued_and_published(
    store: WorklistStore, index: StudyIndex, events: PubSub
) -> None:
    """The listener's index puts a study on the worklist as it arrives and when it is complete,
    and says so on the event channel."""
    arrive(index, "1", 10.0)
    item = store.item_or_raise("1")
    assert (item.status, item.priority, item.patient_name, item.modality) == (
        "queued",
        "routine",
        "Doe, Jane",
        "MR",
    )
    assert [event["change"] for event in published(events)] == ["receiving", "queued"]


def test_outcomes_are_recorded_once_per_version(store: WorklistStore, index: StudyIndex) -> None:
    """An outcome is recorded for the study's current version once: a repeat and a stale
    version change nothing, and a repeated task finds the version recorded."""
    version = arrive(index, "1", 10.0)
    assert store.begin_analysis("1", version) == "analyse"
    assert store.item_or_raise("1").status == "analyzing"
    assert store.record(done("1", version, epidural("2")))
    first = store.item_or_raise("1")
    assert not store.record(done("1", version))
    assert not store.record(done("1", version - 1))
    assert store.item_or_raise("1") == first
    assert first.status == "done"
    assert first.summary == ("Epidural mass C5\u2013T2, Bilsky 2, canal 60% compromised",)
    assert store.begin_analysis("1", version) == "recorded"
    assert store.begin_analysis("1", version + 1) == "stale"
    assert store.begin_analysis("unknown", 1) == "unknown"
    assert store.key_image("1", 0) == b"png"


def test_a_study_that_cannot_be_analysed_keeps_its_place_with_the_reason(
    store: WorklistStore, index: StudyIndex
) -> None:
    """A failed or not applicable study stays on the worklist, routine, saying why."""
    version = arrive(index, "1", 10.0)
    store.record(AnalysisOutcome("1", version, "not_applicable", None, reason="no spine series"))
    item = store.item_or_raise("1")
    assert (item.status, item.priority, item.reason) == (
        "not_applicable",
        "routine",
        "no spine series",
    )
    assert [i.study_instance_uid for i in store.items()] == ["1"]


def test_instances_after_completion_make_the_study_receiving_again(
    store: WorklistStore, index: StudyIndex
) -> None:
    """A late instance reopens the study: the outcome of the version before is kept until the
    new version is analysed, and the study keeps its priority meanwhile."""
    version = arrive(index, "1", 10.0)
    store.record(done("1", version, epidural("3")))
    assert arrive(index, "1", 50.0) == version + 1
    item = store.item_or_raise("1")
    assert (item.status, item.priority) == ("queued", "critical")


def test_claim_release_and_read(store: WorklistStore, index: StudyIndex, events: PubSub) -> None:
    """One radiologist at a time holds a study; only the holder releases it; reading it ends
    the claim; each action is published."""
    arrive(index, "1", 10.0)
    published(events)
    assert store.claim("1", "dr.a").claimed_by == "dr.a"
    assert store.claim("1", "dr.a").claimed_by == "dr.a"
    with pytest.raises(ClaimedByOtherError, match=r"dr\.a"):
        store.claim("1", "dr.b")
    with pytest.raises(ClaimedByOtherError):
        store.release("1", "dr.b")
    assert store.release("1", "dr.a").claimed_by is None
    store.claim("1", "dr.b")
    item = store.mark_read("1", "dr.b")
    assert (item.read_by, item.claimed_by) == ("dr.b", None)
    changes = [event["change"] for event in published(events)]
    assert changes == ["claimed", "claimed", "released", "claimed", "read"]
    with pytest.raises(StudyNotFoundError):
        store.claim("nope", "dr.a")


def test_a_dismissed_flag_drops_to_routine_and_is_kept(
    store: WorklistStore, index: StudyIndex, clock: Clock
) -> None:
    """Dismissing a flag moves the study among the routine ones and keeps who, why and what
    was dismissed; a study without a finding has nothing to dismiss."""
    v1, v2 = arrive(index, "1", 10.0), arrive(index, "2", 20.0)
    store.record(done("1", v1, epidural("2")))
    store.record(done("2", v2))
    with pytest.raises(NothingToDismissError):
        store.dismiss("2", "dr.a", "nothing there")
    item = store.dismiss("1", "dr.a", "flow artefact")
    assert item.dismissal is not None
    assert (item.dismissal.by, item.dismissal.reason) == ("dr.a", "flow artefact")
    assert [i.study_instance_uid for i in store.items()] == ["1", "2"]  # both routine, 1 older
    (kept,) = store.dismissals("1")
    assert (kept["reason"], kept["priority"], len(kept["findings"])) == (
        "flow artefact",
        "critical",
        1,
    )


def test_the_lock_admits_one_holder(store: WorklistStore) -> None:
    """A second taker is refused while the lock is held; a stale token cannot release it."""
    token = store.lock("1", ttl_s=30)
    assert token is not None
    assert store.lock("1", ttl_s=30) is None
    store.unlock("1", "not-the-token")
    assert store.lock("1", ttl_s=30) is None
    store.unlock("1", token)
    assert store.lock("1", ttl_s=30) is not None


def test_analyses_begun_and_never_finished_are_counted_per_version(store: WorklistStore) -> None:
    """Each begun analysis counts until it ends; what is left counted is the analyses whose
    process died, per study version."""
    assert store.begin_attempt("1", 1) == 0
    store.end_attempt("1", 1)
    assert store.begin_attempt("1", 1) == 0
    assert store.begin_attempt("1", 1) == 1  # the one before never ended
    assert store.begin_attempt("1", 2) == 0


def test_reading_or_dismissing_a_study_another_holds_is_refused(
    store: WorklistStore, index: StudyIndex
) -> None:
    """A study claimed by one radiologist cannot be marked read or have its flag dismissed by
    another; the store refuses it, so two requests at once cannot both get through."""
    store.record(done("1", arrive(index, "1", 10.0), epidural("2")))
    store.claim("1", "dr.a")
    with pytest.raises(ClaimedByOtherError, match=r"dr\.a"):
        store.mark_read("1", "dr.b")
    with pytest.raises(ClaimedByOtherError, match=r"dr\.a"):
        store.dismiss("1", "dr.b", "no mass")
    item = store.item_or_raise("1")
    assert (item.read_by, item.dismissal, item.claimed_by) == (None, None, "dr.a")
    with pytest.raises(StudyNotFoundError):
        store.mark_read("nope", "dr.a")
