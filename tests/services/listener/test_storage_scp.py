"""The listener as a Storage SCP, driven by a real pynetdicom SCU over loopback."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import FileMetaDataset
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, MRImageStorage
from pynetdicom import AE, _config
from pynetdicom.association import Association
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from redis import Redis

from spinetriage.sample_study import SeriesSpec, new_uid, write_mr_series
from spinetriage.study_index import StudyIndex
from tests.conftest import ListenerProcess
from tests.support import metric

SMALL = SeriesSpec(instances=4, rows=32, columns=32)
CANNOT_UNDERSTAND = 0xC210
CANNOT_UNDERSTAND_UIDS = 0xC212
OUT_OF_RESOURCES = 0xA700


@contextmanager
def associate(listener: ListenerProcess, calling_ae: str = "PACS") -> Iterator[Association]:
    ae = AE(ae_title=calling_ae)
    ae.add_requested_context(Verification)
    ae.add_requested_context(MRImageStorage, [ExplicitVRLittleEndian])
    ae.add_requested_context(MRImageStorage, [DeflatedExplicitVRLittleEndian])
    assoc = ae.associate("127.0.0.1", listener.port, ae_title="SPINETRIAGE")
    assert assoc.is_established
    try:
        yield assoc
    finally:
        assoc.release()


def store(assoc: Association, path: Path) -> int:
    return int(assoc.send_c_store(path).Status)


@pytest.fixture
def series(tmp_path: Path) -> list[Path]:
    return write_mr_series(tmp_path / "series", SMALL)


def test_echo_succeeds(start_listener: Callable[..., ListenerProcess]) -> None:
    """A C-ECHO is answered with success."""
    listener = start_listener()
    with associate(listener) as assoc:
        assert int(assoc.send_c_echo().Status) == 0


def test_instances_land_in_spool_as_valid_part10(
    start_listener: Callable[..., ListenerProcess], series: list[Path]
) -> None:
    """Each instance is answered only once it sits at spool/<study>/<series>/<sop>.dcm, byte for
    byte the dataset that was sent, with nothing left in the incoming directory."""
    listener = start_listener()
    with associate(listener) as assoc:
        assert [store(assoc, path) for path in series] == [0] * len(series)
    for path in series:
        sent = dcmread(path)
        stored_path = (
            listener.spool / sent.StudyInstanceUID / sent.SeriesInstanceUID
            / f"{sent.SOPInstanceUID}.dcm"
        )  # fmt: skip
        stored = dcmread(stored_path)
        assert stored.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
        assert stored.file_meta.MediaStorageSOPInstanceUID == sent.SOPInstanceUID
        assert stored.PixelData == sent.PixelData
    assert not [p for p in (listener.spool / ".incoming").rglob("*") if p.is_file()]


def test_resend_replaces_instead_of_duplicating(
    start_listener: Callable[..., ListenerProcess], series: list[Path], redis: Redis
) -> None:
    """Sending the same SOP instances again keeps one file and one index entry each."""
    listener = start_listener()
    for _ in range(2):
        with associate(listener) as assoc:
            assert [store(assoc, path) for path in series] == [0] * len(series)
    assert len(listener.spooled_files()) == len(series)
    study = StudyIndex(redis, quiet_s=1, grace_s=1).study(dcmread(series[0]).StudyInstanceUID)
    assert study["instances"] == str(len(series))
    assert [s["instances"] for s in study["series"].values()] == [len(series)]
    url = listener.metrics_url
    assert metric(url, "spinetriage_dicom_instances_total", outcome="stored") == len(series)
    assert metric(url, "spinetriage_dicom_instances_total", outcome="replaced") == len(series)


def _write_raw(path: Path, transfer_syntax: str, sop_uid: str, body: bytes) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = transfer_syntax
    with path.open("wb") as out:
        out.write(b"\0" * 128 + b"DICM")
        write_file_meta_info(out, meta)
        out.write(body)
    return path


def _without_series_uid(source: Path, target: Path) -> Path:
    ds = dcmread(source)
    del ds.SeriesInstanceUID
    ds.save_as(target, enforce_file_format=True)
    return target


def test_bad_instances_fail_alone_and_the_association_carries_on(
    start_listener: Callable[..., ListenerProcess],
    series: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An undecodable dataset and one without a Series UID get cannot-understand statuses,
    leave nothing behind, and the instances around them in the same association are stored."""
    # Send files as raw bytes, so the SCU does not try to decode the broken one itself.
    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)
    garbage = _write_raw(
        tmp_path / "garbage.dcm", DeflatedExplicitVRLittleEndian, new_uid(), b"\x01not-deflate" * 50
    )
    no_series = _without_series_uid(series[0], tmp_path / "no_series.dcm")
    listener = start_listener()
    with associate(listener) as assoc:
        statuses = [
            store(assoc, series[1]),
            store(assoc, garbage),
            store(assoc, series[2]),
            store(assoc, no_series),
            store(assoc, series[3]),
        ]
    assert statuses == [0, CANNOT_UNDERSTAND, 0, CANNOT_UNDERSTAND_UIDS, 0]
    assert len(listener.spooled_files()) == 3
    assert not [p for p in (listener.spool / ".incoming").rglob("*") if p.is_file()]
    url = listener.metrics_url
    assert metric(url, "spinetriage_dicom_instances_total", outcome="cannot_understand") == 2


