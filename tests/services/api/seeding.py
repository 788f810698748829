"""Worklist states written the way the real processes write them: the listener's study index
puts a study on the worklist, the worker's store calls record its analysis."""

from __future__ import annotations

import io
import time

from PIL import Image
from redis import Redis

from spinetriage.study_index import InstanceRecord, StudyIndex
from spinetriage.triage import BilskyGrade, Finding, KeyImage, result_for
from spinetriage.worklist import AnalysisOutcome, WorklistStore

DISPATCH_LEASE_S = 30.0
# A study recorded with this quiet period stays "receiving" through any test.
STILL_RECEIVING_S = 3600.0


def epidural(
    grade: BilskyGrade, from_level: str = "C5", to_level: str = "T2", canal_pct: float = 60.0
) -> Finding:
    return Finding(
        type="epidural_mass",
        from_level=from_level,
        to_level=to_level,
        side="posterior",
        max_thickness_mm=7.0,
        craniocaudal_extent_mm=90.0,
        canal_compromise_pct=canal_pct,
        bilsky_grade=grade,
        confidence=0.9,
        series_instance_uid="1.2.3.9",
        key_image=KeyImage(series_instance_uid="1.2.3.9", slice_index=7, bbox=(10, 12, 30, 28)),
    )


def paraspinal() -> Finding:
    return Finding(
        type="paraspinal_mass",
        from_level="T4",
        to_level="T8",
        side="bilateral",
        max_thickness_mm=18.0,
        craniocaudal_extent_mm=110.0,
        confidence=0.8,
        series_instance_uid="1.2.3.9",
        key_image=KeyImage(series_instance_uid="1.2.3.9", slice_index=9, bbox=(5, 5, 40, 40)),
    )


def png(size: int = 16, shade: int = 128) -> bytes:
    """A real (small, grey) PNG."""
    out = io.BytesIO()
    Image.new("L", (size, size), shade).save(out, format="PNG")
    return out.getvalue()


class Seeder:
    """Studies put on the worklist through the real index and store, arrived minutes ago."""

    def __init__(self, redis: Redis) -> None:
        self.index = StudyIndex(redis, quiet_s=0.0, grace_s=0.0)
        self._receiving = StudyIndex(redis, quiet_s=STILL_RECEIVING_S, grace_s=0.0)
        self.store = WorklistStore(redis)

    def receiving(self, uid: str, minutes_ago: float, patient: str = "Doe^Jane") -> None:
        """A study whose instances are still arriving."""
        self._record(self._receiving, uid, minutes_ago, patient)

    def queued(self, uid: str, minutes_ago: float, patient: str = "Doe^Jane") -> int:
        """A complete study waiting for a worker: its version."""
        self._record(self.index, uid, minutes_ago, patient)
        ready = [
            r for r in self.index.claim_due(time.time(), DISPATCH_LEASE_S) if r.study_uid == uid
        ]
        return ready[0].version

    def _record(self, index: StudyIndex, uid: str, minutes_ago: float, patient: str) -> None:
        record = InstanceRecord(
            uid,
            f"{uid}.1",
            f"{uid}.1.1",
            "PACS",
            {
                "patient_name": patient,
                "patient_id": f"PID-{uid}",
                "accession_number": f"ACC-{uid}",
                "study_description": "MR SPINE WHOLE",
            },
            {"modality": "MR", "series_description": "SAG T2"},
        )
        index.record_instance(record, time.time() - minutes_ago * 60, True)

    def analysed(
        self, uid: str, minutes_ago: float, *findings: Finding, patient: str = "Doe^Jane"
    ) -> None:
        """A study analysed with these findings (none: routine), each with a key image."""
        version = self.queued(uid, minutes_ago, patient)
        assert self.store.begin_analysis(uid, version) == "analyse"
        result = result_for(uid, list(findings), [])
        images = {index: png(shade=40 + index) for index in range(len(findings))}
        assert self.store.record(AnalysisOutcome(uid, version, "done", result, key_images=images))

    def failed(self, uid: str, minutes_ago: float, reason: str) -> None:
        """A study the worker could not analyse, and why."""
        version = self.queued(uid, minutes_ago)
        assert self.store.begin_analysis(uid, version) == "analyse"
        assert self.store.record(AnalysisOutcome(uid, version, "failed", None, reason=reason))
