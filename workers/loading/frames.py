"""Every image plane of a series, with where it lies and how to scale its stored values.

A classic file holds one plane whose geometry is at the top level of its header; an enhanced
multi-frame file holds many, each described by its functional groups. Both become ``Frame``
records, so that the stacking code never needs to know which kind of file a plane came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workers.loading.errors import UnusableSeriesError
from workers.loading.functional_groups import frame_value, is_enhanced
from workers.loading.headers import Instance


@dataclass(frozen=True)
class Frame:
    """One plane: ``frame_index`` is 0-based within its file, ``frame_number`` the 1-based
    DICOM frame number (None for a single-frame file)."""

    path: Path
    sop_instance_uid: str
    frame_index: int
    frame_number: int | None
    position_mm: tuple[float, ...]  # ImagePositionPatient: x, y, z
    orientation: tuple[float, ...]  # ImageOrientationPatient: row cosines, column cosines
    pixel_spacing_mm: tuple[float, ...]  # PixelSpacing: between rows, between columns
    shape: tuple[int, int]
    rescale: tuple[float, float]


def frames_of(instance: Instance) -> list[Frame]:
    """The planes of one file, in the order their pixels are stored."""
    header = instance.header
    count = _int(header.get("NumberOfFrames"), default=1)
    if count > 1 and not is_enhanced(header):
        raise UnusableSeriesError(
            "multi-frame image without functional groups: no per-frame geometry"
        )
    try:
        shape = (int(header.Rows), int(header.Columns))
    except (AttributeError, TypeError, ValueError) as error:
        raise UnusableSeriesError("image size (Rows, Columns) is missing") from error
    enhanced = is_enhanced(header)
    return [_frame(instance, index, shape, enhanced) for index in range(count)]


def _frame(instance: Instance, index: int, shape: tuple[int, int], enhanced: bool) -> Frame:
    header = instance.header
    position = _floats(
        frame_value(header, index, "PlanePositionSequence", "ImagePositionPatient"),
        3,
        "ImagePositionPatient",
    )
    orientation = _floats(
        frame_value(header, index, "PlaneOrientationSequence", "ImageOrientationPatient"),
        6,
        "ImageOrientationPatient",
    )
    spacing = _floats(
        frame_value(header, index, "PixelMeasuresSequence", "PixelSpacing"), 2, "PixelSpacing"
    )
    slope = frame_value(header, index, "PixelValueTransformationSequence", "RescaleSlope")
    intercept = frame_value(header, index, "PixelValueTransformationSequence", "RescaleIntercept")
    return Frame(
        path=instance.path,
        sop_instance_uid=instance.sop_instance_uid,
        frame_index=index,
        frame_number=index + 1 if enhanced else None,
        position_mm=position,
        orientation=orientation,
        pixel_spacing_mm=spacing,
        shape=shape,
        rescale=(_float(slope, 1.0, "RescaleSlope"), _float(intercept, 0.0, "RescaleIntercept")),
    )


def _floats(value: Any, count: int, keyword: str) -> tuple[float, ...]:
    """A multi-valued number attribute; geometry cannot be guessed, so a bad one rejects."""
    if value is None:
        raise UnusableSeriesError(f"{keyword} is missing: the slice geometry is unknown")
    try:
        numbers = tuple(float(item) for item in value)
    except (TypeError, ValueError) as error:
        raise UnusableSeriesError(f"{keyword} is not a list of numbers") from error
    if len(numbers) != count:
        raise UnusableSeriesError(f"{keyword} has {len(numbers)} values instead of {count}")
    return numbers


def _float(value: Any, default: float, keyword: str) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise UnusableSeriesError(f"{keyword} is not a number") from error


def _int(value: Any, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default
