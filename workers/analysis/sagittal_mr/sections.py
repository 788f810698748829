"""Front-to-back measurements of the canal on every row of a straightened slice, in fluid contrast.

Three classes of signal are told apart relative to the CSF brightness found in the canal
itself: CSF (bright), dark (cortex, ligaments, annulus; fat on fat-suppressed series) and
everything in between (cord, epidural fat on T2, soft-tissue masses). On each row the sac runs
from its most anterior to its most posterior CSF; the bony canal's walls are the first dark
samples met going outwards from the sac; what lies between the sac and a wall is epidural
tissue; the cord is the stretch between the CSF in front of it and the CSF behind it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from workers.analysis.sagittal_mr.straighten import Straightened

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

CSF_LEVEL_WINDOW_MM = 50.0  # CSF brightness follows the coil's bias field over this length
CSF_LEVEL_PERCENTILE = 95.0  # the brightest of the canal's middle band is CSF
CENTRAL_BAND_MM = 6.0
CSF_FRACTION = 0.78  # above this fraction of the CSF level: CSF (fat on T2 is ~0.7)
DARK_FRACTION = 0.3  # below this: cortex, ligament, annulus (masses and cord are >= 0.35)
SAC_REACH_MM = 11.0  # CSF further than this from the canal's centre is not the sac's
WALL_REACH_MM = 14.0  # a wall further than this beyond the sac is not found
SMOOTHING_MM = 0.6  # a little across-row smoothing against noise
MIN_CORD_MM = 2.0  # a shorter break in the CSF is noise or a nerve root, not the cord


@dataclass(frozen=True)
class RowMeasures:
    """Per-row measurements (mm; NaN where not found) of one straightened slice."""

    sac_front: Floats  # depth of the most anterior CSF
    sac_back: Floats
    wall_front: Floats
    wall_back: Floats
    cord_front: Floats  # where the CSF in front of the cord ends (NaN: no CSF in front)
    cord_back: Floats  # where the CSF behind the cord starts (NaN: no CSF behind)
    csf_pixels: NDArray[np.intp]  # CSF samples within the sac's reach
    csf_level: Floats  # the CSF brightness the row was read against
    front_signal: Floats  # mean signal (fraction of CSF) between the sac and the front wall
    back_signal: Floats

    @property
    def sac_ap(self) -> Floats:
        result: Floats = self.sac_back - self.sac_front
        return result

    def front_tissue(self, envelope_rows: int) -> Floats:
        """Sac front to the nearest front wall within ``envelope_rows`` (bone, not foramina)."""
        wall = -rolling_nanmin(-self.wall_front, envelope_rows)
        result: Floats = self.sac_front - wall
        return result

    def back_tissue(self, envelope_rows: int) -> Floats:
        """Sac back to the nearest back wall within ``envelope_rows``: the laminae, not the
        fat between them."""
        result: Floats = rolling_nanmin(self.wall_back, envelope_rows) - self.sac_back
        return result

    @property
    def cord_ap(self) -> Floats:
        result: Floats = self.cord_back - self.cord_front
        return result


def finite_median(values: Floats) -> float:
    """Median of the finite values (NaN when there are none)."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def rolling_nanmin(values: Floats, window_rows: int) -> Floats:
    """Running minimum that skips NaN (NaN where the whole window is)."""
    filled = np.where(np.isfinite(values), values, np.inf)
    result: Floats = ndimage.minimum_filter1d(filled, max(1, window_rows), mode="nearest")
    return np.where(np.isfinite(result), result, np.nan)


def csf_level(straight: Straightened, dz_mm: float) -> Floats:
    """CSF brightness per row: a high percentile of the canal's middle, over a long window."""
    middle = straight.between(-CENTRAL_BAND_MM, CENTRAL_BAND_MM)
    per_row = np.percentile(middle, CSF_LEVEL_PERCENTILE, axis=1)
    window = max(3, round(CSF_LEVEL_WINDOW_MM / dz_mm))
    level: Floats = ndimage.percentile_filter(per_row, 75, size=window, mode="nearest")
    return np.maximum(level, 1e-6)


