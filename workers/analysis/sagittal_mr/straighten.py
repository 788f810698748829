"""The canal straightened: each canonical row resampled along the line through the canal's centre
perpendicular to it, so that front-to-back distances are true depths whatever the curve.

Row z of a straightened image is the canal at canonical row z; column j is ``u_mm[j]`` from the
canal's centre, negative towards the front (vertebral bodies), positive towards the back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from workers.analysis.sagittal_mr.canal import CanalPath

Floats = NDArray[np.float64]

DEPTH_STEP_MM = 0.5  # finer than any in-plane pixel of a spine series
FRONT_REACH_MM = 45.0  # through the vertebral body
BACK_REACH_MM = 25.0  # through the laminae


@dataclass(frozen=True)
class Straightened:
    """Samples ``values[z, j]`` at depth ``u_mm[j]`` across the canal at row z."""

    values: Floats
    u_mm: Floats

    def between(self, low_mm: float, high_mm: float) -> Floats:
        """The columns whose depth lies from ``low_mm`` to ``high_mm``."""
        chosen = (self.u_mm >= low_mm) & (self.u_mm <= high_mm)
        part: Floats = self.values[:, chosen]
        return part

    def scaled(self, factor: float) -> Straightened:
        """The same samples multiplied by ``factor``."""
        return Straightened(values=self.values * factor, u_mm=self.u_mm)


def depth_axis() -> Floats:
    axis: Floats = np.arange(-FRONT_REACH_MM, BACK_REACH_MM + DEPTH_STEP_MM / 2, DEPTH_STEP_MM)
    return axis


def sample_points(path: CanalPath, u_mm: Floats) -> tuple[Floats, Floats]:
    """Fractional (z, y) pixel coordinates of every (row, depth) sample."""
    step_z, step_y = _normal_steps(path)
    rows = np.arange(path.y.size, dtype=float)
    z = rows[:, None] + u_mm[None, :] * step_z[:, None]
    y = path.y[:, None] + u_mm[None, :] * step_y[:, None]
    return z, y


def points_at(path: CanalPath, rows: NDArray[np.intp], u_mm: Floats) -> Floats:
    """Fractional canonical (z, y, x) voxels, one per row, at depth ``u_mm`` on row ``rows``
    of the midline slice's straightened canal."""
    step_z, step_y = _normal_steps(path)
    z = rows + u_mm * step_z[rows]
    y = path.y[rows] + u_mm * step_y[rows]
    return np.stack([z, y, path.x[rows].astype(float)], axis=1)


def _normal_steps(path: CanalPath) -> tuple[Floats, Floats]:
    """Per row, the pixels (z, y) one millimetre along the canal's posterior normal moves."""
    dz, dy, _ = path.spacing_mm
    slope = path.slope()
    norm = np.sqrt(1.0 + slope**2)
    return -slope / norm / dz, 1.0 / norm / dy


def straighten(voxels: NDArray[np.float32], path: CanalPath, x_offset: int = 0) -> Straightened:
    """The straightened canal on the midline slice shifted by ``x_offset`` slices."""
    u_mm = depth_axis()
    z, y = sample_points(path, u_mm)
    x = np.clip(path.x + x_offset, 0, voxels.shape[2] - 1)
    # x is whole on every row: only the slices the path visits are read
    first, stop = int(x.min()), int(x.max()) + 1
    x_grid = np.broadcast_to((x - first)[:, None].astype(float), z.shape)
    slab = np.ascontiguousarray(voxels[:, :, first:stop], dtype=np.float32)
    values = ndimage.map_coordinates(slab, [z, y, x_grid], order=1, mode="nearest")
    return Straightened(values=values.astype(float), u_mm=u_mm)
