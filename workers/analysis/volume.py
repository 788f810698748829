"""A series as voxels placed in the patient, and the same voxels in the spine's own axes.

The loader builds a ``Volume`` in the order the scanner wrote it; the heuristics read its
``canonical()`` view: axis 0 from head to feet, axis 1 from front to back, axis 2 from the
patient's right to left, whatever the acquisition plane. Reorienting only permutes and flips
axes (no resampling, no copy), so every canonical voxel maps back to a source slice, row and
column for the key image."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

# Canonical axis directions in DICOM patient coordinates (LPS: +x left, +y posterior, +z head).
_CANONICAL_DIRECTIONS = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
# The LPS component each canonical axis follows: axis 0 along z, axis 1 along y, axis 2 along x.
_CANONICAL_COMPONENT = (2, 1, 0)


@dataclass(frozen=True)
class Volume:
    """Voxels of one series with their geometry, in DICOM patient coordinates (LPS, mm).

    ``voxels[k, i, j]`` is slice k, row i, column j; it sits at
    ``origin_mm + k*spacing_mm[0]*axes[0] + i*spacing_mm[1]*axes[1] + j*spacing_mm[2]*axes[2]``.
    ``axes[0]`` is the direction in which slices are stacked, ``axes[1]`` the direction of
    increasing row (DICOM's column cosines), ``axes[2]`` of increasing column (row cosines).
    CT voxels are in Hounsfield units, MR voxels in the scanner's units after rescale."""

    voxels: NDArray[np.float32]
    spacing_mm: tuple[float, float, float]
    origin_mm: tuple[float, float, float]
    axes: NDArray[np.float64] = field(repr=False)

    def __post_init__(self) -> None:
        if self.voxels.ndim != 3:
            raise ValueError(f"voxels: expected 3 dimensions, got shape {self.voxels.shape}")
        if self.axes.shape != (3, 3):
            raise ValueError(f"axes: expected shape (3, 3), got {self.axes.shape}")
        if min(self.spacing_mm) <= 0:
            raise ValueError(f"spacing_mm: must be positive, got {self.spacing_mm}")

    def position_mm(
        self, index: tuple[float, float, float] | NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Patient position (LPS, mm) of a voxel index (slice, row, column), or of each row of
        an array of them."""
        steps = np.asarray(index, dtype=float) * np.asarray(self.spacing_mm)
        position: NDArray[np.float64] = np.asarray(self.origin_mm) + steps @ self.axes
        return position

    def index_at(self, position_mm: NDArray[np.float64]) -> NDArray[np.float64]:
        """Fractional voxel index (slice, row, column) of patient positions (LPS, mm; one per
        row of ``position_mm``)."""
        steps = self.axes * np.asarray(self.spacing_mm)[:, None]
        offsets = np.atleast_2d(position_mm) - np.asarray(self.origin_mm)
        index: NDArray[np.float64] = np.linalg.solve(steps.T, offsets.T).T
        return index

    def canonical(self) -> CanonicalVolume:
        """The same voxels in head-to-feet, front-to-back, right-to-left order."""
        source_for: list[int] = [-1, -1, -1]
        flipped = [False, False, False]
        for source_axis, direction in enumerate(self.axes):
            component = int(np.argmax(np.abs(direction)))
            canonical_axis = _CANONICAL_COMPONENT.index(component)
            if source_for[canonical_axis] >= 0:
                raise ValueError(
                    "axes: two axes of the series run along the same patient axis; "
                    "the series is too oblique to reorient"
                )
            source_for[canonical_axis] = source_axis
            flipped[canonical_axis] = float(direction @ _CANONICAL_DIRECTIONS[canonical_axis]) < 0
        voxels = np.transpose(self.voxels, source_for)
        for axis, flip in enumerate(flipped):
            if flip:
                voxels = np.flip(voxels, axis=axis)
        return CanonicalVolume(
            voxels=voxels,
            spacing_mm=(
                self.spacing_mm[source_for[0]],
                self.spacing_mm[source_for[1]],
                self.spacing_mm[source_for[2]],
            ),
            source_axes=(source_for[0], source_for[1], source_for[2]),
            flipped=(flipped[0], flipped[1], flipped[2]),
            obliquity_deg=obliquity_deg(self.axes),
            source_shape=(self.voxels.shape[0], self.voxels.shape[1], self.voxels.shape[2]),
        )


@dataclass(frozen=True)
class CanonicalVolume:
    """Voxels indexed ``[z, y, x]``: z from head to feet, y from front to back, x from the
    patient's right to left; ``spacing_mm`` in that order."""

    voxels: NDArray[np.float32]
    spacing_mm: tuple[float, float, float]
    source_axes: tuple[int, int, int]
    flipped: tuple[bool, bool, bool]
    obliquity_deg: float
    source_shape: tuple[int, int, int]

    def source_index(self, index: tuple[int, int, int]) -> tuple[int, int, int]:
        """The source (slice, row, column) of a canonical (z, y, x) voxel."""
        source = self.source_points(np.array([index], dtype=float))[0]
        return (round(source[0]), round(source[1]), round(source[2]))

    def source_points(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """Source (slice, row, column) of fractional canonical (z, y, x) points, one per row."""
        source = np.empty_like(points)
        for axis in range(3):
            values = points[:, axis]
            length = self.voxels.shape[axis]
            source[:, self.source_axes[axis]] = (
                length - 1 - values if self.flipped[axis] else values
            )
        return source


def obliquity_deg(axes: NDArray[np.float64]) -> float:
    """Largest angle between an axis of the series and the patient axis nearest to it."""
    cosines = np.clip(np.max(np.abs(axes), axis=1), -1.0, 1.0)
    return float(np.degrees(np.arccos(cosines.min())))
