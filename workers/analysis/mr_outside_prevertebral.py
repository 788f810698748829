"""Prevertebral masses on a sagittal MR series: mass-like tissue that starts at the front of
the vertebral bodies and runs forward, on the slices through the bodies' middle.

Working indices throughout (``mr_outside_column.Working``); ``mr_outside`` maps the
detections back to canonical voxels."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from spinetriage.triage import Weighting
from workers.analysis.mr_outside_column import Column, Floats, Working
from workers.analysis.mr_outside_tissue import FAT_ABOVE, MASS_WINDOWS
from workers.analysis.reading import Detection

CENTRAL_HALF_WIDTH_MM = 6.0  # prevertebral masses are wide: read the slices this near midline
START_TOLERANCE_MM = (4.0, 3.0)  # the run starts this near the bodies' front (ahead, behind)
MAX_RUN_MM = 60.0  # runs are followed this far forward
MIN_THICKNESS_MM = 7.0  # thinner than this is normal tissue in front of the bodies
MAX_THICKNESS_MM = 40.0  # grey runs deeper than this are viscera or neck, not a mass
MIN_LENGTH_MM = 10.0  # a mass is at least this long from head to feet
GAP_MM = 6.0  # thick stretches this close together are one mass
CLEAR_BELOW_MM = 2.0  # heights where less than this lies in front of the bodies are normal
BOUNDED_WITHIN_MM = 25.0  # a mass has normal heights this near above and below it; grey
# tissue that goes on (the neck's muscles, the field's edge) is anatomy, not a mass
SIDE_CHECK_MM = (24.0, 50.0)  # beyond most prevertebral masses' half-width (14-26 mm)
SIDE_MASS_LIKE_BELOW = 0.4  # there, less than this share of the tissue may look like mass
FULL_CONFIDENCE_MM = 20.0  # masses this thick are as sure as this reader gets
BASE_CONFIDENCE, THICKNESS_CONFIDENCE = 0.5, 0.4
T1_CONFIDENCE_FACTOR = 0.8  # on T1 a mass looks like muscle: only fat around it shows it
# On T2 a metastasis is as bright as the mediastinal and retroperitoneal fat in front of the
# bodies, so T2 is not read here; on T1 only a run that ends in fat is a mass (in the neck the
# longus colli, oesophagus and pharynx are as grey as a mass and end in air).
READS: tuple[Weighting, ...] = ("STIR", "T1_contrast", "T1")
FAT_END_MM = 4.0  # on T1, the run must be followed by fat within this distance


def prevertebral_detections(
    working: Working,
    column: Column,
    ratio: Floats,
    candidates: NDArray[np.bool_],
    weighting: Weighting,
) -> list[Detection]:
    if weighting not in READS:
        return []
    fat = ratio > FAT_ABOVE if not MASS_WINDOWS[weighting].apart_from_muscle else None
    thickness, slice_of = prevertebral_thickness(working, column, candidates, fat)
    dz = working.spacing_mm[0]
    within = (thickness >= MIN_THICKNESS_MM) & (thickness <= MAX_THICKNESS_MM)
    thick = ndimage.binary_closing(within, np.ones(_px(GAP_MM, dz), dtype=bool))
    thick &= column.seen
    clear = (thickness < CLEAR_BELOW_MM) & column.seen
    runs, count = ndimage.label(thick)
    bound = _px(BOUNDED_WITHIN_MM, dz)
    found = []
    for index in range(1, count + 1):
        rows = np.flatnonzero(runs == index)
        if (rows[-1] - rows[0] + 1) * dz < MIN_LENGTH_MM:
            continue
        above = clear[max(0, rows[0] - bound) : rows[0]].any()
        below = clear[rows[-1] + 1 : rows[-1] + 1 + bound].any()
        lump = _ends_laterally(working, column, candidates, (rows, thickness), weighting)
        if above and below and lump:
            found.append(_detection(rows, (thickness, slice_of), working, column, weighting))
    return found


def _ends_laterally(
    working: Working,
    column: Column,
    candidates: NDArray[np.bool_],
    profile: tuple[NDArray[np.int64], Floats],
    weighting: Weighting,
) -> bool:
    """A prevertebral mass is a lump in front of the bodies: well to the sides, at its
    heights and depths, the tissue is no longer mass-like (in the neck and the abdominal
    wall, muscle goes on sideways). On T1, which cannot tell mass from muscle, a series too
    narrow to show the sides cannot show a mass either."""
    rows, thickness = profile
    n_x = candidates.shape[2]
    _, dy, dx = working.spacing_mm
    near, far = SIDE_CHECK_MM
    offsets = np.arange(n_x)
    mass_like_share = []
    for z in rows:
        distance = np.abs(offsets - column.midline_x[z]) * dx
        sides = np.flatnonzero((distance >= near) & (distance <= far))
        y1 = int(column.front_y[z])
        y0 = max(0, int(y1 - thickness[z] / dy))
        if sides.size and y1 > y0:
            mass_like_share.append(float(candidates[z, y0:y1][:, sides].mean()))
    if not mass_like_share:
        return MASS_WINDOWS[weighting].apart_from_muscle
    return float(np.median(mass_like_share)) < SIDE_MASS_LIKE_BELOW


def prevertebral_thickness(
    working: Working,
    column: Column,
    candidates: NDArray[np.bool_],
    fat: NDArray[np.bool_] | None,
) -> tuple[Floats, NDArray[np.int64]]:
    """Per working z: how far in front of the bodies a run of mass-like tissue from their
    front reaches on the central slices (the second furthest of them, so that one noisy slice
    does not count), and the slice that holds it. With ``fat``, runs not ended by fat count
    as nothing."""
    n_z, n_y, n_x = candidates.shape
    _, dy, dx = working.spacing_mm
    reach = max(1, int(CENTRAL_HALF_WIDTH_MM / dx + 0.5))  # so at least 3 slices are read
    thickness = np.zeros(n_z, dtype=np.float32)
    slice_of = column.midline_x.copy()
    rows = np.flatnonzero(column.seen)
    xs = np.clip(np.arange(-reach, reach + 1) + column.midline_x[rows, None], 0, n_x - 1)
    start = np.rint(column.front_y[rows] + START_TOLERANCE_MM[1] / dy).astype(np.int64)
    ys = start[:, None] - np.arange(int(MAX_RUN_MM / dy))  # (row, step forward)
    picked = (rows[:, None, None], np.clip(ys, 0, n_y - 1)[:, :, None], xs[:, None, :])
    profile = candidates[picked] & (ys >= 0)[:, :, None]  # (row, step, slice)
    ends = _run_ends(profile, int(sum(START_TOLERANCE_MM) / dy) + 1)
    if fat is not None:
        ends = _ended_by(ends, fat[picked], FAT_END_MM / dy)
    ahead = np.maximum(ends - START_TOLERANCE_MM[1] / dy, 0.0)
    order = np.argsort(ahead, axis=1)
    thickness[rows] = np.take_along_axis(ahead, order[:, -2:-1], axis=1)[:, 0] * dy
    slice_of[rows] = np.take_along_axis(xs, order[:, -1:], axis=1)[:, 0]
    return thickness, slice_of


def _run_ends(profile: NDArray[np.bool_], start_window: int) -> NDArray[np.int64]:
    """Per row and column of ``profile[row, step, column]``: where the first run of True that
    begins within ``start_window`` steps ends (0 without such a run)."""
    n = profile.shape[1]
    window = profile[:, :start_window]
    first = window.argmax(axis=1)[:, None, :]
    stopped = ~profile & (np.arange(n)[None, :, None] >= first)
    ends = np.where(stopped.any(axis=1), stopped.argmax(axis=1), n)
    result: NDArray[np.int64] = np.where(window.any(axis=1), ends, 0)
    return result


def _ended_by(
    ends: NDArray[np.int64], following: NDArray[np.bool_], within_px: float
) -> NDArray[np.int64]:
    """Runs whose next ``within_px`` steps hold no ``following`` tissue count as none;
    ``following[row, step, column]`` as the profile of ``_run_ends``."""
    steps = np.arange(following.shape[1])[None, :, None]
    last = (ends + within_px).astype(np.int64)[:, None, :]
    followed = (following & (steps >= ends[:, None, :]) & (steps <= last)).any(axis=1)
    kept: NDArray[np.int64] = np.where((ends != 0) & followed, ends, 0)
    return kept


def _detection(
    rows: NDArray[np.int64],
    measured: tuple[Floats, NDArray[np.int64]],
    working: Working,
    column: Column,
    weighting: Weighting,
) -> Detection:
    thickness, slice_of = measured
    dy = working.spacing_mm[1]
    key_z = int(rows[np.argmax(thickness[rows])])
    peak = float(thickness[key_z])
    confidence = BASE_CONFIDENCE + THICKNESS_CONFIDENCE * min(1.0, peak / FULL_CONFIDENCE_MM)
    if not MASS_WINDOWS[weighting].apart_from_muscle:
        confidence *= T1_CONFIDENCE_FACTOR
    front = column.front_y[rows]
    y0 = max(0, int(np.min(front - thickness[rows] / dy)))
    y1 = int(np.max(front))
    key_y = int(column.front_y[key_z] - peak / dy / 2)
    x = int(slice_of[key_z])
    return Detection(
        type="prevertebral_mass",
        z_range=(int(rows[0]), int(rows[-1])),
        side="anterior",
        max_thickness_mm=round(peak, 1),
        canal_compromise_pct=None,
        bilsky_grade=None,
        confidence=round(confidence, 2),
        key_voxel=(key_z, max(0, key_y), x),
        box=(
            int(rows[0]),
            y0,
            int(slice_of[rows].min()),
            int(rows[-1]),
            y1,
            int(slice_of[rows].max()),
        ),
    )


def _px(mm: float, spacing_mm: float) -> int:
    return max(1, round(mm / spacing_mm))
