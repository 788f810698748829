"""Small, scanner-like DICOM files written with pydicom, for the loader's tests.

Each builder writes real Part 10 files into a folder; what a test needs to know afterwards (the
stored pixels in position order, the SOP Instance UIDs, the positions) comes back with them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, CTImageStorage, ExplicitVRLittleEndian, MRImageStorage, generate_uid

UID_ROOT = "1.2.826.0.1.3680043.10.1437.9."  # synthetic test data only

# ImageOrientationPatient (row cosines, then column cosines) of the usual planes.
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)  # columns run backwards, rows run down
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # columns run to the left, rows run backwards
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)  # columns run to the left, rows run down

# Acquisition tags of a plain T2-weighted turbo spin echo.
T2_TAGS: dict[str, object] = {
    "RepetitionTime": 3000.0,
    "EchoTime": 100.0,
    "ScanningSequence": "SE",
    "SequenceVariant": "SK",
}


def new_uid() -> str:
    return str(generate_uid(prefix=UID_ROOT))


@dataclass(frozen=True)
class SeriesSpec:
    """One series; ``tags`` add or override header keywords (a None value removes one)."""

    modality: str = "MR"
    slices: int = 5
    rows: int = 12
    columns: int = 10
    orientation: tuple[float, ...] = SAGITTAL
    origin_mm: tuple[float, float, float] = (-10.0, -40.0, 60.0)
    step_mm: float = 3.3
    pixel_spacing_mm: tuple[float, float] = (0.8, 0.6)
    slice_thickness_mm: float = 3.0
    description: str = "SAG T2"
    bits: int = 16
    signed: bool = False
    tags: Mapping[str, object] = field(default_factory=dict)
    study_uid: str = field(default_factory=new_uid)
    series_uid: str = field(default_factory=new_uid)
    frame_of_reference_uid: str = field(default_factory=new_uid)
    seed: int = 0

    def with_tags(self, **tags: object) -> SeriesSpec:
        return replace(self, tags={**self.tags, **tags})


@dataclass(frozen=True)
class WrittenSeries:
    """Files and truth, all in slice-position order (ascending along the slice normal)."""

    paths: list[Path]
    sop_uids: list[str]
    positions_mm: list[tuple[float, float, float]]
    pixels: NDArray[np.int32]
    series_uid: str
    study_uid: str


def normal_of(orientation: tuple[float, ...]) -> NDArray[np.float64]:
    row, column = np.array(orientation[:3]), np.array(orientation[3:])
    normal: NDArray[np.float64] = np.cross(row, column)
    return normal


def stored_pixels(spec: SeriesSpec) -> NDArray[np.int32]:
    """Distinct, reproducible stored values that fit the spec's bit depth and sign."""
    rng = np.random.default_rng(spec.seed)
    high = 250 if spec.bits == 8 else 4000
    low = -1000 if spec.signed else 0
    shape = (spec.slices, spec.rows, spec.columns)
    return rng.integers(low, high, size=shape).astype(np.int32)


def write_series(
    folder: Path,
    spec: SeriesSpec,
    pixels: NDArray[np.int32] | None = None,
    shuffle_names: bool = True,
) -> WrittenSeries:
    """Write the series, one file per slice, with file names and instance numbers in an
    order unrelated to the slice positions when ``shuffle_names`` is set."""
    folder.mkdir(parents=True, exist_ok=True)
    values = stored_pixels(spec) if pixels is None else pixels
    normal = normal_of(spec.orientation)
    rng = np.random.default_rng(spec.seed + 1)
    order = rng.permutation(spec.slices) if shuffle_names else np.arange(spec.slices)
    paths, sops, positions = [], [], []
    for index in range(spec.slices):
        position = tuple(float(v) for v in np.array(spec.origin_mm) + index * spec.step_mm * normal)
        sop = new_uid()
        ds = image_dataset(spec, sop, values[index], (position[0], position[1], position[2]))
        ds.InstanceNumber = int(order[index]) + 1
        path = folder / f"{spec.series_uid[-6:]}-{int(order[index]):03d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
        sops.append(sop)
        positions.append((position[0], position[1], position[2]))
    return WrittenSeries(paths, sops, positions, values, spec.series_uid, spec.study_uid)


def image_dataset(
    spec: SeriesSpec, sop_uid: str, pixels: NDArray[np.int32], position: tuple[float, float, float]
) -> Dataset:
    """A classic single-frame CT or MR image of the spec at ``position``."""
    sop_class = CTImageStorage if spec.modality == "CT" else MRImageStorage
    ds = base_dataset(sop_class, sop_uid, spec.study_uid, spec.series_uid, spec.modality)
    ds.SeriesDescription = spec.description
    ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
    ds.FrameOfReferenceUID = spec.frame_of_reference_uid
    ds.ImageOrientationPatient = list(spec.orientation)
    ds.ImagePositionPatient = list(position)
    ds.PixelSpacing = list(spec.pixel_spacing_mm)
    ds.SliceThickness = spec.slice_thickness_mm
    if spec.modality == "MR":
        ds.MagneticFieldStrength = 1.5
        for keyword, value in T2_TAGS.items():
            setattr(ds, keyword, value)
    set_pixels(ds, pixels, spec.bits, spec.signed)
    apply_tags(ds, spec.tags)
    return ds


def base_dataset(
    sop_class: str, sop_uid: str, study_uid: str, series_uid: str, modality: str
) -> Dataset:
    """Identifiers and the patient module (with values that a log must never show)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(sop_class)
    ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = UID(sop_class)
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.Modality = modality
    ds.SeriesNumber = int(series_uid[-3:]) % 900 + 1
    ds.PatientName = "LOADERTEST^SECRET"
    ds.PatientID = "PID-SECRET-0001"
    ds.PatientBirthDate = "19610203"
    ds.AccessionNumber = "ACC-SECRET-1"
    ds.Manufacturer = "SYNTHETIC"
    return ds


def set_pixels(ds: Dataset, pixels: NDArray[np.int32], bits: int, signed: bool) -> None:
    """Native pixel data of ``pixels`` (one frame (rows, cols) or frames (n, rows, cols))."""
    dtype = {(8, False): np.uint8, (16, False): np.uint16, (16, True): np.int16}[(bits, signed)]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = int(signed)
    ds.PixelData = pixels.astype(dtype).tobytes()


def apply_tags(ds: Dataset, tags: Mapping[str, object]) -> None:
    for keyword, value in tags.items():
        if value is None:
            if keyword in ds:
                delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)


def rewrite(path: Path, **tags: object) -> None:
    """Change (or, with None, remove) header keywords of a written file in place."""
    ds = dcmread(path)
    apply_tags(ds, tags)
    ds.save_as(path)
