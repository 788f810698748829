"""What every file of a synthetic study carries: patient, study, series and equipment modules
with synthetic values, the image plane and pixel modules, and saving in a transfer syntax.

Only what a scanner writes, no private tags, and nothing that names the case or its findings:
descriptions are protocol names, the patient is a made-up person, UIDs are opaque hashes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
)

from workers.phantom.case_spec import CaseSpec, SeriesPlan, Transfer
from workers.phantom.geometry import Geometry
from workers.phantom.uids import Uids

TRANSFER_SYNTAX: dict[Transfer, UID] = {
    "explicit": ExplicitVRLittleEndian,
    "implicit": ImplicitVRLittleEndian,
    "rle": RLELossless,
    "j2k": JPEG2000Lossless,
}
VERSION_NAME = {
    "SIEMENS": "SIEMENS_SWF",
    "GE MEDICAL SYSTEMS": "GE_SIGNA_2",
    "Philips": "PHILIPS_51",
}
SPINE_REGION = ("T-D0146", "SRT", "Spine")  # anatomic region code for frame anatomy


@dataclass(frozen=True)
class Study:
    """A case being written: its spec, its UIDs and its shared frame of reference."""

    spec: CaseSpec
    uids: Uids

    @property
    def study_uid(self) -> str:
        return self.uids.uid("study")

    @property
    def frame_of_reference(self) -> str:
        return self.uids.uid("frame")

    def series_uid(self, plan: SeriesPlan) -> str:
        return self.uids.uid("series", plan.number, plan.kind)

    def instance_uid(self, plan: SeriesPlan, index: int) -> str:
        return self.uids.uid("instance", plan.number, plan.kind, index)


def base_dataset(study: Study, plan: SeriesPlan, sop_class: str, index: int) -> Dataset:
    """Patient, study, series, equipment and SOP common modules of one instance."""
    spec, patient, scanner = study.spec, study.spec.patient, study.spec.scanner
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = study.instance_uid(plan, index)
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = patient.study_date
    ds.StudyTime = patient.study_time
    ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = _later(patient.study_time, plan.number)
    ds.AccessionNumber = patient.accession
    ds.Modality = spec.modality
    ds.Manufacturer = scanner.vendor
    ds.InstitutionName = scanner.institution
    ds.ReferringPhysicianName = ""
    ds.StationName = scanner.station
    ds.StudyDescription = spec.study_description
    ds.SeriesDescription = plan.description
    ds.ManufacturerModelName = scanner.model
    ds.PatientName = patient.name
    ds.PatientID = patient.patient_id
    ds.PatientBirthDate = patient.birth_date
    ds.PatientSex = patient.sex
    ds.PatientAge = f"{patient.age_years:03d}Y"
    ds.PatientWeight = patient.weight_kg
    ds.DeviceSerialNumber = scanner.serial
    ds.SoftwareVersions = scanner.software
    ds.StudyInstanceUID = study.study_uid
    ds.SeriesInstanceUID = study.series_uid(plan)
    ds.StudyID = patient.accession[-4:]
    ds.SeriesNumber = plan.number
    ds.InstanceNumber = index + 1
    return ds


def image_plane(ds: Dataset, study: Study, geometry: Geometry, k: int, spacing_tag: bool) -> None:
    """Frame of reference and image plane modules of slice k."""
    ds.FrameOfReferenceUID = study.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.PatientPosition = "HFS"
    ds.BodyPartExamined = "SPINE"
    ds.ImagePositionPatient = [_ds(x) for x in geometry.position(k)]
    ds.ImageOrientationPatient = [_ds(x) for x in (*geometry.row_dir, *geometry.col_dir)]
    ds.PixelSpacing = [_ds(geometry.row_spacing_mm), _ds(geometry.col_spacing_mm)]
    ds.SliceThickness = _ds(geometry.slice_thickness_mm)
    if spacing_tag:
        ds.SpacingBetweenSlices = _ds(geometry.slice_spacing_mm)
    ds.SliceLocation = _ds(float(np.asarray(geometry.position(k)) @ geometry.normal))


def pixel_module(ds: Dataset, pixels: NDArray[np.integer], bits_stored: int, signed: bool) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = int(pixels.shape[-2]), int(pixels.shape[-1])
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()


def save(ds: Dataset, path: Path, transfer: Transfer, vendor: str) -> None:
    """Write a Part 10 file, compressing losslessly when the plan says so."""
    syntax = TRANSFER_SYNTAX[transfer]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationVersionName = VERSION_NAME.get(vendor, "SPINE_SCANNER")
    ds.file_meta = meta
    if syntax.is_compressed and "PixelData" in ds:
        ds.compress(syntax, generate_instance_uid=False)
    else:
        meta.TransferSyntaxUID = syntax
    ds.save_as(path, enforce_file_format=True, implicit_vr=syntax == ImplicitVRLittleEndian)


def window(ds: Dataset, centre: float, width: float) -> None:
    ds.WindowCenter = _ds(centre)
    ds.WindowWidth = _ds(width)


def _later(time: str, minutes: int) -> str:
    """A series time a few minutes into the study, as HHMMSS."""
    total = int(time[:2]) * 3600 + int(time[2:4]) * 60 + int(time[4:6]) + 137 * minutes
    total %= 24 * 3600
    return f"{total // 3600:02d}{total // 60 % 60:02d}{total % 60:02d}"


def _ds(x: float) -> str:
    """A decimal string of at most 16 characters (DICOM DS)."""
    text = f"{float(x):.6f}".rstrip("0").rstrip(".")
    return text if len(text) <= 16 else f"{float(x):.10g}"
