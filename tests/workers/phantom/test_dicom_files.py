"""The files are valid DICOM with the geometry a loader needs, in every variant written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import MRImageStorage

from tests.workers.phantom.conftest import Written
from workers.phantom.case_spec import Transfer
from workers.phantom.dicom_base import TRANSFER_SYNTAX, save

STACK_CLASSES = ("MR Image Storage", "CT Image Storage")


def _normal(ds: Dataset) -> np.ndarray:
    iop = np.asarray(ds.ImageOrientationPatient, dtype=float)
    return np.cross(iop[:3], iop[3:])


def _is_stack(ds: Dataset) -> bool:
    return ds.SOPClassUID.name in STACK_CLASSES and "LOCALIZER" not in ds.ImageType


def test_every_file_reads_and_decodes(written: list[Written]) -> None:
    """Every file is Part 10 DICOM that pydicom reads, and every image decodes to pixels."""
    for case in written:
        for path in case.files:
            ds = pydicom.dcmread(path)
            assert ds.file_meta.TransferSyntaxUID in TRANSFER_SYNTAX.values()
            if "PixelData" in ds:
                assert (
                    ds.pixel_array.size
                    == ds.Rows * ds.Columns * ds.get("NumberOfFrames", 1) * ds.SamplesPerPixel
                )


def test_slices_of_a_series_share_orientation_and_step_by_their_spacing(
    written: list[Written],
) -> None:
    """Within a stack, orientation and frame of reference are shared and positions along the
    normal are evenly spaced by the planned slice spacing."""
    for case in written:
        planned = {p.number: p for p in case.spec.series}
        frames = set()
        for datasets in case.series().values():
            first = datasets[0]
            frames.add(first.get("FrameOfReferenceUID"))
            if not _is_stack(first):
                continue
            assert all(d.ImageOrientationPatient == first.ImageOrientationPatient for d in datasets)
            along = sorted(float(np.dot(d.ImagePositionPatient, _normal(first))) for d in datasets)
            geometry = planned[first.SeriesNumber].geometry
            assert geometry is not None
            assert np.allclose(np.diff(along), geometry.slice_spacing_mm, atol=1e-3)
            if "SpacingBetweenSlices" in first:
                assert float(first.SpacingBetweenSlices) == pytest.approx(geometry.slice_spacing_mm)
        assert len(frames - {None}) == 1


def test_enhanced_mr_holds_every_frame_with_its_position(mr_enhanced: Written) -> None:
    """An Enhanced MR object carries one frame per slice, with per-frame positions spaced by
    the shared pixel measures' slice spacing."""
    enhanced = [
        d
        for ds in mr_enhanced.series().values()
        for d in ds
        if d.SOPClassUID.name == "Enhanced MR Image Storage"
    ]
    assert len(enhanced) == 1
    ds = enhanced[0]
    shared = ds.SharedFunctionalGroupsSequence[0]
    iop = np.asarray(shared.PlaneOrientationSequence[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    positions = [
        f.PlanePositionSequence[0].ImagePositionPatient for f in ds.PerFrameFunctionalGroupsSequence
    ]
    along = sorted(float(np.dot(p, normal)) for p in positions)
    spacing = float(shared.PixelMeasuresSequence[0].SpacingBetweenSlices)
    assert ds.NumberOfFrames == len(positions) == ds.pixel_array.shape[0]
    assert np.allclose(np.diff(along), spacing, atol=1e-3)


def test_truth_lists_every_series_written(written: list[Written]) -> None:
    """The truth's series are exactly the series on disk, with their image counts."""
    for case in written:
        on_disk = case.series()
        listed = {s.series_instance_uid: s for s in case.truth.series}
        assert set(listed) == set(on_disk)
        for uid, datasets in on_disk.items():
            count = sum(int(d.get("NumberOfFrames", 1)) for d in datasets if "PixelData" in d)
            assert listed[uid].slices == count


def test_odd_series_are_marked_as_a_loader_expects(ct: Written, mr_j2k: Written) -> None:
    """Localizers say LOCALIZER, the screenshot is a secondary capture, the dose report an SR."""
    classes = {d[0].SOPClassUID.name: d[0] for d in ct.series().values()}
    assert "LOCALIZER" in classes["CT Image Storage"].ImageType or any(
        "LOCALIZER" in d[0].ImageType for d in ct.series().values() if "ImageType" in d[0]
    )
    assert classes["Secondary Capture Image Storage"].ConversionType == "WSD"
    assert classes["X-Ray Radiation Dose SR Storage"].Modality == "SR"
    localizers = [d for d in mr_j2k.series().values() if "LOCALIZER" in d[0].ImageType]
    assert len(localizers) == 1
    assert len(localizers[0]) == 3


@pytest.mark.parametrize("transfer", ["explicit", "implicit", "rle", "j2k"])
def test_saved_pixels_decode_back_identically(transfer: Transfer, tmp_path: Path) -> None:
    """Each transfer syntax written, compressed or not, decodes to the very same pixels."""
    pixels = np.random.default_rng(3).integers(0, 4096, size=(64, 80), dtype=np.uint16)
    ds = Dataset()
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.1437.1"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = pixels.shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = pixels.tobytes()
    save(ds, tmp_path / "x.dcm", transfer, "SIEMENS")
    back = pydicom.dcmread(tmp_path / "x.dcm")
    assert back.file_meta.TransferSyntaxUID == TRANSFER_SYNTAX[transfer]
    assert back.SOPInstanceUID == ds.SOPInstanceUID
    assert np.array_equal(back.pixel_array, pixels)
