"""Read what the index needs from a received instance's header, without touching pixel data."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from pydicom.charset import convert_encodings
from pydicom.dataelem import RawDataElement, convert_raw_data_element
from pydicom.filereader import data_element_generator
from pydicom.tag import BaseTag, Tag
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian

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
_READ_TAGS = [*_UID_TAGS, *_STUDY_TAGS, *_SERIES_TAGS, "SpecificCharacterSet"]
_WANTED = frozenset(Tag(keyword) for keyword in _READ_TAGS)
_LAST_WANTED = max(_WANTED)
# A Part 10 file: 128-byte preamble, "DICM", then the file meta group (always explicit VR LE).
_META_OFFSET = 132
_META_GROUP = 0x0002
_TRANSFER_SYNTAX_TAG = 0x00020010
_CHARSET_TAG = Tag("SpecificCharacterSet")


class UndecodableInstanceError(Exception):
    """The dataset could not be parsed."""


class BadUidsError(Exception):
    """A required UID is missing, malformed, or differs from the C-STORE request."""


def is_valid_uid(value: str) -> bool:
    return 0 < len(value) <= UID_MAX_CHARS and _UID.match(value) is not None


def read_instance(path: Path, expected_sop_uid: str, calling_ae: str) -> InstanceRecord:
    """Parse a spooled Part 10 file's header into an index record."""
    header = _read_header(path)
    study_uid, series_uid, sop_uid = (_uid(header, keyword) for keyword in _UID_TAGS)
    if sop_uid != expected_sop_uid:
        raise BadUidsError("SOP Instance UID differs from the C-STORE request")
    return InstanceRecord(
        study_uid=study_uid,
        series_uid=series_uid,
        sop_uid=sop_uid,
        calling_ae=calling_ae,
        study_fields=_text_fields(header, _STUDY_TAGS),
        series_fields=_text_fields(header, _SERIES_TAGS),
    )


def _read_header(path: Path) -> dict[str, Any]:
    """The few elements the index needs, by keyword, decoded in the dataset's character set.

    Reads raw elements only up to the last wanted tag and converts only the wanted ones: a
    fraction of the cost of a ``dcmread`` on the listener's hot path."""
    try:
        with path.open("rb") as fp:
            raws = dict(_wanted_elements(fp))
        charset_raw = raws.pop(_CHARSET_TAG, None)
        charset = convert_encodings(
            convert_raw_data_element(charset_raw).value if charset_raw else None
        )
        elements = (convert_raw_data_element(raw, encoding=charset) for raw in raws.values())
        return {element.keyword: element.value for element in elements}
    except Exception as exc:  # untrusted bytes: any parse failure means "cannot understand"
        raise UndecodableInstanceError(type(exc).__name__) from exc


def _wanted_elements(fp: BinaryIO) -> Iterator[tuple[BaseTag, RawDataElement]]:
    fp.seek(_META_OFFSET)
    meta = {
        int(raw.tag): raw.value
        for raw in data_element_generator(
            fp, False, True, stop_when=lambda tag, _vr, _length: tag.group != _META_GROUP
        )
    }
    transfer_syntax = bytes(meta[_TRANSFER_SYNTAX_TAG] or b"").decode().strip("\0 ")
    body: BinaryIO = fp
    if transfer_syntax == DeflatedExplicitVRLittleEndian:
        body = BytesIO(zlib.decompress(fp.read(), -zlib.MAX_WBITS))
    elements = data_element_generator(
        body,
        transfer_syntax == ImplicitVRLittleEndian,
        transfer_syntax != ExplicitVRBigEndian,
        stop_when=lambda tag, _vr, _length: tag > _LAST_WANTED,
    )
    return (
        (raw.tag, raw) for raw in elements if isinstance(raw, RawDataElement) and raw.tag in _WANTED
    )


def _uid(header: dict[str, Any], keyword: str) -> str:
    value = str(header.get(keyword) or "").strip()
    if not value:
        raise BadUidsError(f"{keyword} missing")
    if not is_valid_uid(value):
        raise BadUidsError(f"{keyword} is not a valid UID")
    return value


def _text_fields(header: dict[str, Any], tags: dict[str, str]) -> dict[str, str]:
    fields = {}
    for keyword, name in tags.items():
        value = header.get(keyword)
        if value is not None and str(value) != "":
            fields[name] = str(value)
    return fields