def test_uid_that_would_escape_the_spool_is_refused(
    start_listener: Callable[..., ListenerProcess], series: list[Path], tmp_path: Path
) -> None:
    """A Study UID that is not a UID (here a relative path) is refused, and nothing is written
    outside the spool."""
    ds = dcmread(series[0])
    with pytest.warns(UserWarning, match="Invalid value for VR UI"):
        ds.StudyInstanceUID = "../../escaped"
    hostile = tmp_path / "hostile.dcm"
    ds.save_as(hostile, enforce_file_format=True)
    listener = start_listener()
    with associate(listener) as assoc:
        assert store(assoc, hostile) == CANNOT_UNDERSTAND_UIDS
    assert listener.spooled_files() == []
    assert not (listener.spool.parent / "escaped").exists()


def test_below_watermark_answers_out_of_resources_and_stores_nothing(
    start_listener: Callable[..., ListenerProcess], series: list[Path]
) -> None:
    """With free disk under the watermark, every instance gets 0xA700 and no file is kept."""
    listener = start_listener(spool_min_free_bytes=2**62)
    with associate(listener) as assoc:
        assert [store(assoc, path) for path in series] == [OUT_OF_RESOURCES] * len(series)
    assert listener.spooled_files() == []
    assert not [p for p in (listener.spool / ".incoming").rglob("*") if p.is_file()]
    url = listener.metrics_url
    assert metric(url, "spinetriage_dicom_instances_total", outcome="out_of_resources") == len(
        series
    )


def test_calling_ae_not_on_allow_list_is_rejected(
    start_listener: Callable[..., ListenerProcess],
) -> None:
    """With an allow-list, an unknown calling AE is rejected with reason 'calling AE title not
    recognised' and a listed one is accepted."""
    listener = start_listener(dicom_allowed_calling_aes="PACS1,PACS2")
    ae = AE(ae_title="INTRUDER")
    ae.add_requested_context(Verification)
    rejected = ae.associate("127.0.0.1", listener.port, ae_title="SPINETRIAGE")
    assert rejected.is_rejected
    assert (rejected.acceptor.primitive.result, rejected.acceptor.primitive.diagnostic) == (1, 3)
    with associate(listener, calling_ae="PACS2") as assoc:
        assert int(assoc.send_c_echo().Status) == 0
    url = listener.metrics_url
    assert metric(url, "spinetriage_dicom_associations_total", outcome="rejected") == 1
    assert metric(url, "spinetriage_dicom_associations_total", outcome="accepted") == 1


def test_logs_carry_no_patient_data(
    start_listener: Callable[..., ListenerProcess], series: list[Path]
) -> None:
    """At debug level, the listener's log lines for a stored study name no patient, ID or
    accession number."""
    listener = start_listener()
    with associate(listener) as assoc:
        assert store(assoc, series[0]) == 0
    sent = dcmread(series[0])
    log = listener.log_text()
    assert "instance_stored" in log
    for phi in (str(sent.PatientName), "SYNTHETIC", sent.PatientID, sent.AccessionNumber):
        assert phi not in log


def test_deflated_dataset_is_stored_as_received(
    start_listener: Callable[..., ListenerProcess],
    series: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deflated instance is kept deflated, not transcoded."""
    source = dcmread(series[0])
    deflated = tmp_path / "deflated.dcm"
    source.save_as(deflated, implicit_vr=False, little_endian=True, enforce_file_format=True)
    raw_body = deflated.read_bytes()[_meta_end(deflated) :]
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = compressor.compress(raw_body) + compressor.flush()
    sop_uid = source.SOPInstanceUID
    _write_raw(deflated, DeflatedExplicitVRLittleEndian, sop_uid, body)
    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)
    listener = start_listener()
    with associate(listener) as assoc:
        assert store(assoc, deflated) == 0
    (stored,) = listener.spooled_files()
    assert dcmread(stored).file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian
    assert stored.read_bytes()[_meta_end(stored) :] == body
    assert dcmread(stored).PixelData == source.PixelData


def _meta_end(path: Path) -> int:
    """Offset of the first byte after the file meta group."""
    raw = path.read_bytes()
    group_length = int.from_bytes(raw[140:144], "little")
    return 144 + group_length