def measure_rows(straight: Straightened, level: Floats, dz_mm: float) -> RowMeasures:
    """Sac, walls and cord on every row, relative to the row's CSF level."""
    values = ndimage.gaussian_filter1d(straight.values, SMOOTHING_MM / dz_mm, axis=0)
    relative = values / level[:, None]
    u = straight.u_mm
    csf = (relative >= CSF_FRACTION) & (np.abs(u) <= SAC_REACH_MM)
    dark = relative <= DARK_FRACTION
    has_sac = csf.any(axis=1)
    centre = int(np.argmin(np.abs(u)))  # without a sac the walls are looked for from here
    first = np.where(has_sac, csf.argmax(axis=1), centre)
    last = np.where(has_sac, u.size - 1 - csf[:, ::-1].argmax(axis=1), centre)
    sac_front = np.where(has_sac, u[first], np.nan)
    sac_back = np.where(has_sac, u[last], np.nan)
    wall_front = _first_dark(dark, u, first, -1)
    wall_back = _first_dark(dark, u, last, +1)
    cord_front, cord_back = _cords(csf, u)
    return RowMeasures(
        front_signal=_mean_between(relative, u, wall_front, sac_front),
        back_signal=_mean_between(relative, u, sac_back, wall_back),
        sac_front=sac_front,
        sac_back=sac_back,
        wall_front=wall_front,
        wall_back=wall_back,
        cord_front=cord_front,
        cord_back=cord_back,
        csf_pixels=csf.sum(axis=1),
        csf_level=level,
    )


def _mean_between(relative: Floats, u: Floats, low: Floats, high: Floats) -> Floats:
    """Mean of each row's samples strictly between depths ``low`` and ``high`` (NaN: none)."""
    inside = (u[None, :] > low[:, None]) & (u[None, :] < high[:, None])
    counts = inside.sum(axis=1)
    sums = np.where(inside, relative, 0.0).sum(axis=1)
    result: Floats = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return result


def _first_dark(dark: Bools, u: Floats, start: NDArray[np.intp], step: int) -> Floats:
    """Per row, depth of the first dark sample from ``start`` outwards (NaN beyond the reach
    or the samples)."""
    limit = round(WALL_REACH_MM / (u[1] - u[0]))
    index = start[:, None] + step * np.arange(1, limit + 1)
    within = (index >= 0) & (index < u.size)
    hit = dark[np.arange(dark.shape[0])[:, None], np.clip(index, 0, u.size - 1)] & within
    nearest = np.clip(start + step * (hit.argmax(axis=1) + 1), 0, u.size - 1)
    result: Floats = np.where(hit.any(axis=1), u[nearest], np.nan)
    return result


def _cords(csf: Bools, u: Floats) -> tuple[Floats, Floats]:
    """Per row, the longest non-CSF stretch inside the sac (the first of equals) is the cord:
    its front and back depths (NaN when the CSF is one unbroken run: it lies on one side of the
    cord only, or when the stretch is too short to be the cord)."""
    rows, samples = csf.shape
    front, back = np.full(rows, np.nan), np.full(rows, np.nan)
    change = np.diff(np.pad(csf, ((0, 0), (1, 1)), constant_values=True).astype(np.int8))
    row, start = np.nonzero(change == -1)  # a gap in the CSF starts at this sample
    _, stop = np.nonzero(change == 1)  # ... and ends before this one (rows pair up in order)
    inner = (start > 0) & (stop < samples)  # gaps at the ends lie outside the sac
    row, start, stop = row[inner], start[inner], stop[inner]
    if row.size == 0:
        return front, back
    order = np.lexsort((start, start - stop, row))
    chosen = order[np.r_[True, np.diff(row[order]) != 0]]
    chosen = chosen[(stop - start)[chosen] * (u[1] - u[0]) >= MIN_CORD_MM]
    front[row[chosen]] = u[start[chosen]]
    back[row[chosen]] = u[stop[chosen] - 1]
    return front, back
