"""Which voxels of a sagittal MR series look like a soft-tissue mass outside the canal, as
brightness relative to the paraspinal muscle at the same height.

MR gain, coil shading and vendor scaling change every series, so no absolute value means
anything; the erector spinae behind the canal are large, present from the skull base to the
sacrum and never diseased here, which makes them the reference. Relative to them a mass is
brighter than muscle and lung on T2 and STIR, darker than fat on T2 (barely, for a metastasis)
and on T1, and much brighter than fat on STIR; on plain T1 it looks like muscle, so T1 only
shows a mass against lung or fat."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from spinetriage.triage import Weighting
from workers.analysis.mr_outside_column import Column, Floats, Working

MUSCLE_BEHIND_CANAL_MM = (15.0, 45.0)  # the erector spinae lie this far behind the canal front
MUSCLE_SMOOTH_MM = 30.0  # the reference changes slowly along the spine
SMOOTH_MM = (2.0, 2.0)  # noise averaged over z and y before classifying


@dataclass(frozen=True)
class MassWindow:
    """Brightness, as a multiple of muscle, of a mass on one weighting; and whether the
    weighting tells a mass from muscle at all (T1 does not)."""

    low: float
    high: float
    apart_from_muscle: bool


# Chosen on the tuning cases' tissue statistics (muscle = 1): T2 shows haematopoietic tissue
# at about 2.3 between soft tissue (1.7) and fat (3.1); a metastasis, at about 3.0, is as
# bright as fat and mostly missed on T2 (widening the window to it let fat in). STIR and
# fat-suppressed T1 show masses from 2.0 up with fat near 0.25; on T1 masses sit at 0.9-1.1
# like muscle, fat at 2.2.
MASS_WINDOWS: dict[Weighting, MassWindow] = {
    "T2": MassWindow(2.0, 2.7, True),
    "PD": MassWindow(2.0, 2.7, True),
    "STIR": MassWindow(2.0, 4.5, True),
    "T1_contrast": MassWindow(2.3, 4.5, True),
    "T1": MassWindow(0.75, 1.45, False),
}
DARK_BELOW = 0.45  # lung, air and flowing blood, as a multiple of muscle
FAT_ABOVE = 1.6  # fat on T1, as a multiple of muscle (fat is 2.2, soft tissue at most 1.2)


def muscle_reference(working: Working, column: Column) -> Floats:
    """Median brightness behind the canal per working z, smoothed along the spine."""
    n_z, n_y, _ = working.voxels.shape
    dz, dy, _ = working.spacing_mm
    near, far = (int(mm / dy) for mm in MUSCLE_BEHIND_CANAL_MM)
    values = np.full(n_z, np.nan, dtype=np.float32)
    step = max(1, int(4.0 / dz))
    for z in range(0, n_z, step):
        y0 = int(column.back_y[z]) + near
        y1 = min(n_y, int(column.back_y[z]) + far)
        if y1 - y0 > 2:
            values[z] = float(np.median(working.voxels[z, y0:y1, :]))
    known = np.flatnonzero(np.isfinite(values))
    if not known.size:
        return np.full(n_z, float(np.median(working.voxels)), dtype=np.float32)
    filled = np.interp(np.arange(n_z), known, values[known])
    window = max(1, int(MUSCLE_SMOOTH_MM / dz)) // 2 * 2 + 1
    reference = ndimage.median_filter(filled, size=window, mode="nearest")
    positive: Floats = np.maximum(reference, 1e-6).astype(np.float32)
    return positive


def relative_brightness(working: Working, muscle: Floats, rows_y: tuple[int, int]) -> Floats:
    """The smoothed series as a multiple of the muscle reference at its height, between
    working rows ``rows_y`` (zero elsewhere: nothing is looked for there)."""
    dz, dy, _ = working.spacing_mm
    first, last = rows_y
    ratio = np.zeros_like(working.voxels)
    band = working.voxels[:, first:last]
    smooth = ndimage.gaussian_filter(band, (SMOOTH_MM[0] / dz, SMOOTH_MM[1] / dy, 0))
    ratio[:, first:last] = smooth / muscle[:, None, None]
    return ratio


def mass_like(ratio: Floats, weighting: Weighting) -> NDArray[np.bool_]:
    window = MASS_WINDOWS[weighting]
    result: NDArray[np.bool_] = (ratio >= window.low) & (ratio <= window.high)
    return result
