"""Plain synthetic MR series for exercising transport: valid, scanner-like Part 10 files with
16-bit noise-and-gradient pixel data. They carry no anatomy and no ground truth; the phantom
generator makes studies for the heuristics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, MRImageStorage, generate_uid

UID_ROOT = "1.2.826.0.1.3680043.10.1437."  # example root; synthetic data only


@dataclass(frozen=True)
class SeriesSpec:
    instances: int = 15
    rows: int = 512
    columns: int = 512
    description: str = "SAG T2"
    series_number: int = 1


def new_uid() -> str:
    return str(generate_uid(prefix=UID_ROOT))


def write_mr_series(
    folder: Path,
    spec: SeriesSpec,
    study_uid: str | None = None,
    seed: int = 0,
    patient_id: str = "SYN0001",
) -> list[Path]:
    """Write one sagittal MR series as Part 10 files named ``<n>.dcm``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    study_uid = study_uid or new_uid()
    series_uid = new_uid()
    frame_uid = new_uid()
    rng = np.random.default_rng(seed)
    base = _gradient(spec.rows, spec.columns)
    paths = []
    for number in range(1, spec.instances + 1):
        noise = rng.integers(0, 200, size=(spec.rows, spec.columns), dtype=np.uint16)
        pixels = base + noise
        ds = _mr_dataset(spec, (study_uid, series_uid, frame_uid), number, pixels, patient_id)
        path = folder / f"{number:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def _gradient(rows: int, columns: int) -> np.ndarray:
    y, x = np.mgrid[0:rows, 0:columns]
    gradient: np.ndarray = ((x + y) * (2000 / (rows + columns))).astype(np.uint16)
    return gradient


def _mr_dataset(
    spec: SeriesSpec,
    uids: tuple[str, str, str],
    number: int,
    pixels: np.ndarray,
    patient_id: str,
) -> Dataset:
    study_uid, series_uid, frame_uid = uids
    sop_uid = new_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.FrameOfReferenceUID = frame_uid
    ds.PatientName = "SYNTHETIC^SPINE"
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.AccessionNumber = "SYNACC1"
    ds.StudyDate = "20261122"
    ds.StudyTime = "080000"
    ds.StudyID = "1"
    ds.StudyDescription = "MR SPINE"
    ds.Modality = "MR"
    ds.BodyPartExamined = "SPINE"
    ds.SeriesDescription = spec.description
    ds.SeriesNumber = spec.series_number
    ds.InstanceNumber = number
    ds.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
    ds.ImagePositionPatient = [float(number * 3 - 24), -120.0, 150.0]
    ds.PixelSpacing = [0.5, 0.5]
    ds.SliceThickness = 3.0
    ds.RepetitionTime = 3000.0
    ds.EchoTime = 100.0
    ds.MagneticFieldStrength = 1.5
    ds.ScanningSequence = "SE"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = pixels.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    return ds
