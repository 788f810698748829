"""Studies put where a worker finds them, as the listener would: files in the spool's layout,
each instance in the study index, the completed study claimed (a version) and its task sent by
name."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from pydicom import dcmread
from redis import Redis

from services.listener.dispatch import CeleryPublisher
from spinetriage.spool_layout import instance_path
from spinetriage.study_index import InstanceRecord, ReadyStudy, StudyIndex
from spinetriage.worklist import WorklistStore

CLAIM_LEASE_S = 30.0


def record_of(path: Path) -> InstanceRecord:
    """What the listener would index of one file (its header)."""
    header = dcmread(path, stop_before_pixels=True)
    return InstanceRecord(
        study_uid=str(header.StudyInstanceUID),
        series_uid=str(header.SeriesInstanceUID),
        sop_uid=str(header.SOPInstanceUID),
        calling_ae="PACS",
        study_fields={
            "patient_name": str(header.get("PatientName", "")),
            "patient_id": str(header.get("PatientID", "")),
            "study_description": str(header.get("StudyDescription", "")),
        },
        series_fields={
            "modality": str(header.get("Modality", "")),
            "description": str(header.get("SeriesDescription", "")),
        },
    )


def spool_files(files: Iterable[Path], spool: Path) -> list[InstanceRecord]:
    """Copy the files into the spool's layout; their index records."""
    records = []
    for path in files:
        record = record_of(path)
        target = instance_path(spool, record.study_uid, record.series_uid, record.sop_uid)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        records.append(record)
    return records


def complete(redis: Redis, records: list[InstanceRecord]) -> ReadyStudy:
    """Index the instances and claim the study as complete: its next version."""
    index = StudyIndex(redis, quiet_s=0.0, grace_s=0.0)
    now = time.time()
    for number, record in enumerate(records):
        index.record_instance(record, now, first_in_association=number == 0)
    (ready,) = index.claim_due(now + 1.0, CLAIM_LEASE_S)
    return ready


def send_task(redis_url: str, ready: ReadyStudy) -> None:
    """The analysis task by name, exactly as the listener sends it."""
    publisher = CeleryPublisher(redis_url)
    try:
        publisher.send_analysis(ready)
    finally:
        publisher.close()


def analysing(store: WorklistStore, study_uid: str) -> bool:
    """Whether a worker is analysing the study now."""
    item = store.item(study_uid)
    return item is not None and item.status == "analyzing"
