"""MR series as files: one MR Image Storage object per slice, or one Enhanced MR Image Storage
object holding every frame with its shared and per-frame functional groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import EnhancedMRImageStorage, MRImageStorage

from workers.phantom.case_spec import SeriesPlan
from workers.phantom.dicom_base import (
    SPINE_REGION,
    Study,
    _ds,
    base_dataset,
    image_plane,
    pixel_module,
    save,
    window,
)
from workers.phantom.geometry import Geometry
from workers.phantom.scanners import MrTiming

LARMOR_MHZ_PER_T = 42.577  # proton imaging frequency
CONTRAST_AGENT = "Gadobutrol"
FRAME_CONTENT_TAG = 0x00209111  # FrameContentSequence, where the dimension values live
STACK_ID_TAG = 0x00209056
IN_STACK_POSITION_TAG = 0x00209057
ACQUISITION_CONTRAST = {"T1": "T1", "T2": "T2", "STIR": "STIR", "T1_contrast": "T1"}


def write_mr_slices(
    study: Study, plan: SeriesPlan, frames: NDArray[np.uint16], names: list[Path], spacing_tag: bool
) -> None:
    """One file per slice; ``names[k]`` is slice k's file."""
    geometry, timing = _needs(plan)
    for k in range(geometry.slices):
        ds = base_dataset(study, plan, MRImageStorage, k)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
        image_plane(ds, study, geometry, k, spacing_tag)
        _mr_acquisition(ds, study, plan, timing)
        pixel_module(ds, frames[k], plan.bits_stored, signed=False)
        _rescale_and_window(ds, plan, frames[k])
        save(ds, names[k], plan.transfer, study.spec.scanner.vendor)


def write_enhanced_mr(
    study: Study, plan: SeriesPlan, frames: NDArray[np.uint16], path: Path
) -> None:
    """All slices as frames of one Enhanced MR Image Storage object."""
    geometry, timing = _needs(plan)
    ds = base_dataset(study, plan, EnhancedMRImageStorage, 0)
    _enhanced_image(ds, study, timing)
    ds.NumberOfFrames = geometry.slices
    _dimensions(ds, study.uids.uid("dimension", plan.number))
    ds.SharedFunctionalGroupsSequence = Sequence([_shared_groups(plan, geometry, timing)])
    ds.PerFrameFunctionalGroupsSequence = Sequence(
        [_frame_groups(study, plan, geometry, k) for k in range(geometry.slices)]
    )
    pixel_module(ds, frames, plan.bits_stored, signed=False)
    save(ds, path, plan.transfer, study.spec.scanner.vendor)


def _enhanced_image(ds: Dataset, study: Study, timing: MrTiming) -> None:
    """Enhanced MR image and frame of reference modules (what is not per frame)."""
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
    ds.FrameOfReferenceUID = study.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.PatientPosition = "HFS"
    ds.BodyPartExamined = "SPINE"
    ds.ContentQualification = "PRODUCT"
    ds.PixelPresentation = "MONOCHROME"
    ds.VolumetricProperties = "VOLUME"
    ds.VolumeBasedCalculationTechnique = "NONE"
    ds.ComplexImageComponent = "MAGNITUDE"
    ds.AcquisitionContrast = ACQUISITION_CONTRAST[timing.weighting]
    ds.MRAcquisitionType = "2D"
    ds.EchoPulseSequence = "SPIN"
    ds.MagneticFieldStrength = _ds(study.spec.scanner.field_t)
    ds.ImagingFrequency = _ds(LARMOR_MHZ_PER_T * study.spec.scanner.field_t)


def _dimensions(ds: Dataset, dimension_uid: str) -> None:
    """Frames are indexed by stack and by position in the stack."""
    ds.DimensionOrganizationSequence = Sequence([_item(DimensionOrganizationUID=dimension_uid)])
    ds.DimensionIndexSequence = Sequence(
        [
            _item(
                DimensionIndexPointer=pointer,
                FunctionalGroupPointer=FRAME_CONTENT_TAG,
                DimensionOrganizationUID=dimension_uid,
            )
            for pointer in (STACK_ID_TAG, IN_STACK_POSITION_TAG)
        ]
    )


def _needs(plan: SeriesPlan) -> tuple[Geometry, MrTiming]:
    if plan.geometry is None or plan.timing is None:
        raise ValueError(f"plan: series {plan.number} has no geometry or timing")
    return plan.geometry, plan.timing


def _mr_acquisition(ds: Dataset, study: Study, plan: SeriesPlan, timing: MrTiming) -> None:
    field = study.spec.scanner.field_t
    ds.ScanningSequence = timing.scanning_sequence
    ds.SequenceVariant = timing.sequence_variant
    ds.ScanOptions = timing.scan_options
    ds.MRAcquisitionType = "2D"
    ds.SequenceName = timing.sequence_name
    ds.RepetitionTime = _ds(timing.tr_ms)
    ds.EchoTime = _ds(timing.te_ms)
    if timing.ti_ms is not None:
        ds.InversionTime = _ds(timing.ti_ms)
    ds.NumberOfAverages = "1"
    ds.ImagingFrequency = _ds(LARMOR_MHZ_PER_T * field)
    ds.ImagedNucleus = "1H"
    ds.EchoNumbers = "1"
    ds.MagneticFieldStrength = _ds(field)
    ds.EchoTrainLength = str(timing.echo_train)
    ds.PercentSampling = "100"
    ds.PercentPhaseFieldOfView = "100"
    ds.PixelBandwidth = "190"
    ds.AcquisitionMatrix = [0, plan.acquisition[1], plan.acquisition[0], 0]
    ds.InPlanePhaseEncodingDirection = "ROW"
    ds.FlipAngle = _ds(timing.flip_deg)
    ds.TransmitCoilName = "Body"
    ds.ReceiveCoilName = "Spine"
    ds.AcquisitionNumber = 1
    if timing.weighting == "T1_contrast":
        ds.ContrastBolusAgent = CONTRAST_AGENT


