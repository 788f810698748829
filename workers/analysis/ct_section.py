"""The canal's cross-section on every slice, sampled along rays from its centre.

Rays run out from the canal centre every few degrees; the bony wall on a ray is where the HU
first rises to bone. Where the ring is open (discs, foramina) the wall is taken from the
nearest slices where it is closed at that angle. Inside the wall, each sample is fat, CSF or
dense soft tissue (cord, roots, epidural mass); their areas and the run of dense tissue that
lines the wall are what the epidural reading compares between levels. Sampling rays instead
of the whole slice keeps the work to a few hundred thousand points for the whole series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from workers.analysis.ct_canal import CanalPath
from workers.analysis.volume import CanonicalVolume

RAY_COUNT = 36  # every 10 degrees: under 2 mm of arc at the wall of a 20 mm canal
RAY_STEP_MM = 0.5
RAY_LENGTH_MM = 19.0  # beyond the widest canal half-width (lumbar, about 13 mm)
SMOOTHING = (1.0, 1.0, 1.0)  # slices, rays, steps: noise down about fivefold, edges kept
WALL_HU = 220.0  # cortex and marrow are above; fat, CSF, cord, masses, disc are below
WALL_MIN_MM = 3.0  # a wall closer than this to the centre is the path missing the canal
FAT_MAX_HU = -30.0  # epidural fat (about -100) against CSF (about 10)
DENSE_MIN_HU = 24.0  # cord, roots and masses (35..50) against CSF (about 10)
EDGE_MM = 1.0  # samples this close to the wall carry the bone's blur
WALL_JUMP_MM = 3.0  # a wall this much beyond its usual distance is bone beyond a gap
TYPICAL_WALL_SLICES = 41  # the usual wall distance of a ray: its median over this many slices


@dataclass(frozen=True)
class Sections:
    """Per slice (axis 0) and ray (axis 1): the wall distance (mm) and the run of dense tissue
    lining it (mm); per slice: areas (mm2) of fat, CSF and dense tissue inside the wall."""

    angles_rad: NDArray[np.float64]  # 0 towards the back, +90 deg towards the patient's left
    wall_mm: NDArray[np.float64]
    wall_seen: NDArray[np.bool_]
    lining_mm: NDArray[np.float64]
    fat_mm2: NDArray[np.float64]
    csf_mm2: NDArray[np.float64]
    dense_mm2: NDArray[np.float64]


def ray_samples(
    volume: CanonicalVolume, path: CanalPath, angles: NDArray[np.float64]
) -> NDArray[np.float32]:
    """Trilinear HU samples (slice, ray, step) along the rays of every slice."""
    _, pixel_y, pixel_x = volume.spacing_mm
    radii = np.arange(0.0, RAY_LENGTH_MM, RAY_STEP_MM)
    dy = np.cos(angles)[:, None] * radii[None, :] / pixel_y
    dx = np.sin(angles)[:, None] * radii[None, :] / pixel_x
    slices = volume.voxels.shape[0]
    z = np.broadcast_to(np.arange(slices, dtype=np.float64)[:, None, None], (slices, *dy.shape))
    y = path.y[:, None, None] + dy[None]
    x = path.x[:, None, None] + dx[None]
    samples = ndimage.map_coordinates(
        volume.voxels, np.stack([z.ravel(), y.ravel(), x.ravel()]), order=1, mode="nearest"
    )
    shaped: NDArray[np.float32] = samples.reshape(z.shape).astype(np.float32)
    return shaped


def _typical_wall(wall: NDArray[np.float64]) -> NDArray[np.float64]:
    """Running median of each ray's wall distance over neighbouring slices (NaN: open)."""
    half = TYPICAL_WALL_SLICES // 2
    padded = np.pad(wall, ((half, half), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, TYPICAL_WALL_SLICES, axis=0)
    with np.errstate(all="ignore"):
        counts = np.sum(~np.isnan(windows), axis=2)
        typical = np.nanmedian(np.where(counts[..., None] > 0, windows, 0.0), axis=2)
        typical = np.where(counts > 0, typical, np.nan)
    result: NDArray[np.float64] = np.where(np.isnan(typical), RAY_LENGTH_MM, typical)
    return result


def _fill_open_walls(wall: NDArray[np.float64], seen: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Walls of open rays from the nearest slices where that ray met bone."""
    filled = wall.copy()
    every = np.arange(wall.shape[0])
    for ray in range(wall.shape[1]):
        closed = np.flatnonzero(seen[:, ray])
        if closed.size:
            filled[:, ray] = np.interp(every, closed, wall[closed, ray])
        else:
            filled[:, ray] = np.nan
    return filled


def sections(volume: CanonicalVolume, path: CanalPath) -> Sections:
    angles = np.linspace(0.0, 2 * np.pi, RAY_COUNT, endpoint=False)
    hu = ndimage.gaussian_filter(
        ray_samples(volume, path, angles), SMOOTHING, mode=("nearest", "wrap", "nearest")
    )
    bone = hu > WALL_HU
    hits = bone.any(axis=2)
    first = np.argmax(bone, axis=2)
    wall = first * RAY_STEP_MM
    seen = hits & (wall >= WALL_MIN_MM)
    seen &= wall <= _typical_wall(np.where(seen, wall, np.nan)) + WALL_JUMP_MM
    filled = _fill_open_walls(np.where(seen, wall, np.nan), seen)
    filled = np.where(np.isnan(filled), np.nanmedian(filled) if seen.any() else 0.0, filled)
    radii = np.arange(hu.shape[2]) * RAY_STEP_MM
    inside = radii[None, None, :] < (filled[..., None] - EDGE_MM)
    ring_mm2 = radii * RAY_STEP_MM * (2 * np.pi / RAY_COUNT)
    fat = inside & (hu < FAT_MAX_HU)
    dense = inside & (hu >= DENSE_MIN_HU)
    csf = inside & ~fat & ~dense
    return Sections(
        angles_rad=angles,
        wall_mm=filled,
        wall_seen=seen,
        lining_mm=_lining(dense, filled),
        fat_mm2=(fat * ring_mm2).sum(axis=(1, 2)),
        csf_mm2=(csf * ring_mm2).sum(axis=(1, 2)),
        dense_mm2=(dense * ring_mm2).sum(axis=(1, 2)),
    )


def _lining(dense: NDArray[np.bool_], wall_mm: NDArray[np.float64]) -> NDArray[np.float64]:
    """Length of the unbroken run of dense samples that ends at the wall on each ray."""
    steps = dense.shape[2]
    last = np.clip(np.floor((wall_mm - EDGE_MM) / RAY_STEP_MM).astype(np.intp) - 1, 0, steps - 1)
    index = np.arange(steps)
    # the last non-dense sample at or before the wall's edge ends the run
    gap = np.where(~dense & (index[None, None, :] <= last[..., None]), index, -1)
    start = gap.max(axis=2)
    run = (last - start).clip(min=0) * RAY_STEP_MM
    result: NDArray[np.float64] = run.astype(np.float64)
    return result
