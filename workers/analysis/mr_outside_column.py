"""The column of vertebral bodies on a sagittal MR series, found simply enough for the readers of
masses beside and in front of it: per canonical z, which sagittal slice holds the midline and
where the bodies' front and back are.

Vertebral bodies alternate with discs along the spine, and each body is closed by endplates:
nothing else near the midline changes as often from head to feet. The energy of the z-gradient,
relative to the local brightness (so that coil shading and the weighting do not matter) and
pooled over a few centimetres of z, is therefore highest along the body column whatever the
contrast. The reader works on a copy downsampled in-plane to about one millimetre."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from workers.analysis.blocks import strided_sum
from workers.analysis.volume import CanonicalVolume

Floats = NDArray[np.float32]

Z_PIXEL_MM = 1.0  # working z pixel: endplates and discs are a few mm thick
Y_PIXEL_MM = 2.0  # working y pixel: bodies are wide in y, and masses are 10 mm or more
AIR_FRACTION = 0.1  # locally darker than this fraction of the bright tissue is air or lung
BRIGHT_PERCENTILE = 99.0  # the series' bright tissue, robust to a few hot pixels
LOCAL_MEAN_MM = 8.0  # brightness the z-gradient is compared with
PRESMOOTH_MM = (0.7, 3.0)  # noise averaged away along z and y before the z-gradient
ENERGY_POOL_MM = (12.0, 2.0)  # pooling of the gradient energy along z and y
ENERGY_POOL_SLICES = 0.7  # and across sagittal slices
POOL_BLOCK = 4  # the pooled energy lives on a grid this many working z pixels coarser
# numpy sums fewer than this many values in order, more of them pairwise: only below it does
# an in-order sum reproduce its mean exactly
PAIRWISE_MIN = 8
CENTRAL_SLICE_SHARE = 0.6  # the midline lies in the central slices
MAX_STEP_MM_PER_MM = 0.6  # the column's course: at most this much y per mm of z
STEP_PENALTY = 0.3  # of the median energy, per working pixel of y the course moves
EDGE_FRACTION = 0.5  # the column's edges are where its energy falls to half the peak
MAX_BODY_DEPTH_MM = 45.0  # a body plus its edge blur is never deeper than this
MIDLINE_SMOOTH_MM = 40.0  # scoliosis bends slowly
CENTRE_PRIOR_MM = 15.0  # sagittal stations are centred on the spine, give or take scoliosis
MIDLINE_PLATEAU = 0.6  # the midline is the centre of the slices this close to the peak
PROFILE_HALF_DEPTH_MM = 5.0  # the bodies' middle: this far either side of their centre
PROFILE_HIGHPASS_MM = 8.0  # the body-disc alternation, without the slow trend
PROFILE_POOL_MM = 12.0  # correlation pooled over about half a level
BODY_CORRELATION = 0.3  # slices through a body follow the midline's alternation this well
EDGE_SMOOTH_MM = 30.0  # the bodies' width changes slowly along the spine
SEEN_FRACTION = 0.5  # rows whose column energy is below this of the median hold no column


@dataclass(frozen=True)
class Working:
    """The series downsampled in-plane: voxels[z, y, x] with spacing_mm in that order."""

    voxels: Floats
    spacing_mm: tuple[float, float, float]
    factor: tuple[int, int]  # canonical z and y index = working index * factor


@dataclass(frozen=True)
class Column:
    """Per working z: the midline slice, the bodies' front and back (working y), and whether
    the column was seen there at all."""

    midline_x: NDArray[np.int64]
    front_y: Floats
    back_y: Floats
    seen: NDArray[np.bool_]
    right_edge_x: NDArray[np.int64]  # the outermost slice through the bodies, patient's right
    left_edge_x: NDArray[np.int64]  # and left


def working_copy(volume: CanonicalVolume) -> Working:
    """Block-average z and y to about ``Z_PIXEL_MM`` and ``Y_PIXEL_MM``."""
    dz, dy, dx = volume.spacing_mm
    fz = max(1, round(Z_PIXEL_MM / dz))
    fy = max(1, round(Y_PIXEL_MM / dy))
    z, y, x = volume.voxels.shape
    cut = np.asarray(volume.voxels[: z // fz * fz, : y // fy * fy], np.float32)
    if fz == 1 and fy < PAIRWISE_MIN:
        blocks = strided_sum(cut, 1, fy) / np.float32(fy)
    else:
        blocks = cut.reshape(z // fz, fz, y // fy, fy, x).mean(axis=(1, 3))
    return Working(blocks.astype(np.float32, copy=False), (dz * fz, dy * fy, dx), (fz, fy))


def column_energy(working: Working, first: int, last: int) -> Floats:
    """Pooled z-gradient energy of slices first..last-1 relative to local brightness, on a
    grid coarsened ``POOL_BLOCK`` times along z; zero in air and lung."""
    dz, dy, _ = working.spacing_mm
    voxels = working.voxels[:, :, first:last]
    smooth = ndimage.gaussian_filter(voxels, (PRESMOOTH_MM[0] / dz, PRESMOOTH_MM[1] / dy, 0))
    gradient = np.abs(np.diff(smooth, axis=0))
    coarse_gradient = _block_mean(gradient)
    coarse = _block_mean(smooth[1:])
    coarse_dz = dz * POOL_BLOCK
    local = ndimage.gaussian_filter(coarse, (LOCAL_MEAN_MM / coarse_dz, LOCAL_MEAN_MM / dy, 0))
    bright = float(np.percentile(coarse, BRIGHT_PERCENTILE))
    ratio = coarse_gradient / np.maximum(local, 1e-3 * bright)
    ratio[local < AIR_FRACTION * bright] = 0.0
    pool_z, pool_y = ENERGY_POOL_MM
    energy: Floats = ndimage.gaussian_filter(
        ratio, (pool_z / coarse_dz, pool_y / dy, ENERGY_POOL_SLICES)
    ).astype(np.float32)
    return energy


def _block_mean(values: Floats) -> Floats:
    n = values.shape[0] // POOL_BLOCK * POOL_BLOCK
    blocks: Floats = values[:n].reshape(-1, POOL_BLOCK, *values.shape[1:]).mean(axis=1)
    return blocks


def find_column(working: Working) -> Column:
    n_z, _, n_x = working.voxels.shape
    first = int(n_x * (1 - CENTRAL_SLICE_SHARE) / 2)
    energy = column_energy(working, first, n_x - first)
    dz, dy, dx = working.spacing_mm
    coarse_dz = dz * POOL_BLOCK
    offset_mm = (np.arange(first, n_x - first) - (n_x - 1) / 2) * dx
    centred = np.exp(-0.5 * (offset_mm / CENTRE_PRIOR_MM) ** 2).astype(np.float32)
    projected = (energy * centred).max(axis=2)
    course = _course(projected, max(1, int(MAX_STEP_MM_PER_MM * coarse_dz / dy + 0.5)))
    rows = np.arange(energy.shape[0])
    along = ndimage.gaussian_filter1d(
        energy[rows, course, :] * centred, MIDLINE_SMOOTH_MM / coarse_dz, axis=0
    )
    plateau = np.where(along >= MIDLINE_PLATEAU * along.max(axis=1, keepdims=True), along, 0.0)
    weights = plateau / np.maximum(plateau.sum(axis=1, keepdims=True), 1e-12)
    midline = first + np.rint(weights @ np.arange(n_x - 2 * first)).astype(np.int64)
    plane = energy[rows, :, midline - first]
    front, back = _edges(plane, course, MAX_BODY_DEPTH_MM / dy)
    strength = plane[rows, course]
    seen = strength >= SEEN_FRACTION * float(np.median(strength))
    centres = (rows + 0.5) * POOL_BLOCK
    fine = np.arange(n_z)
    midline_fine = np.rint(np.interp(fine, centres, midline)).astype(np.int64)
    front_fine = np.interp(fine, centres, front).astype(np.float32)
    back_fine = np.interp(fine, centres, back).astype(np.float32)
    right, left = body_edges(
        working, midline_fine, ((front_fine + back_fine) / 2).astype(np.float32)
    )
    return Column(
        midline_fine,
        front_fine,
        back_fine,
        np.interp(fine, centres, seen.astype(float)) > 0.5,
        right,
        left,
    )


def body_edges(
    working: Working, midline: NDArray[np.int64], centre_y: Floats
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The outermost slices on each side whose brightness along z, through the bodies' middle,
    rises and falls with the midline slice's (body against disc): they cut the bodies."""
    n_z, n_y, n_x = working.voxels.shape
    dz, dy, _ = working.spacing_mm
    reach = max(1, int(PROFILE_HALF_DEPTH_MM / dy))
    rows = np.arange(n_z)
    ys = np.clip(
        np.rint(centre_y).astype(np.int64)[:, None] + np.arange(-reach, reach + 1), 0, n_y - 1
    )
    profiles = working.voxels[rows[:, None], ys, :].mean(axis=1)  # (z, x)
    varying = profiles - ndimage.gaussian_filter1d(profiles, PROFILE_HIGHPASS_MM / dz, axis=0)
    reference = varying[rows, midline][:, None]
    pool = PROFILE_POOL_MM / dz
    shared = ndimage.gaussian_filter1d(varying * reference, pool, axis=0)
    power = ndimage.gaussian_filter1d(varying * varying, pool, axis=0)
    own = ndimage.gaussian_filter1d(reference * reference, pool, axis=0)
    correlation = shared / np.sqrt(np.maximum(power * own, 1e-12))
    body = correlation >= BODY_CORRELATION
    right = np.zeros(n_z, dtype=np.int64)
    left = np.zeros(n_z, dtype=np.int64)
    for z in range(n_z):
        x = int(midline[z])
        while x > 0 and body[z, x - 1]:
            x -= 1
        right[z] = x
        x = int(midline[z])
        while x < n_x - 1 and body[z, x + 1]:
            x += 1
        left[z] = x
    size = max(1, int(EDGE_SMOOTH_MM / dz)) // 2 * 2 + 1
    return (
        ndimage.median_filter(right, size=size, mode="nearest"),
        ndimage.median_filter(left, size=size, mode="nearest"),
    )


