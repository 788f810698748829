"""Where the spinal canal runs in an axial CT volume, slice by slice.

The canal is the soft-tissue hole of the bony ring: a pixel whose Hounsfield value is that of
fat, CSF or cord and that has bone close by in front (the vertebral body), behind (laminae,
spinous process) and on both sides (pedicles, articular pillars). The ring is only closed at
some heights of each vertebra, so the test is made on a coarse grid, the pixels that pass are
joined along z into the longest tube, and the path is interpolated and smoothed through the
discs and gaps. Everything later samples the volume along rays and boxes placed on this path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from workers.analysis.volume import CanonicalVolume

COARSE_PIXEL_MM = 2.4  # localisation grid: the canal (>= 10 mm across) spans several cells
COARSE_SLICE_MM = 2.0  # and every slice within this height is not needed to follow it
COLUMN_SAMPLE_STEP = 4  # every 4th voxel each way is enough to find the spine's column
BONE_HU = 250.0  # cortex (>= 500 HU) and dense cancellous bone; soft tissue, fat, disc stay below
CANAL_MAX_HU = 65.0  # canal contents (fat -100, CSF 10, cord 35, mass 50) against disc (>= 75)
AIR_HU = -400.0  # airways and lung are not the canal
SEARCH_HALF_WIDTH_MM = 42.0  # the canal lies within this of the spine's bony column
ANTERIOR_REACH_MM = 26.0  # body's back wall at most this far in front of a canal pixel
POSTERIOR_REACH_MM = 30.0  # laminae or spinous process at most this far behind
LATERAL_REACH_MM = 22.0  # pedicles or pillars at most this far to each side
Z_BRIDGE_MM = 28.0  # the ring is open over discs and between pedicles: bridge such gaps
CHAIN_STEP_MM = 9.0  # the canal centre moves less than this between pieces of the ring
PATH_SMOOTHING_MM = 8.0  # the canal bends over centimetres; pieces of the ring wobble per vertebra


@dataclass(frozen=True)
class CanalPath:
    """The canal centre on every slice, in full-resolution voxel units (y, x), and which
    slices the canal was actually seen on (the others are interpolated)."""

    y: NDArray[np.float64]
    x: NDArray[np.float64]
    seen: NDArray[np.bool_]


def spine_column_x(voxels: NDArray[np.float32]) -> int:
    """Column of the most bone over the volume: the spine lies on the midline."""
    step = COLUMN_SAMPLE_STEP
    sample = voxels[::step, ::step, ::step] > BONE_HU
    profile = ndimage.uniform_filter1d(sample.sum(axis=(0, 1)).astype(np.float64), 5)
    return int(np.argmax(profile)) * step + step // 2


def block_means(
    voxels: NDArray[np.float32], x_range: tuple[int, int], factor: int
) -> NDArray[np.float32]:
    """Mean HU over factor x factor in-plane blocks of columns x_range (all rows, all slices)."""
    z, rows, _ = voxels.shape
    x0, x1 = x_range
    x1 = x0 + (x1 - x0) // factor * factor
    rows = rows // factor * factor
    view = voxels[:, :rows, x0:x1].reshape(z, rows // factor, factor, (x1 - x0) // factor, factor)
    means: NDArray[np.float32] = view.mean(axis=(2, 4), dtype=np.float32)
    return means


def _bone_distance(bone: NDArray[np.bool_], axis: int, reverse: bool) -> NDArray[np.int32]:
    """Cells from each cell to the nearest bone cell before it along ``axis`` (after it when
    ``reverse``); large where there is none."""
    length = bone.shape[axis]
    shape = [1, 1, 1]
    shape[axis] = length
    index = np.arange(length, dtype=np.int32).reshape(shape)
    if reverse:
        flipped = np.flip(bone, axis=axis)
        last = np.maximum.accumulate(np.where(flipped, index, -(10**6)), axis=axis)
        return np.flip(index - last, axis=axis)
    last = np.maximum.accumulate(np.where(bone, index, -(10**6)), axis=axis)
    distance: NDArray[np.int32] = index - last
    return distance


def enclosed_soft_tissue(coarse: NDArray[np.float32], cell_mm: float) -> NDArray[np.bool_]:
    """Cells of canal-like HU with bone near in front, behind and on both sides."""
    bone = coarse > BONE_HU
    soft = (coarse < CANAL_MAX_HU) & (coarse > AIR_HU)
    front = _bone_distance(bone, 1, reverse=False) * cell_mm <= ANTERIOR_REACH_MM
    back = _bone_distance(bone, 1, reverse=True) * cell_mm <= POSTERIOR_REACH_MM
    right = _bone_distance(bone, 2, reverse=False) * cell_mm <= LATERAL_REACH_MM
    left = _bone_distance(bone, 2, reverse=True) * cell_mm <= LATERAL_REACH_MM
    result: NDArray[np.bool_] = soft & front & back & right & left
    return result


@dataclass(frozen=True)
class _Pieces:
    """Connected candidate cells of each slice: slice, centroid (coarse cells) and size."""

    z: NDArray[np.intp]
    y: NDArray[np.float64]
    x: NDArray[np.float64]
    cells: NDArray[np.int64]


def slice_pieces(candidates: NDArray[np.bool_]) -> _Pieces:
    in_plane = np.zeros((3, 3, 3), dtype=bool)
    in_plane[1] = ndimage.generate_binary_structure(2, 1)
    labels, count = ndimage.label(candidates, structure=in_plane)
    flat = labels.ravel()
    z, y, x = np.unravel_index(np.flatnonzero(flat), labels.shape)
    which = flat[flat > 0]
    cells = np.bincount(which, minlength=count + 1)[1:]
    safe = np.maximum(cells, 1)
    return _Pieces(
        z=(np.bincount(which, weights=z, minlength=count + 1)[1:] / safe).astype(np.intp),
        y=np.bincount(which, weights=y, minlength=count + 1)[1:] / safe,
        x=np.bincount(which, weights=x, minlength=count + 1)[1:] / safe,
        cells=cells,
    )


def longest_chain(pieces: _Pieces, bridge_slices: int, step_cells: float) -> list[int]:
    """Pieces on successive slices, each within ``step_cells`` of the one before and at most
    ``bridge_slices`` below it, covering as many slices as possible (longest path in a DAG)."""
    order = np.argsort(pieces.z, kind="stable")
    best = np.ones(order.size, dtype=np.int64)
    before = np.full(order.size, -1, dtype=np.int64)
    zs = pieces.z[order]
    for i in range(order.size):
        low = int(np.searchsorted(zs, zs[i] - bridge_slices, side="left"))
        high = int(np.searchsorted(zs, zs[i], side="left"))
        if high <= low:
            continue
        j = np.arange(low, high)
        near = np.hypot(
            pieces.y[order[j]] - pieces.y[order[i]], pieces.x[order[j]] - pieces.x[order[i]]
        )
        j = j[near <= step_cells]
        if j.size:
            k = int(j[np.argmax(best[j])])
            best[i], before[i] = best[k] + 1, k
    chain = []
    i = int(np.argmax(best)) if order.size else -1
    while i >= 0:
        chain.append(int(order[i]))
        i = int(before[i])
    return chain[::-1]


def canal_path(volume: CanonicalVolume) -> CanalPath | None:
    """Canal centre per slice, or None when no bony canal is found."""
    voxels = volume.voxels
    slice_mm, pixel_mm, _ = volume.spacing_mm
    factor = max(1, round(COARSE_PIXEL_MM / pixel_mm))
    cell_mm = factor * pixel_mm
    column = spine_column_x(voxels)
    half = round(SEARCH_HALF_WIDTH_MM / pixel_mm)
    x0 = max(0, column - half)
    x1 = min(voxels.shape[2], column + half)
    z_step = max(1, round(COARSE_SLICE_MM / slice_mm))
    coarse = block_means(voxels[::z_step], (x0, x1), factor)
    pieces = slice_pieces(enclosed_soft_tissue(coarse, cell_mm))
    bridge = max(1, round(Z_BRIDGE_MM / (slice_mm * z_step)))
    chain = longest_chain(pieces, bridge, CHAIN_STEP_MM / cell_mm)
    if len(chain) < 3:
        return None
    zs, ys, xs = pieces.z[chain] * z_step, pieces.y[chain], pieces.x[chain]
    seen = np.zeros(voxels.shape[0], dtype=bool)
    seen[zs] = True
    every = np.arange(voxels.shape[0])
    sigma = PATH_SMOOTHING_MM / slice_mm
    y = ndimage.gaussian_filter1d(np.interp(every, zs, ys), sigma, mode="nearest")
    x = ndimage.gaussian_filter1d(np.interp(every, zs, xs), sigma, mode="nearest")
    centre = (factor - 1) / 2
    return CanalPath(y=(y * factor + centre), x=(x * factor + centre + x0), seen=seen)
