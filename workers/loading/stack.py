"""Ordering the planes of a series into a regular stack, or saying why they do not form one.

Planes are sorted by their position along the slice normal (never by instance number or file
name), and the distance between slices comes from those positions: SliceThickness says how
thick a slice is, not how far apart slices are."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from workers.loading.errors import UnusableSeriesError
from workers.loading.frames import Frame

# Scanners round direction cosines; planes within this (about 0.06 degrees) are the same plane.
ORIENTATION_TOLERANCE = 1e-3
# Looser check that the row and column cosines are unit vectors at a right angle to each other.
UNIT_TOLERANCE = 1e-2
# Pixel spacings this close are the same; DS values carry rounding, not real differences.
SPACING_TOLERANCE_MM = 1e-3
# A series of at most this many images in several orientations is a (three-plane) localizer.
LOCALIZER_MAX_SLICES = 30
# Fewer slices than this are images, not a volume the heuristics can follow the canal through.
MIN_SLICES = 3
# Positions closer than this along the normal are the same slice (echoes, phases, repeats).
DUPLICATE_POSITION_MM = 0.01
# A step beyond these multiples of the median step means missing slices or interleaved stacks.
MAX_STEP_RATIO = 1.5
MIN_STEP_RATIO = 0.5
# Slice origins may drift off their line by rounding only: a tenth of a pixel at most.
MAX_MISALIGNMENT_PIXELS = 0.1
# Gantry tilt shears a CT stack by up to about 30 degrees; beyond that the positions are wrong.
MAX_SHEAR_DEG = 30.0


@dataclass(frozen=True)
class Stack:
    """Planes in volume order and the geometry ``Volume`` needs (see its docstring)."""

    frames: list[Frame]
    origin_mm: tuple[float, float, float]
    spacing_mm: tuple[float, float, float]
    axes: NDArray[np.float64]


def stack_frames(frames: list[Frame]) -> Stack:
    """A regular stack of the planes, sorted along the slice normal."""
    row, column = common_orientation(frames)
    if len(frames) < MIN_SLICES:
        raise UnusableSeriesError(
            f"only {len(frames)} slice(s): a volume needs at least {MIN_SLICES}"
        )
    if len({frame.shape for frame in frames}) > 1:
        raise UnusableSeriesError("slices differ in size (Rows, Columns)")
    pixel_spacings = np.array([frame.pixel_spacing_mm for frame in frames])
    if np.ptp(pixel_spacings, axis=0).max() > SPACING_TOLERANCE_MM or pixel_spacings.min() <= 0:
        raise UnusableSeriesError("slices differ in pixel spacing, or a spacing is not positive")
    normal = slice_normal(row, column)
    positions = np.array([frame.position_mm for frame in frames])
    order = np.argsort(positions @ normal, kind="stable")
    positions = positions[order]
    step_mm = _regular_step_mm(positions @ normal)
    stacking = _stacking_direction(positions, normal, float(pixel_spacings.min()))
    return Stack(
        frames=[frames[index] for index in order],
        origin_mm=(float(positions[0, 0]), float(positions[0, 1]), float(positions[0, 2])),
        # Along a sheared (tilted) stack the slices are further apart than along the normal.
        spacing_mm=(
            step_mm / float(stacking @ normal),
            float(pixel_spacings[0, 0]),
            float(pixel_spacings[0, 1]),
        ),
        axes=np.array([stacking, column, row]),
    )


def common_orientation(frames: list[Frame]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The row and column cosines every plane shares, normalised."""
    orientations = np.array([frame.orientation for frame in frames])
    distinct: list[NDArray[np.float64]] = []
    for orientation in orientations:
        if not any(np.abs(orientation - seen).max() <= ORIENTATION_TOLERANCE for seen in distinct):
            distinct.append(orientation)
    if len(distinct) > 1:
        if len(frames) <= LOCALIZER_MAX_SLICES:
            raise UnusableSeriesError(
                f"localizer: {len(frames)} slices in {len(distinct)} orientations"
            )
        raise UnusableSeriesError(f"slices in {len(distinct)} different orientations")
    row, column = orientations[0, :3], orientations[0, 3:]
    lengths = np.array([np.linalg.norm(row), np.linalg.norm(column)])
    if np.abs(lengths - 1).max() > UNIT_TOLERANCE or abs(row @ column) > UNIT_TOLERANCE:
        raise UnusableSeriesError("ImageOrientationPatient is not two perpendicular unit vectors")
    return row / lengths[0], column / lengths[1]


def slice_normal(row: NDArray[np.float64], column: NDArray[np.float64]) -> NDArray[np.float64]:
    """The unit normal of slices with these row and column cosines (DICOM's slice direction)."""
    normal = np.cross(row, column)
    unit: NDArray[np.float64] = normal / np.linalg.norm(normal)
    return unit


def _regular_step_mm(along_mm: NDArray[np.float64]) -> float:
    """The median distance between sorted slice positions, if every step is close to it."""
    steps = np.diff(along_mm)
    duplicates = int(np.count_nonzero(steps < DUPLICATE_POSITION_MM))
    if duplicates:
        raise UnusableSeriesError(
            f"{duplicates} slice(s) repeat a position already taken "
            "(several echoes, phases or repeats in one series)"
        )
    median = float(np.median(steps))
    if steps.max() > MAX_STEP_RATIO * median or steps.min() < MIN_STEP_RATIO * median:
        raise UnusableSeriesError(
            f"non-uniform stack: slice steps from {steps.min():.2f} to {steps.max():.2f} mm "
            f"around a median of {median:.2f} mm (missing slices or several stacks)"
        )
    return median


def _stacking_direction(
    positions: NDArray[np.float64], normal: NDArray[np.float64], pixel_mm: float
) -> NDArray[np.float64]:
    """The unit direction from the first slice origin to the last; every origin on that line."""
    span = positions[-1] - positions[0]
    direction: NDArray[np.float64] = span / np.linalg.norm(span)
    offsets = positions - positions[0]
    off_line = offsets - np.outer(offsets @ direction, direction)
    if np.linalg.norm(off_line, axis=1).max() > MAX_MISALIGNMENT_PIXELS * pixel_mm:
        raise UnusableSeriesError("slice origins do not lie on one line (shifted slices)")
    shear_deg = float(np.degrees(np.arccos(np.clip(direction @ normal, -1.0, 1.0))))
    if shear_deg > MAX_SHEAR_DEG:
        raise UnusableSeriesError(f"slices are sheared by {shear_deg:.0f} degrees")
    return direction
