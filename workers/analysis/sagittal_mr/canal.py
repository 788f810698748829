"""Following the spinal canal down a sagittal MR series.

The canal is the one structure that is, on every sagittal slice through it, a band brighter in
fluid contrast (CSF) than the tissue a centimetre in front and behind, and brighter than the
same place a centimetre and a half to either side (pedicles, foramina), and that runs unbroken
from the top of the image to the bottom. A per-voxel score of both contrasts is summed along
the best smooth path from top to bottom (dynamic programming over rows), searched only near the
middle of the stack, where a technologist centres a spine series.

The path bends over centimetres, so it is searched first on means of 2x2 in-plane pixels and
then again at full resolution only in a narrow band around that coarse path; the score is only
computed on the slices the search and its lateral contrast need.

Everything here works in "fluid contrast": the image itself on T2-like series, its negative on
T1-like ones, divided by a robust scale of the image so that gain and vendor scaling drop out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from spinetriage.triage import Weighting
from workers.analysis.blocks import strided_sum
from workers.analysis.sagittal_mr.canal_score import (
    FAR_SCORE,
    LATERAL_OFFSET_MM,
    canal_score,
    score_reach_px,
    smoothing_reach_px,
)

Floats = NDArray[np.float64]

FLUID_DARK: frozenset[Weighting] = frozenset({"T1", "T1_contrast"})  # CSF is dark on these
SCALE_STRIDE = 8  # the image's scale is a percentile: every 8th row and column estimate it well
SEARCH_HALF_WIDTH_MM = 12.0  # canal within this of the stack's middle slice (centred series)
EDGE_FRACTION = 0.1  # the canal is not at the very front or back edge of the field of view
MAX_SLOPE = 1.2  # the canal turns at most ~50 degrees from vertical (sacrum, lordosis)
TURN_PENALTY = 0.3  # score units per pixel of sideways step: keeps the path smooth
MIDLINE_SMOOTHING_MM = 10.0  # the canal's left-right course bends over several segments
COARSE_PX = 2  # in-plane pixels per side of the coarse search grid
REFINE_HALF_PX = 16  # full pixels either side of the coarse path searched again
REFINE_BLOCK_ROWS = 64  # rows scored together when refining: fewer calls, narrow y spans
SCALE_PERCENTILE = 99.0  # scores are divided by this percentile of the per-row best
UNSEEN_WEIGHT = 1e-9  # midline weight of a slice without canal contrast (none is not allowed)


@dataclass(frozen=True)
class CanalPath:
    """The canal's centre on every canonical row z: ``y`` (fractional pixel) and the midline
    sagittal slice ``x``."""

    y: Floats
    x: NDArray[np.intp]
    spacing_mm: tuple[float, float, float]

    def slope(self) -> Floats:
        """dy/dz in millimetres per millimetre along the path."""
        dz, dy, _ = self.spacing_mm
        smooth = ndimage.gaussian_filter1d(self.y, 4.0 / dz)
        slope: Floats = np.gradient(smooth) * dy / dz
        return slope


@dataclass(frozen=True)
class SearchSlices:
    """The slices the canal is searched on (``columns``, absolute) and the slab of slices
    (``first`` to ``stop``, exclusive) whose voxels their score needs."""

    columns: NDArray[np.intp]
    first: int
    stop: int

    @property
    def relative(self) -> NDArray[np.intp]:
        """The searched slices as indices into the slab."""
        result: NDArray[np.intp] = self.columns - self.first
        return result


def fluid_factor(voxels: NDArray[np.float32], weighting: Weighting) -> float:
    """Factor that takes voxels to fluid contrast (CSF high) in units of the image's 75th
    percentile magnitude (estimated on every ``SCALE_STRIDE``-th row and column)."""
    if voxels.ndim != 3:
        raise ValueError(f"voxels: expected 3 dimensions, got shape {voxels.shape}")
    sample = voxels[::SCALE_STRIDE, ::SCALE_STRIDE]
    scale = float(np.percentile(np.abs(sample), 75)) or 1.0
    return (-1.0 if weighting in FLUID_DARK else 1.0) / scale


def search_slices(slices: int, dx_mm: float) -> SearchSlices:
    """Slices within the search half-width of the middle one, and the slab they need."""
    reach = round(SEARCH_HALF_WIDTH_MM / dx_mm)
    offset = max(1, round(LATERAL_OFFSET_MM / dx_mm))
    middle = slices // 2
    columns = np.arange(max(0, middle - reach), min(slices, middle + reach + 1))
    first = max(0, int(columns[0]) - offset)
    return SearchSlices(columns, first, min(slices, int(columns[-1]) + offset + 1))


def without_edges(per_row: Floats) -> Floats:
    """Per-row scores with the front and back margins of the field of view set far below."""
    margin = int(EDGE_FRACTION * per_row.shape[1])
    restricted = per_row.copy()
    restricted[:, :margin] = FAR_SCORE
    restricted[:, per_row.shape[1] - margin :] = FAR_SCORE
    return restricted


def best_path(score: Floats, max_step: int, penalty: float) -> NDArray[np.intp]:
    """Column per row maximising the summed score, moving at most ``max_step`` per row (ties:
    the most negative step, i.e. the rightmost source column)."""
    rows, columns = score.shape
    steps = np.arange(-max_step, max_step + 1)
    index = np.arange(columns)
    sources = np.clip(index - steps[:, None], 0, columns - 1)
    cost = penalty * np.abs(steps)[:, None]
    total = score[0].astype(float)
    came_from = np.zeros((rows, columns), dtype=np.intp)
    for row in range(1, rows):
        candidates = total[sources] - cost
        choice = candidates.argmax(axis=0)
        total = score[row] + candidates[choice, index]
        came_from[row] = sources[choice, index]
    path = np.zeros(rows, dtype=np.intp)
    path[-1] = int(np.argmax(total))
    for row in range(rows - 1, 0, -1):
        path[row - 1] = came_from[row, path[row]]
    return path


def block_means(voxels: NDArray[np.float32]) -> NDArray[np.float32]:
    """Means of COARSE_PX x COARSE_PX in-plane (z, y) pixels; a partial block at the end of
    an axis is left out."""
    lines = strided_sum(voxels, 0, COARSE_PX)  # whole rows first: they are contiguous
    total = strided_sum(lines, 1, COARSE_PX)
    total *= np.float32(1.0 / COARSE_PX**2)
    return total


def coarse_per_row(
    voxels: NDArray[np.float32],
    factor: float,
    spacing_mm: tuple[float, float, float],
    search: SearchSlices,
) -> Floats:
    """The best score over the searched slices on a grid of means of COARSE_PX x COARSE_PX
    in-plane pixels, per coarse row and column (far below any path at the margins)."""
    dz, dy, dx = spacing_mm
    fluid = block_means(voxels[:, :, search.first : search.stop]) * np.float32(factor)
    coarse_mm = (dz * COARSE_PX, dy * COARSE_PX, dx)
    return without_edges(canal_score(fluid, coarse_mm, search.relative).max(axis=2))


def coarse_guess(per_row: Floats, rows: int, dz_dy: float) -> Floats:
    """The best path on the coarse grid, as fractional full-resolution y on each of ``rows``."""
    scale = float(np.percentile(per_row[per_row > FAR_SCORE], SCALE_PERCENTILE)) or 1.0
    y = best_path(per_row / scale, max(1, round(MAX_SLOPE * dz_dy)), TURN_PENALTY)
    centres = COARSE_PX * np.arange(per_row.shape[0]) + (COARSE_PX - 1) / 2
    guess: Floats = np.interp(np.arange(rows), centres, COARSE_PX * y + (COARSE_PX - 1) / 2)
    return guess


def refined_band(
    voxels: NDArray[np.float32],
    factor: float,
    spacing_mm: tuple[float, float, float],
    search: SearchSlices,
    first_y: NDArray[np.intp],
) -> NDArray[np.float32]:
    """Full-resolution scores ``band[z, k, j]`` at y = ``first_y[z]`` + k on the searched slice
    j, for k up to twice the refinement half-width (far below any path outside the image)."""
    rows, columns = voxels.shape[:2]
    offsets = np.arange(2 * REFINE_HALF_PX + 1)
    margin = int(EDGE_FRACTION * columns)
    reach_z, reach_y = score_reach_px(spacing_mm)
    smoothing = smoothing_reach_px(spacing_mm)[1]
    band = np.full((rows, offsets.size, search.columns.size), FAR_SCORE, dtype=np.float32)
    for start in range(0, rows, REFINE_BLOCK_ROWS):
        block = np.arange(start, min(rows, start + REFINE_BLOCK_ROWS))
        y = first_y[block, None] + offsets
        inside = (y >= margin) & (y < columns - margin)
        if not inside.any():
            continue
        low, high = int(y[inside].min()), int(y[inside].max()) + 1
        z0, z1 = max(0, start - reach_z), min(rows, int(block[-1]) + 1 + reach_z)
        y0, y1 = max(0, low - reach_y), min(columns, high + reach_y)
        kept0, kept1 = max(0, low - smoothing), min(columns, high + smoothing)
        fluid = voxels[z0:z1, y0:y1, search.first : search.stop] * np.float32(factor)
        score = canal_score(
            fluid.astype(np.float32), spacing_mm, search.relative, slice(kept0 - y0, kept1 - y0)
        )
        picked = score[(block - z0)[:, None], np.clip(y - kept0, 0, kept1 - kept0 - 1)]
        band[block] = np.where(inside[..., None], picked, FAR_SCORE)
    return band


def refined_path(
    band: NDArray[np.float32], first_y: NDArray[np.intp], scale: float, dz_dy: float
) -> NDArray[np.intp]:
    """The best path through the band's per-row best scores, as absolute y per row."""
    rows, width, _ = band.shape
    low = int(first_y.min())
    per_row = np.full((rows, int(first_y.max()) - low + width), FAR_SCORE)
    columns = (first_y - low)[:, None] + np.arange(width)
    per_row[np.arange(rows)[:, None], columns] = band.max(axis=2)
    y = best_path(per_row / scale, max(1, round(MAX_SLOPE * dz_dy)), TURN_PENALTY)
    result: NDArray[np.intp] = y + low
    return result


