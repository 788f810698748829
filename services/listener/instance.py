"""Read what the index needs from a received instance's header, without touching pixel data."""

from __future__ import annotations

import re
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset

from spinetriage.study_index import InstanceRecord

# PS3.5 9.1: digits and dots, no leading zeros in a component, at most 64 characters. Checking
# this also keeps a hostile UID from naming a path outside the spool.
_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
UID_MAX_CHARS = 64

_STUDY_TAGS = {
    "PatientID": "patient_id",
    "PatientName": "patient_name",
    "AccessionNumber": "accession_number",
    "StudyDescription": "study_description",
    "StudyDate": "study_date",
    "StudyTime": "study_time",
    "StudyID": "study_id",
    "BodyPartExamined": "body_part",
}
_SERIES_TAGS = {
    "Modality": "modality",
    "SeriesDescription": "description",
    "SeriesNumber": "number",
    "BodyPartExamined": "body_part",
    "SOPClassUID": "sop_class_uid",
}
_UID_TAGS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
_READ_TAGS = [*_UID_TAGS, *_STUDY_TAGS, *_SERIES_TAGS]


class UndecodableInstanceError(Exception):
    """The dataset could not be parsed."""


class BadUidsError(Exception):
    """A required UID is missing, malformed, or differs from the C-STORE request."""


def is_valid_uid(value: str) -> bool:
    return 0 < len(value) <= UID_MAX_CHARS and _UID.match(value) is not None


def read_instance(path: Path, expected_sop_uid: str, calling_ae: str) -> InstanceRecord:
    """Parse a spooled Part 10 file's header into an index record."""
    ds = _read_header(path)
    study_uid, series_uid, sop_uid = (_uid(ds, keyword) for keyword in _UID_TAGS)
    if sop_uid != expected_sop_uid:
        raise BadUidsError("SOP Instance UID differs from the C-STORE request")
    return InstanceRecord(
        study_uid=study_uid,
        series_uid=series_uid,
        sop_uid=sop_uid,
        calling_ae=calling_ae,
        study_fields=_text_fields(ds, _STUDY_TAGS),
        series_fields=_text_fields(ds, _SERIES_TAGS),
    )


def _read_header(path: Path) -> Dataset:
    try:
        ds = dcmread(path, stop_before_pixels=True, specific_tags=_READ_TAGS)
        # Elements are converted lazily; convert now so a corrupt one fails here, not later.
        for keyword in _READ_TAGS:
            ds.get(keyword)
    except Exception as exc:
        raise UndecodableInstanceError(type(exc).__name__) from exc
    return ds


def _uid(ds: Dataset, keyword: str) -> str:
    value = str(ds.get(keyword, "") or "").strip()
    if not value:
        raise BadUidsError(f"{keyword} missing")
    if not is_valid_uid(value):
        raise BadUidsError(f"{keyword} is not a valid UID")
    return value


def _text_fields(ds: Dataset, tags: dict[str, str]) -> dict[str, str]:
    fields = {}
    for keyword, name in tags.items():
        value = ds.get(keyword)
        if value is not None and str(value) != "":
            fields[name] = str(value)
    return fields
