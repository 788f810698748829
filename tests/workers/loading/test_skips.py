"""Series that cannot be read as a volume are skipped with a plain reason, never a crash."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.encaps import encapsulate
from pydicom.uid import (
    MPEG2MPML,
    UID,
    BasicTextSRStorage,
    JPEGBaseline8Bit,
    SecondaryCaptureImageStorage,
    XRayRadiationDoseSRStorage,
)

from tests.workers.loading.builders import (
    AXIAL,
    CORONAL,
    SAGITTAL,
    SeriesSpec,
    base_dataset,
    new_uid,
    rewrite,
    set_pixels,
    write_series,
)
from workers.loading import LoaderError, load_study

Writer = Callable[[Path, str], object]


def with_tags(**tags: object) -> Writer:
    return lambda folder, study: write_series(folder, SeriesSpec(study_uid=study).with_tags(**tags))


def slices(count: int, **tags: object) -> Writer:
    return lambda folder, study: write_series(
        folder, SeriesSpec(study_uid=study, slices=count).with_tags(**tags)
    )


def planes(orientations: list[tuple[float, ...]], per_plane: int) -> Writer:
    """One series whose slices lie in several orientations (a three-plane localizer)."""

    def write(folder: Path, study: str) -> None:
        series = new_uid()
        for number, orientation in enumerate(orientations):
            spec = SeriesSpec(
                study_uid=study, series_uid=series, slices=per_plane, orientation=orientation
            )
            write_series(folder / str(number), spec)

    return write


def non_image(sop_class: str, modality: str) -> Writer:
    def write(folder: Path, study: str) -> None:
        ds = base_dataset(sop_class, new_uid(), study, new_uid(), modality)
        folder.mkdir(parents=True, exist_ok=True)
        ds.save_as(folder / "document.dcm", enforce_file_format=True)

    return write


def secondary_capture(folder: Path, study: str) -> None:
    ds = base_dataset(SecondaryCaptureImageStorage, new_uid(), study, new_uid(), "OT")
    set_pixels(ds, np.zeros((8, 8), dtype=np.int32), 8, False)
    folder.mkdir(parents=True, exist_ok=True)
    ds.save_as(folder / "capture.dcm", enforce_file_format=True)


def duplicate_positions(folder: Path, study: str) -> None:
    """Two echoes at the same positions under one series UID."""
    series = new_uid()
    for echo in (30.0, 90.0):
        spec = SeriesSpec(study_uid=study, series_uid=series, seed=int(echo))
        write_series(folder / str(echo), spec.with_tags(EchoTime=echo))


def gap(folder: Path, study: str) -> None:
    """Six slices with the fourth one missing."""
    written = write_series(folder, SeriesSpec(study_uid=study, slices=6))
    written.paths[3].unlink()


def colour(folder: Path, study: str) -> None:
    written = write_series(folder, SeriesSpec(study_uid=study, bits=8))
    for path in written.paths:
        ds = dcmread(path)
        rgb = np.zeros((ds.Rows, ds.Columns, 3), dtype=np.uint8)
        ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
        ds.PixelData = rgb.tobytes()
        ds.save_as(path)


def encapsulated_garbage(syntax: str) -> Writer:
    """Pixel data that claims a compressed syntax but holds bytes no codec can read."""

    def write(folder: Path, study: str) -> None:
        written = write_series(folder, SeriesSpec(study_uid=study, bits=8))
        for path in written.paths:
            ds = dcmread(path)
            ds.file_meta.TransferSyntaxUID = UID(syntax)
            ds.PixelData = encapsulate([b"\xff\xd8" + b"not a codestream" * 4])
            ds["PixelData"].VR = "OB"
            ds.save_as(path, enforce_file_format=True)

    return write


def truncated(folder: Path, study: str) -> None:
    for path in write_series(folder, SeriesSpec(study_uid=study)).paths:
        ds = dcmread(path)
        ds.PixelData = ds.PixelData[:50]
        ds.save_as(path)


def without(keyword: str) -> Writer:
    def write(folder: Path, study: str) -> None:
        for path in write_series(folder, SeriesSpec(study_uid=study)).paths:
            rewrite(path, **{keyword: None})

    return write


LOCALIZER = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
SCREEN_SAVE = ["DERIVED", "SECONDARY", "SCREEN SAVE"]
SUBTRACTION = ["DERIVED", "SECONDARY", "SUB"]

SCENARIOS: dict[str, tuple[Writer, str]] = {
    "localizer image type": (with_tags(ImageType=LOCALIZER), r"^localizer$"),
    "localizer description": (with_tags(SeriesDescription="3-plane loc"), r"^localizer \(by"),
    "three-plane localizer": (planes([SAGITTAL, CORONAL, AXIAL], 3), r"^localizer: 9 slices in 3"),
    "mixed orientations": (planes([SAGITTAL, AXIAL], 20), r"^slices in 2 different orientations"),
    "text report": (non_image(BasicTextSRStorage, "SR"), r"^not a CT or MR image \(Basic Text SR"),
    "dose report": (non_image(XRayRadiationDoseSRStorage, "SR"), r"^not a CT or MR image \(X-Ray"),
    "secondary capture": (secondary_capture, r"^secondary capture"),
    "screen save": (with_tags(ImageType=SCREEN_SAVE), r"^screen save"),
    "derived secondary": (with_tags(ImageType=SUBTRACTION), r"^derived secondary"),
    "two slices": (slices(2), r"^only 2 slice\(s\): a volume needs at least 3"),
    "duplicate positions": (duplicate_positions, r"repeat a position"),
    "missing slice": (gap, r"^non-uniform stack: slice steps from 3.30 to 6.60 mm"),
    "colour": (colour, r"^colour image \(RGB\)"),
    "no decoder": (encapsulated_garbage(MPEG2MPML), r"^no pixel decoder exists .*MPEG2"),
    "corrupt codestream": (encapsulated_garbage(JPEGBaseline8Bit), r"\(JPEG Baseline.*libjpeg"),
    "truncated pixels": (truncated, r"^pixel data could not be decoded \(Explicit VR Little"),
    "no orientation": (without("ImageOrientationPatient"), r"^ImageOrientationPatient is missing"),
    "no pixel spacing": (without("PixelSpacing"), r"^PixelSpacing is missing"),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_unusable_series_is_skipped_with_its_reason(tmp_path: Path, scenario: str) -> None:
    """Beside a good series, the unusable one is reported unused with a reason saying why,
    and the good one still loads."""
    writer, reason = SCENARIOS[scenario]
    good = write_series(tmp_path / "good", SeriesSpec(description="SAG T2"))
    writer(tmp_path / "bad", good.study_uid)
    study = load_study(tmp_path)
    assert [series.series_instance_uid for series in study.series] == [good.series_uid]
    skipped = [use for use in study.uses if not use.used]
    assert len(skipped) == 1, study.uses
    assert re.search(reason, skipped[0].reason), skipped[0].reason


def test_a_folder_with_nothing_analysable_raises_with_the_reasons(tmp_path: Path) -> None:
    """A folder of a dose report and a text file raises LoaderError naming what was found."""
    non_image(XRayRadiationDoseSRStorage, "SR")(tmp_path, new_uid())
    (tmp_path / "notes.txt").write_text("not DICOM")
    with pytest.raises(
        LoaderError, match=r"nothing analysable.*X-Ray Radiation Dose SR.*not a DICOM"
    ):
        load_study(tmp_path)


def test_an_empty_folder_raises(tmp_path: Path) -> None:
    """An empty folder raises LoaderError saying there were no files."""
    with pytest.raises(LoaderError, match="no files"):
        load_study(tmp_path)