def _rescale_and_window(ds: Dataset, plan: SeriesPlan, frame: NDArray[np.uint16]) -> None:
    slope = plan.rescale_slope or 1.0
    if plan.rescale_slope is not None:
        ds.RescaleIntercept = "0"
        ds.RescaleSlope = _ds(slope)
        ds.RescaleType = "US"
    high = float(np.percentile(frame, 99.5)) * slope
    window(ds, high / 2, max(high, 1.0))


def _shared_groups(plan: SeriesPlan, geometry: Geometry, timing: MrTiming) -> Dataset:
    """Functional groups every frame shares: geometry, timing, coils, rescale, anatomy."""
    item = Dataset()
    item.PixelMeasuresSequence = Sequence(
        [
            _item(
                PixelSpacing=[_ds(geometry.row_spacing_mm), _ds(geometry.col_spacing_mm)],
                SliceThickness=_ds(geometry.slice_thickness_mm),
                SpacingBetweenSlices=_ds(geometry.slice_spacing_mm),
            )
        ]
    )
    orientation = [_ds(x) for x in (*geometry.row_dir, *geometry.col_dir)]
    item.PlaneOrientationSequence = Sequence([_item(ImageOrientationPatient=orientation)])
    _acquisition_groups(item, plan, timing)
    slope = plan.rescale_slope or 1.0
    item.PixelValueTransformationSequence = Sequence(
        [_item(RescaleIntercept="0", RescaleSlope=_ds(slope), RescaleType="US")]
    )
    code = _item(
        CodeValue=SPINE_REGION[0],
        CodingSchemeDesignator=SPINE_REGION[1],
        CodeMeaning=SPINE_REGION[2],
    )
    item.FrameAnatomySequence = Sequence(
        [_item(AnatomicRegionSequence=Sequence([code]), FrameLaterality="U")]
    )
    return item


def _acquisition_groups(item: Dataset, plan: SeriesPlan, timing: MrTiming) -> None:
    """Timing, echo, modifier, coil and field-of-view groups of an enhanced MR object."""
    item.MRTimingAndRelatedParametersSequence = Sequence(
        [
            _item(
                RepetitionTime=timing.tr_ms,
                FlipAngle=timing.flip_deg,
                EchoTrainLength=timing.echo_train,
            )
        ]
    )
    item.MREchoSequence = Sequence([_item(EffectiveEchoTime=timing.te_ms)])
    inversion = _item(InversionRecovery="YES" if timing.ti_ms else "NO", FlowCompensation="NONE")
    if timing.ti_ms:
        inversion.InversionTimes = [timing.ti_ms]
    item.MRModifierSequence = Sequence([inversion])
    item.MRReceiveCoilSequence = Sequence(
        [_item(ReceiveCoilName="Spine", ReceiveCoilType="MULTICOIL")]
    )
    item.MRTransmitCoilSequence = Sequence(
        [_item(TransmitCoilName="Body", TransmitCoilType="BODY")]
    )
    item.MRFOVGeometrySequence = Sequence(
        [
            _item(
                InPlanePhaseEncodingDirection="ROW",
                MRAcquisitionFrequencyEncodingSteps=plan.acquisition[1],
                MRAcquisitionPhaseEncodingStepsInPlane=plan.acquisition[0],
                PercentSampling=100,
                PercentPhaseFieldOfView=100,
            )
        ]
    )


def _frame_groups(study: Study, plan: SeriesPlan, geometry: Geometry, k: int) -> Dataset:
    item = Dataset()
    when = f"{study.spec.patient.study_date}{study.spec.patient.study_time}"
    item.FrameContentSequence = Sequence(
        [
            _item(
                FrameAcquisitionNumber=1,
                FrameReferenceDateTime=when,
                FrameAcquisitionDateTime=when,
                StackID="1",
                InStackPositionNumber=k + 1,
                DimensionIndexValues=[1, k + 1],
            )
        ]
    )
    position = [_ds(x) for x in geometry.position(k)]
    item.PlanePositionSequence = Sequence([_item(ImagePositionPatient=position)])
    frame_type = _item(
        FrameType=["ORIGINAL", "PRIMARY", "M", "NONE"],
        PixelPresentation="MONOCHROME",
        VolumetricProperties="VOLUME",
        VolumeBasedCalculationTechnique="NONE",
        ComplexImageComponent="MAGNITUDE",
        AcquisitionContrast=ACQUISITION_CONTRAST.get(plan.weighting, "UNKNOWN"),
    )
    item.MRImageFrameTypeSequence = Sequence([frame_type])
    return item


def _item(**values: object) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item
