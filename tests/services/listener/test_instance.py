"""Reading what the index needs from a received file's header."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom import dcmread, dcmwrite
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from services.listener.instance import (
    BadUidsError,
    UndecodableInstanceError,
    read_instance,
)
from spinetriage.sample_study import SeriesSpec, write_mr_series


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    (path,) = write_mr_series(tmp_path / "s", SeriesSpec(instances=1, rows=8, columns=8))
    return path


def rewrite(source: Path, target: Path, transfer_syntax: str, **changes: object) -> Path:
    ds = dcmread(source)
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    # Converting to big endian needs dcmwrite with the encoding spelled out.
    dcmwrite(
        target,
        ds,
        implicit_vr=transfer_syntax == ImplicitVRLittleEndian,
        little_endian=transfer_syntax != ExplicitVRBigEndian,
        enforce_file_format=True,
    )
    return target


@pytest.mark.parametrize(
    "transfer_syntax",
    [
        ImplicitVRLittleEndian,
        ExplicitVRLittleEndian,
        ExplicitVRBigEndian,
        DeflatedExplicitVRLittleEndian,
    ],
)
def test_reads_uids_and_fields_in_every_uncompressed_encoding(
    sample: Path, tmp_path: Path, transfer_syntax: str
) -> None:
    """UIDs, study and series fields come out the same whatever the dataset's encoding."""
    path = rewrite(sample, tmp_path / "x.dcm", transfer_syntax)
    sent = dcmread(path)
    record = read_instance(path, sent.SOPInstanceUID, "PACS")
    assert (record.study_uid, record.series_uid) == (sent.StudyInstanceUID, sent.SeriesInstanceUID)
    assert record.study_fields["patient_name"] == "SYNTHETIC^SPINE"
    assert record.study_fields["accession_number"] == "SYNACC1"
    assert record.series_fields == {
        "modality": "MR",
        "description": "SAG T2",
        "number": "1",
        "body_part": "SPINE",
        "sop_class_uid": "1.2.840.10008.5.1.4.1.1.4",
    }


@pytest.mark.parametrize(
    ("charset", "name"),
    [("ISO_IR 192", "Müller^Zoë"), ("ISO_IR 100", "Søren^Åse"), ("ISO_IR 144", "Иванов^Петр")],
)
def test_text_is_decoded_in_the_dataset_character_set(
    sample: Path, tmp_path: Path, charset: str, name: str
) -> None:
    """Patient names are decoded with the Specific Character Set the sender declared."""
    path = rewrite(
        sample,
        tmp_path / "x.dcm",
        ExplicitVRLittleEndian,
        SpecificCharacterSet=charset,
        PatientName=name,
        StudyDescription="IRM rachis",
    )
    record = read_instance(path, dcmread(path).SOPInstanceUID, "PACS")
    assert record.study_fields["patient_name"] == name


def test_sop_uid_differing_from_the_request_is_refused(sample: Path) -> None:
    """A dataset whose SOP Instance UID is not the one the C-STORE request announced is refused."""
    with pytest.raises(BadUidsError, match="differs"):
        read_instance(sample, "1.2.3.4", "PACS")


def test_truncated_meta_is_undecodable(sample: Path, tmp_path: Path) -> None:
    """A file cut off inside its meta group cannot be understood."""
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(sample.read_bytes()[:150])
    with pytest.raises(UndecodableInstanceError):
        read_instance(cut, "1.2.3", "PACS")