def score_scale(band: NDArray[np.float32], first_y: NDArray[np.intp], coarse: Floats) -> float:
    """The 99th percentile of the per-row best score over the field of view (within the
    margins): full-resolution scores in the band, coarse ones (each standing for the
    COARSE_PX x COARSE_PX pixels it covers) elsewhere."""
    width = band.shape[1]
    centres = COARSE_PX * np.arange(coarse.shape[1]) + (COARSE_PX - 1) / 2
    band_start = first_y[::COARSE_PX][: coarse.shape[0], None]
    beside = (centres < band_start) | (centres > band_start + width - 1)
    outside = coarse[beside & (coarse > FAR_SCORE)]
    inside = band.max(axis=2).ravel()
    values = np.concatenate((inside[inside > FAR_SCORE], np.repeat(outside, COARSE_PX**2)))
    return float(np.percentile(values, SCALE_PERCENTILE)) if values.size else 1.0


def midline_slices(
    at_path: NDArray[np.float32], search: SearchSlices, slices: int, dz_mm: float
) -> NDArray[np.intp]:
    """Per row, the slice at the centroid of the (squared, smoothed along z) positive score on
    the path; slices outside the search weigh next to nothing."""
    along = ndimage.gaussian_filter1d(at_path, MIDLINE_SMOOTHING_MM / dz_mm, axis=0)
    weight = np.full((at_path.shape[0], slices), UNSEEN_WEIGHT)
    weight[:, search.columns] += np.clip(along, 0, None) ** 2
    centroid = (weight * np.arange(slices)).sum(axis=1) / weight.sum(axis=1)
    result: NDArray[np.intp] = np.rint(centroid).astype(np.intp)
    return result


def trace_canal(
    voxels: NDArray[np.float32], weighting: Weighting, spacing_mm: tuple[float, float, float]
) -> CanalPath:
    """The canal's path through a canonical sagittal volume."""
    dz, dy, dx = spacing_mm
    factor = fluid_factor(voxels, weighting)
    search = search_slices(voxels.shape[2], dx)
    coarse = coarse_per_row(voxels, factor, spacing_mm, search)
    guess = coarse_guess(coarse, voxels.shape[0], dz / dy)
    first_y = np.rint(guess).astype(np.intp) - REFINE_HALF_PX
    band = refined_band(voxels, factor, spacing_mm, search, first_y)
    scale = score_scale(band, first_y, coarse) or 1.0
    y = refined_path(band, first_y, scale, dz / dy)
    rows = np.arange(voxels.shape[0])
    at_path = band[rows, np.clip(y - first_y, 0, band.shape[1] - 1)]
    x = midline_slices(at_path, search, voxels.shape[2], dz)
    y_smooth = ndimage.gaussian_filter1d(y.astype(float), 1.0 / dz)
    return CanalPath(y=y_smooth, x=x, spacing_mm=spacing_mm)
