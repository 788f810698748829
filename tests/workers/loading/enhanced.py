"""Enhanced (multi-frame) MR and CT files written with pydicom, geometry in functional groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import EnhancedCTImageStorage, EnhancedMRImageStorage

from tests.workers.loading.builders import (
    SeriesSpec,
    apply_tags,
    base_dataset,
    new_uid,
    normal_of,
    set_pixels,
    stored_pixels,
)

Macros = Mapping[str, Mapping[str, object]]

# Functional group macros of an inversion recovery with a short TI: a STIR.
STIR_MACROS: Macros = {
    "MRTimingAndRelatedParametersSequence": {"RepetitionTime": 4000.0},
    "MREchoSequence": {"EffectiveEchoTime": 60.0},
    "MRModifierSequence": {"InversionRecovery": "YES", "InversionTimes": [160.0]},
}


@dataclass(frozen=True)
class WrittenEnhanced:
    """One file; ``frame_numbers[k]`` is the 1-based frame holding the k-th slice by position."""

    path: Path
    sop_uid: str
    frame_numbers: list[int]
    pixels: NDArray[np.int32]


def write_enhanced(
    folder: Path,
    spec: SeriesSpec,
    shared_macros: Macros,
    frame_order: Sequence[int] | None = None,
    rescales: Sequence[tuple[float, float]] | None = None,
) -> WrittenEnhanced:
    """Write the spec's slices as frames of one enhanced file. ``frame_order[f]`` is the slice
    (by position) stored as frame f; ``rescales[f]`` its per-frame slope and intercept."""
    folder.mkdir(parents=True, exist_ok=True)
    pixels = stored_pixels(spec)
    order = list(frame_order) if frame_order is not None else list(range(spec.slices))
    sop_class = EnhancedCTImageStorage if spec.modality == "CT" else EnhancedMRImageStorage
    sop_uid = new_uid()
    ds = base_dataset(sop_class, sop_uid, spec.study_uid, spec.series_uid, spec.modality)
    ds.SeriesDescription = spec.description
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
    ds.NumberOfFrames = spec.slices
    ds.SharedFunctionalGroupsSequence = DicomSequence([_shared_groups(spec, shared_macros)])
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(
        [
            _frame_groups(spec, slice_index, rescales, frame)
            for frame, slice_index in enumerate(order)
        ]
    )
    set_pixels(ds, pixels[order], spec.bits, spec.signed)
    apply_tags(ds, spec.tags)
    path = folder / f"{sop_uid[-8:]}.dcm"
    ds.save_as(path, enforce_file_format=True)
    numbers = [order.index(slice_index) + 1 for slice_index in range(spec.slices)]
    return WrittenEnhanced(path, sop_uid, numbers, pixels)


def _item(**attributes: object) -> Dataset:
    item = Dataset()
    for keyword, value in attributes.items():
        setattr(item, keyword, value)
    return item


def _shared_groups(spec: SeriesSpec, macros: Macros) -> Dataset:
    groups = Dataset()
    groups.PixelMeasuresSequence = DicomSequence(
        [_item(PixelSpacing=list(spec.pixel_spacing_mm), SliceThickness=spec.slice_thickness_mm)]
    )
    groups.PlaneOrientationSequence = DicomSequence(
        [_item(ImageOrientationPatient=list(spec.orientation))]
    )
    for macro, attributes in macros.items():
        setattr(groups, macro, DicomSequence([_item(**attributes)]))
    return groups


def _frame_groups(
    spec: SeriesSpec,
    slice_index: int,
    rescales: Sequence[tuple[float, float]] | None,
    frame: int,
) -> Dataset:
    position = np.array(spec.origin_mm) + slice_index * spec.step_mm * normal_of(spec.orientation)
    groups = Dataset()
    groups.PlanePositionSequence = DicomSequence(
        [_item(ImagePositionPatient=[float(value) for value in position])]
    )
    groups.FrameContentSequence = DicomSequence([_item(InStackPositionNumber=slice_index + 1)])
    if rescales is not None:
        slope, intercept = rescales[frame]
        groups.PixelValueTransformationSequence = DicomSequence(
            [_item(RescaleSlope=slope, RescaleIntercept=intercept, RescaleType="HU")]
        )
    return groups
