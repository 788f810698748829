"""CT series as files: the axial volume (one CT Image Storage object per slice), the lateral
scout made from the same volume, and the radiation dose structured report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, XRayRadiationDoseSRStorage

from workers.phantom.case_spec import CtPlan, SeriesPlan
from workers.phantom.dicom_base import (
    Study,
    _ds,
    base_dataset,
    image_plane,
    pixel_module,
    save,
    window,
)
from workers.phantom.geometry import Geometry

UNSIGNED_INTERCEPT = -1024.0  # stored 0 is -1024 HU, the usual unsigned CT convention
GANTRY_DIAMETER_MM = 500.0
SCOUT_MAX = 4000.0  # stored value of the most attenuating path on the scout
CTDI_PER_MA = 0.035  # mGy per mA at 120 kV, roughly what a body scan gives


def write_ct_slices(
    study: Study, plan: SeriesPlan, ct: CtPlan, slices: NDArray[np.integer], names: list[Path]
) -> None:
    geometry = _geometry(plan)
    intercept = 0.0 if ct.signed else UNSIGNED_INTERCEPT
    for k in range(geometry.slices):
        # slice 0 is the lowest; scanners number from the head down
        ds = base_dataset(study, plan, CTImageStorage, geometry.slices - 1 - k)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        image_plane(ds, study, geometry, k, spacing_tag=False)
        _ct_acquisition(ds, geometry, ct)
        pixel_module(ds, slices[k], 12 if not ct.signed else 16, signed=ct.signed)
        ds.RescaleIntercept = _ds(intercept)
        ds.RescaleSlope = "1"
        ds.RescaleType = "HU"
        window(ds, 40, 400)
        save(ds, names[k], plan.transfer, study.spec.scanner.vendor)


def write_scout(
    study: Study, plan: SeriesPlan, volume: Geometry, projection: NDArray[np.float32], path: Path
) -> None:
    """A lateral topogram: summed attenuation through the volume, head at the top."""
    image = projection[::-1]
    scaled = np.clip(image / max(float(image.max()), 1e-6) * SCOUT_MAX, 0, 4095).astype(np.uint16)
    ds = base_dataset(study, plan, CTImageStorage, 0)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    top = volume.position(volume.slices - 1)
    ds.FrameOfReferenceUID = study.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.PatientPosition = "HFS"
    ds.BodyPartExamined = "SPINE"
    centre_x = float(top[0] + (volume.cols - 1) / 2 * volume.col_spacing_mm)
    ds.ImagePositionPatient = [_ds(centre_x), _ds(top[1]), _ds(top[2])]
    ds.ImageOrientationPatient = ["0", "1", "0", "0", "0", "-1"]
    ds.PixelSpacing = [_ds(volume.slice_spacing_mm), _ds(volume.row_spacing_mm)]
    ds.KVP = "120"
    pixel_module(ds, scaled, 12, signed=False)
    ds.RescaleIntercept, ds.RescaleSlope = "0", "1"
    window(ds, SCOUT_MAX / 2, SCOUT_MAX)
    save(ds, path, plan.transfer, study.spec.scanner.vendor)


def write_dose_report(
    study: Study, plan: SeriesPlan, ct: CtPlan, volume: Geometry, path: Path
) -> None:
    """An X-Ray Radiation Dose SR (TID 10011) with CTDIvol and DLP of the one acquisition."""
    ds = base_dataset(study, plan, XRayRadiationDoseSRStorage, 0)
    ds.Modality = "SR"
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = Sequence([_code("113701", "DCM", "X-Ray Radiation Dose Report")])
    ds.ContinuityOfContent = "SEPARATE"
    ds.ContentTemplateSequence = Sequence([_template("10011")])
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ctdi = round(ct.tube_ma * CTDI_PER_MA * (ct.kvp / 120) ** 2, 2)
    length_cm = volume.slices * volume.slice_spacing_mm / 10
    dlp = round(ctdi * length_cm, 1)
    acquisition = _container(
        "113819",
        "CT Acquisition",
        [_number("113830", "Mean CTDIvol", ctdi, "mGy"), _number("113838", "DLP", dlp, "mGy.cm")],
    )
    total = _container(
        "113811",
        "CT Accumulated Dose Data",
        [_number("113813", "CT Dose Length Product Total", dlp, "mGy.cm")],
    )
    ds.ContentSequence = Sequence([total, acquisition])
    save(ds, path, "explicit", study.spec.scanner.vendor)


def _geometry(plan: SeriesPlan) -> Geometry:
    if plan.geometry is None:
        raise ValueError(f"plan: series {plan.number} has no geometry")
    return plan.geometry


def _ct_acquisition(ds: Dataset, geometry: Geometry, ct: CtPlan) -> None:
    ds.KVP = _ds(ct.kvp)
    ds.DataCollectionDiameter = _ds(GANTRY_DIAMETER_MM)
    ds.ReconstructionDiameter = _ds(geometry.cols * geometry.col_spacing_mm)
    ds.GantryDetectorTilt = "0"
    ds.TableHeight = "150"
    ds.RotationDirection = "CW"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = str(int(ct.tube_ma))
    ds.Exposure = str(int(ct.tube_ma / 2))
    ds.FilterType = "BODY"
    ds.ConvolutionKernel = ct.kernel
    ds.CTDIvol = round(ct.tube_ma * CTDI_PER_MA * (ct.kvp / 120) ** 2, 2)
    ds.AcquisitionNumber = 1


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _template(identifier: str) -> Dataset:
    item = Dataset()
    item.MappingResource = "DCMR"
    item.TemplateIdentifier = identifier
    return item


def _container(code: str, meaning: str, children: list[Dataset]) -> Dataset:
    item = Dataset()
    item.RelationshipType = "CONTAINS"
    item.ValueType = "CONTAINER"
    item.ConceptNameCodeSequence = Sequence([_code(code, "DCM", meaning)])
    item.ContinuityOfContent = "SEPARATE"
    item.ContentSequence = Sequence(children)
    return item


def _number(code: str, meaning: str, value: float, unit: str) -> Dataset:
    item = Dataset()
    item.RelationshipType = "CONTAINS"
    item.ValueType = "NUM"
    item.ConceptNameCodeSequence = Sequence([_code(code, "DCM", meaning)])
    measured = Dataset()
    measured.NumericValue = _ds(value)
    measured.MeasurementUnitsCodeSequence = Sequence([_code(unit, "UCUM", unit)])
    item.MeasuredValueSequence = Sequence([measured])
    return item