def _course(projected: Floats, max_step: int) -> NDArray[np.int64]:
    """The y of the column per z: the smooth path of greatest total energy (Viterbi)."""
    n_z, n_y = projected.shape
    penalty = STEP_PENALTY * float(np.median(projected.max(axis=1)))
    steps = np.arange(-max_step, max_step + 1)
    score = projected[0].astype(np.float64)
    came = np.zeros((n_z, n_y), dtype=np.int64)
    positions = np.arange(n_y)
    for z in range(1, n_z):
        sources = np.clip(positions[:, None] + steps[None, :], 0, n_y - 1)
        options = score[sources] - penalty * np.abs(steps)[None, :]
        best = options.argmax(axis=1)
        came[z] = sources[positions, best]
        score = options[positions, best] + projected[z]
    path = np.zeros(n_z, dtype=np.int64)
    path[-1] = int(score.argmax())
    for z in range(n_z - 1, 0, -1):
        path[z - 1] = came[z, path[z]]
    return path


def _edges(plane: Floats, peak_y: NDArray[np.int64], max_depth_px: float) -> tuple[Floats, Floats]:
    """Where the energy falls below ``EDGE_FRACTION`` of its peak, in front and behind."""
    n_z, n_y = plane.shape
    rows = np.arange(n_z)
    peak_y = np.clip(peak_y, 0, n_y - 1)
    level = plane[rows, peak_y] * EDGE_FRACTION
    offsets = np.arange(int(max_depth_px) + 1)
    ahead = np.clip(peak_y[:, None] - offsets[None, :], 0, n_y - 1)
    behind = np.clip(peak_y[:, None] + offsets[None, :], 0, n_y - 1)
    front = peak_y - _first_below(plane[rows[:, None], ahead], level)
    back = peak_y + _first_below(plane[rows[:, None], behind], level)
    return front.astype(np.float32), back.astype(np.float32)


def _first_below(profiles: Floats, level: Floats) -> NDArray[np.int64]:
    below = profiles < level[:, None]
    found = below.any(axis=1)
    first: NDArray[np.int64] = np.where(found, below.argmax(axis=1), profiles.shape[1] - 1)
    return first
