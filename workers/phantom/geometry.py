"""Where a series' pixels are in the patient: the same quantities a scanner writes
(ImagePositionPatient, ImageOrientationPatient, PixelSpacing, slice spacing), and how a plan
(sagittal station, axial block, CT volume) is laid over the spine.

Directions are DICOM's: ``row_dir`` is the direction of increasing column index (the first three
values of ImageOrientationPatient), ``col_dir`` of increasing row index; slices are stacked
along ``row_dir x col_dir``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from workers.phantom.floats import Floats
from workers.phantom.spine import Spine

Vec = tuple[float, float, float]

MAX_AXIAL_TILT_DEG = 25.0  # scanners limit how far an axial block may be angled


@dataclass(frozen=True)
class Plane:
    """A grid of points: ``start + i * step_row + j * step_col`` for i < rows, j < cols."""

    start: NDArray[np.float64]
    step_row: NDArray[np.float64]
    step_col: NDArray[np.float64]
    rows: int
    cols: int

    def points(self, i: NDArray[np.floating], j: NDArray[np.floating]) -> Floats:
        """Points at (fractional) grid indices i, j (broadcast together) -> (..., 3)."""
        i32 = np.asarray(i, dtype=np.float32)[..., None]
        j32 = np.asarray(j, dtype=np.float32)[..., None]
        start = self.start.astype(np.float32)
        result: Floats = (
            start + i32 * self.step_row.astype(np.float32) + j32 * self.step_col.astype(np.float32)
        )
        return result


@dataclass(frozen=True)
class Geometry:
    origin: Vec  # centre of pixel (0, 0) of slice 0
    row_dir: Vec
    col_dir: Vec
    rows: int
    cols: int
    row_spacing_mm: float  # distance between rows (PixelSpacing[0])
    col_spacing_mm: float  # distance between columns (PixelSpacing[1])
    slices: int
    slice_spacing_mm: float
    slice_thickness_mm: float

    @property
    def normal(self) -> NDArray[np.float64]:
        return np.cross(np.asarray(self.row_dir), np.asarray(self.col_dir))

    def centre(self) -> NDArray[np.float64]:
        """LPS centre of the imaged slab."""
        return (
            self.position(0)
            + (self.slices - 1) / 2 * self.slice_spacing_mm * self.normal
            + (self.rows - 1) / 2 * self.row_spacing_mm * np.asarray(self.col_dir)
            + (self.cols - 1) / 2 * self.col_spacing_mm * np.asarray(self.row_dir)
        )

    def position(self, k: int) -> NDArray[np.float64]:
        """ImagePositionPatient of slice k."""
        return np.asarray(self.origin) + k * self.slice_spacing_mm * self.normal

    def plane(self, k: int, rows: int, cols: int, offset_mm: float = 0.0) -> Plane:
        """Slice k's field of view sampled on a rows x cols grid whose first sample is pixel
        (0, 0) (as k-space zero-filling places it), shifted ``offset_mm`` along the normal
        (for sampling within the slice's thickness)."""
        start = self.position(k) + offset_mm * self.normal
        step_row = np.asarray(self.col_dir) * self.row_spacing_mm * self.rows / rows
        step_col = np.asarray(self.row_dir) * self.col_spacing_mm * self.cols / cols
        return Plane(start, step_row, step_col, rows, cols)

    def to_pixel(self, point: NDArray[np.floating]) -> tuple[float, float, float]:
        """(slice, row, column) of an LPS point, fractional."""
        d = np.asarray(point, dtype=float) - np.asarray(self.origin)
        k = float(d @ self.normal) / self.slice_spacing_mm
        r = float(d @ np.asarray(self.col_dir)) / self.row_spacing_mm
        c = float(d @ np.asarray(self.row_dir)) / self.col_spacing_mm
        return k, r, c

    def contains(self, point: NDArray[np.floating], margin_mm: float = 0.0) -> bool:
        """Whether an LPS point lies within the imaged slab and field of view."""
        k, r, c = self.to_pixel(point)
        mk = margin_mm / self.slice_spacing_mm
        mr, mc = margin_mm / self.row_spacing_mm, margin_mm / self.col_spacing_mm
        half = 0.5 * self.slice_thickness_mm / self.slice_spacing_mm
        return (
            -half + mk <= k <= self.slices - 1 + half - mk
            and -0.5 + mr <= r <= self.rows - 0.5 - mr
            and -0.5 + mc <= c <= self.cols - 0.5 - mc
        )


def rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> NDArray[np.float64]:
    """Rotation about z, then y, then x (small obliquities of a planned slab)."""
    a, b, c = np.radians([yaw_deg, pitch_deg, roll_deg])
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rx = np.array([[1, 0, 0], [0, np.cos(c), -np.sin(c)], [0, np.sin(c), np.cos(c)]])
    result: NDArray[np.float64] = rx @ ry @ rz
    return result


def centred(
    centre: NDArray[np.float64],
    row_dir: NDArray[np.float64],
    col_dir: NDArray[np.float64],
    *,
    size: tuple[int, int, int],
    spacing: tuple[float, float, float],
    thickness_mm: float,
) -> Geometry:
    """A slab of ``size`` = (slices, rows, cols) with ``spacing`` = (slice, row, col) mm whose
    middle is at ``centre``."""
    slices, rows, cols = size
    ds, dr, dc = spacing
    normal = np.cross(row_dir, col_dir)
    origin = (
        centre
        - (slices - 1) / 2 * ds * normal
        - (rows - 1) / 2 * dr * col_dir
        - (cols - 1) / 2 * dc * row_dir
    )
    return Geometry(
        origin=_vec(origin),
        row_dir=_vec(row_dir),
        col_dir=_vec(col_dir),
        rows=rows,
        cols=cols,
        row_spacing_mm=dr,
        col_spacing_mm=dc,
        slices=slices,
        slice_spacing_mm=ds,
        slice_thickness_mm=thickness_mm,
    )


def sagittal_axes(
    yaw_deg: float, roll_deg: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Row and column directions of a sagittal slab: columns run to the back, rows to the
    feet (as scanners write ``0\\1\\0\\0\\0\\-1``), turned by a few degrees of obliquity."""
    turn = rotation(yaw_deg, 0.0, roll_deg)
    return turn @ np.array([0.0, 1.0, 0.0]), turn @ np.array([0.0, 0.0, -1.0])


def axial_axes(spine: Spine, s: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Row and column directions of an axial block angled to the spine at height s (columns
    to the patient's left, rows to the back), within what a scanner allows."""
    posterior = spine.posterior(s)
    tilt = np.degrees(np.arctan2(posterior[2], posterior[1]))
    tilt = float(np.clip(tilt, -MAX_AXIAL_TILT_DEG, MAX_AXIAL_TILT_DEG))
    t = np.radians(tilt)
    return np.array([1.0, 0.0, 0.0]), np.array([0.0, np.cos(t), np.sin(t)])


def _vec(a: NDArray[np.floating]) -> Vec:
    return (float(a[0]), float(a[1]), float(a[2]))
