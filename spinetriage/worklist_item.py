"""One study as the worklist shows it: the contract's item (DESIGN.md), built from the study's
hash in Redis, which the listener, the workers and the radiologists' actions each add to.

Times are stored as seconds since the epoch and served as ISO 8601 in UTC."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from spinetriage.triage import Finding, Priority, TriageResult

Status = Literal["receiving", "queued", "analyzing", "done", "failed", "not_applicable"]
STATUSES: tuple[Status, ...] = (
    "receiving",
    "queued",
    "analyzing",
    "done",
    "failed",
    "not_applicable",
)
OUTCOMES: tuple[Status, ...] = ("done", "failed", "not_applicable")
# The modalities a study is triaged for, in the order one names a mixed study by.
IMAGING_MODALITIES = ("MR", "CT")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Dismissal(_Model):
    """A radiologist's answer that the flag was wrong, with the reason; kept for good."""

    by: str
    reason: str
    at: datetime


class WorklistItem(_Model):
    study_instance_uid: str
    accession_number: str = ""
    patient_id: str = ""
    patient_name: str = ""
    study_description: str = ""
    modality: str = ""
    received_at: datetime
    analyzed_at: datetime | None = None
    status: Status
    priority: Priority
    suspected_compression: bool
    findings: tuple[Finding, ...] = ()
    summary: tuple[str, ...] = ()
    reason: str = ""
    instances: int = 0
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    read_by: str | None = None
    read_at: datetime | None = None
    dismissal: Dismissal | None = None


def item_from_hash(study: Mapping[str, str], modalities: list[str]) -> WorklistItem:
    """The item of one study from its decoded Redis hash and its series' modalities."""
    result = _result(study.get("result"))
    findings = result.findings if result is not None else ()
    return WorklistItem(
        study_instance_uid=study["study_instance_uid"],
        accession_number=study.get("accession_number", ""),
        patient_id=study.get("patient_id", ""),
        patient_name=_person_name(study.get("patient_name", "")),
        study_description=study.get("study_description", ""),
        modality=study_modality(modalities),
        received_at=_time(study["first_received_at"]),
        analyzed_at=_optional_time(study.get("analyzed_at")),
        status=_status(study.get("status", "receiving")),
        priority=result.priority if result is not None else "routine",
        suspected_compression=result.suspected_compression if result is not None else False,
        findings=findings,
        summary=tuple(finding.summary() for finding in findings),
        reason=study.get("reason", ""),
        instances=int(study.get("instances", 0)),
        claimed_by=study.get("claimed_by") or None,
        claimed_at=_optional_time(study.get("claimed_at")),
        read_by=study.get("read_by") or None,
        read_at=_optional_time(study.get("read_at")),
        dismissal=_dismissal(study),
    )


def study_modality(modalities: list[str]) -> str:
    """MR or CT for a triaged study (MR when it holds both); otherwise what its series are."""
    for modality in IMAGING_MODALITIES:
        if modality in modalities:
            return modality
    return "/".join(sorted(modalities))


def _result(raw: str | None) -> TriageResult | None:
    return TriageResult.model_validate_json(raw) if raw else None


def _dismissal(study: Mapping[str, str]) -> Dismissal | None:
    if not study.get("dismissed_at"):
        return None
    return Dismissal(
        by=study.get("dismissed_by", ""),
        reason=study.get("dismissal_reason", ""),
        at=_time(study["dismissed_at"]),
    )


def _status(value: str) -> Status:
    if value not in STATUSES:
        raise ValueError(f"unknown study status {value!r}")
    return value


def _person_name(value: str) -> str:
    """DICOM's ``Family^Given^Middle`` as a person reads it: "Family, Given Middle"."""
    family, _, rest = value.partition("^")
    given = " ".join(part for part in rest.split("^")[:2] if part)
    return f"{family}, {given}" if family and given else family or given


def _time(seconds: str) -> datetime:
    return datetime.fromtimestamp(float(seconds), tz=UTC)


def _optional_time(seconds: str | None) -> datetime | None:
    return _time(seconds) if seconds else None


def event_message(study_uid: str, change: str) -> str:
    """The JSON published on the event channel: which study changed and how (a new status or a
    radiologist's action), never patient data."""
    return json.dumps({"study_instance_uid": study_uid, "change": change})
