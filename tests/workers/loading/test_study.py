"""A study folder: which files count, which study they belong to, and what the result says."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from pydicom.uid import MediaStorageDirectoryStorage

from spinetriage.logs import configure_logging
from spinetriage.triage import SeriesUse
from tests.workers.loading.builders import (
    AXIAL,
    SeriesSpec,
    base_dataset,
    new_uid,
    rewrite,
    write_series,
)
from workers.loading import NOT_WANTED, load_study


def test_files_that_are_not_images_are_counted_by_reason(tmp_path: Path) -> None:
    """Text files, damaged files, a DICOMDIR and hidden files are skipped and counted by reason,
    while the series beside them loads."""
    good = write_series(tmp_path / "series", SeriesSpec())
    (tmp_path / "README.txt").write_text("not DICOM")
    (tmp_path / "series" / "damaged.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00")
    (tmp_path / ".incoming").mkdir()
    (tmp_path / ".incoming" / "partial.dcm").write_bytes(good.paths[0].read_bytes()[:300])
    base_dataset(MediaStorageDirectoryStorage, new_uid(), good.study_uid, new_uid(), "").save_as(
        tmp_path / "DICOMDIR", enforce_file_format=True
    )
    study = load_study(tmp_path)
    assert [series.series_instance_uid for series in study.series] == [good.series_uid]
    assert study.skipped_files == {
        "not a DICOM file": 1,
        "DICOM file without a SOP Class UID (empty or damaged)": 1,
        "hidden file (temporary or system file)": 1,
        "DICOMDIR (an index of files, not an image)": 1,
    }


def test_files_of_another_study_are_reported_not_mixed(tmp_path: Path) -> None:
    """The study with most files is loaded; files of another study are only counted."""
    main = write_series(tmp_path / "a", SeriesSpec(slices=5))
    write_series(tmp_path / "b", SeriesSpec(slices=3))
    study = load_study(tmp_path)
    assert study.study_instance_uid == main.study_uid
    assert [series.series_instance_uid for series in study.series] == [main.series_uid]
    assert study.skipped_files == {"belongs to another study": 3}


def test_uids_missing_from_the_dataset_come_from_the_file_meta(tmp_path: Path) -> None:
    """Empty SOP Class and Instance UIDs in the dataset fall back to the file meta's, so the
    series loads and names its slices by the meta's SOP Instance UIDs."""
    written = write_series(tmp_path, SeriesSpec())
    for path in written.paths:
        rewrite(path, SOPClassUID="", SOPInstanceUID="")
    series = load_study(tmp_path).series[0]
    assert [source for source, _ in series.slice_sources] == written.sop_uids


def test_series_without_uids_are_grouped_by_their_other_attributes(tmp_path: Path) -> None:
    """Files with empty Series (and Study) Instance UIDs still form one series per series
    number, reported with an empty UID and no study UID."""
    for number, orientation in ((3, AXIAL), (4, AXIAL)):
        spec = SeriesSpec(modality="CT", orientation=orientation, description=f"CT {number}")
        for path in write_series(tmp_path / str(number), spec).paths:
            rewrite(path, SeriesInstanceUID="", StudyInstanceUID="", SeriesNumber=number)
    study = load_study(tmp_path)
    assert study.study_instance_uid is None
    assert [(s.series_instance_uid, s.description) for s in study.series] == [
        ("", "CT 3"),
        ("", "CT 4"),
    ]


def test_series_are_listed_by_series_number(tmp_path: Path) -> None:
    """Loaded series and their uses come in series-number order, whatever the folder order."""
    study_uid = new_uid()
    for number in (7, 2, 5):
        spec = SeriesSpec(study_uid=study_uid, description=f"S{number}")
        for path in write_series(tmp_path / f"x{10 - number}", spec).paths:
            rewrite(path, SeriesNumber=number)
    study = load_study(tmp_path)
    assert [series.series_number for series in study.series] == [2, 5, 7]
    assert [use.description for use in study.uses] == ["S2", "S5", "S7"]


def test_series_the_caller_does_not_want_are_not_decoded(tmp_path: Path) -> None:
    """A series declined by ``wanted`` (seen with its plane and weighting) is reported as not
    requested and gets no volume; the wanted one loads."""
    study_uid = new_uid()
    sagittal = write_series(tmp_path / "sag", SeriesSpec(study_uid=study_uid))
    write_series(tmp_path / "ax", SeriesSpec(study_uid=study_uid, orientation=AXIAL))
    seen: list[SeriesUse] = []

    def wanted(use: SeriesUse) -> bool:
        seen.append(use)
        return use.plane == "sagittal"

    study = load_study(tmp_path, wanted)
    assert sorted((use.plane, use.weighting) for use in seen) == [
        ("axial", "T2"),
        ("sagittal", "T2"),
    ]
    assert [series.series_instance_uid for series in study.series] == [sagittal.series_uid]
    declined = [use for use in study.uses if not use.used]
    assert [(use.plane, use.reason) for use in declined] == [("axial", NOT_WANTED)]


def test_loaded_series_carry_scanner_facts_but_no_patient_data(tmp_path: Path) -> None:
    """A loaded series names its manufacturer and field strength; no attribute of the result
    holds the patient's name or ID."""
    write_series(tmp_path, SeriesSpec())
    study = load_study(tmp_path)
    series = study.series[0]
    assert (series.manufacturer, series.field_strength_t) == ("SYNTHETIC", 1.5)
    assert_no_patient_data(repr(study))


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The service's logging (JSON lines) written into a buffer for one test, with the
    process's logging put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = structlog.get_config()
    configure_logging("debug", "json")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)
    logging.captureWarnings(False)


def test_logs_carry_no_patient_data(tmp_path: Path, json_logs: io.StringIO) -> None:
    """Loading logs snake_case events (a loaded series, a skipped one, the study) and no
    patient name, ID, birth date or accession."""
    study_uid = new_uid()
    write_series(tmp_path / "good", SeriesSpec(study_uid=study_uid))
    write_series(tmp_path / "short", SeriesSpec(study_uid=study_uid, slices=2))
    load_study(tmp_path)
    output = json_logs.getvalue()
    events = [json.loads(line)["event"] for line in output.splitlines()]
    assert sorted(events) == ["series_loaded", "series_skipped", "study_loaded"]
    assert_no_patient_data(output)


def assert_no_patient_data(text: str) -> None:
    for secret in ("LOADERTEST", "SECRET", "19610203"):
        assert secret not in text
