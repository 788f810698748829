"""Fat or mass? A T1 series answers what a sagittal T2 or STIR series could not tell.

On T2 the canal's fat is nearly as bright as some tumours, and a thin layer of tissue may be
only more fat than usual, so a sagittal reader asks rather than reports (``FatQuestion``). On
T1 fat is the brightest tissue, and tumour, haematopoietic tissue and muscle are intermediate;
on a fat-suppressed T1 after contrast fat is dark and tumour enhances. A mass darker than the
canal's own fat beside it on T1 (or brighter after contrast), both measured on the same T1
series, is not fat, and the question becomes a detection of the series that asked it.
Unanswered questions (no T1 series covers the mass, its tissue too thin to measure on most of
its rows or too few points inside the T1 series, no fat beside it to compare with) stay
unreported, as the asking series alone would have it.

A thin mass behind or in front of the sac may not even raise a question: it replaces the fat,
so the epidural space is hardly thicker, and it narrows the sac by about a millimetre. T1 shows
it plainly, as a radiologist reads it: the bright fat against the sac is gone over a level's
height, with fat above and below (``effaced_fat``). Tissue in the fat's place against the sac
is a mass that deforms the sac: Bilsky 1b."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from spinetriage.triage import BilskyGrade, Weighting
from workers.analysis.placement import Placed
from workers.analysis.reading import Detection, FatQuestion, SacSide
from workers.analysis.sagittal_mr.epidural import (
    BASELINE_WINDOW_MM,
    CORE_DENSITY,
    FLANK_MM,
    FLANK_OPEN_MM,
    longest_run,
    rolling_percentile,
    runs,
)
from workers.analysis.sagittal_mr.sections import finite_median

T1_WEIGHTINGS: frozenset[Weighting] = frozenset({"T1", "T1_contrast"})
# mass / fat on T1 below this (above its inverse after contrast): not fat. Bright T2 tissue
# measured 0.83-1.17 of the canal's fat on T1 in the tuning sets, thin masses 0.36-0.57.
FAT_LIKENESS = 0.7
MIN_TISSUE_SHARE = 0.5  # the mass's tissue measured on fewer of its rows: no answer
MIN_POINTS = 5  # fewer points inside the T1 series than this: no answer
MIN_INSIDE = 0.5  # ... or fewer than this share of them
FAT_PERCENTILE = 70.0  # the usual T1 signal beside the sac: its fat, over a long window
EFFACED = 0.6  # beside the sac below this share of the usual: no fat (thin masses 0.36-0.57)
FAT_SEEN = 0.8  # at least this share: fat, for the run's flanks
EFFACED_MIN_MM = 10.0  # masses span a level
EFFACED_BRIDGE_MM = 4.0
# A mass that took the fat's place and pushes the sac in is at least as thick as the fat plus
# that millimetre. Where the fluid series measures less between the sac and the bony wall, the
# fat is too thin for T1 to show at these pixel sizes (a narrow or cervical canal; in front, a
# bulging disc's edge): its partial volume with the sac and bone darkens it. Tuning and fresh
# sets (452 MR studies), medians over the run: behind the sac thin masses measured 2.5-3.5 mm,
# canals without one 0.5-2.0 mm but for one; in front, where the fat is thinner, masses 1.5-2.5
# mm, canals without one (mostly bulging discs) 0.5-1.5 mm.
EFFACED_MIN_TISSUE_MM: dict[str, float] = {"posterior": 2.5, "anterior": 2.0}
# ... and it narrows the sac a little: where the fluid series lost a third of the sac's depth
# or more (median over the run), its edge there is flow or roots, the points beyond it lie in
# the CSF, dark on T1 as well. Thin masses lost 0-19% in the tuning and fresh sets; flow voids
# that T1 seemed to confirm 52-90%.
EFFACED_MAX_LOSS_PCT = 35.0
EFFACED_GRADE: BilskyGrade = "1b"  # tissue in the fat's place against the sac deforms it


def answered(placed: Sequence[Placed]) -> list[Placed]:
    """Every series as read, with the fat questions a T1 series answers as a mass added to its
    detections."""
    t1_series = [
        p for p in placed if p.series.plane == "sagittal" and p.series.weighting in T1_WEIGHTINGS
    ]
    return [_with_masses(asked, t1_series) for asked in placed]


def _with_masses(asked: Placed, t1_series: Sequence[Placed]) -> Placed:
    """``asked`` with the questions a T1 series answers as a mass added to its detections,
    and the masses that took the place of the fat beside its sac."""
    masses = tuple(
        question.detection
        for question in asked.reading.fat_questions
        if any(unlike_fat(question, asked, t1) for t1 in t1_series)
    )
    plain_t1 = [t1 for t1 in t1_series if t1.series.weighting == "T1"]
    if plain_t1:
        for beside in asked.reading.beside_sac:
            masses += effaced_fat(asked, beside, plain_t1[0])
    if not masses:
        return asked
    return replace(
        asked, reading=replace(asked.reading, detections=asked.reading.detections + masses)
    )


def unlike_fat(question: FatQuestion, asked: Placed, t1: Placed) -> bool:
    """Whether ``t1`` shows the mass's tissue unlike the canal's fat beside it: darker, or on
    a series after contrast (fat perhaps suppressed) brighter as well. Around a circumferential
    mass one side unlike fat answers: the other may be the canal's own fat (thick behind a
    lumbar sac, where the mass in front narrows it)."""
    first, last = question.detection.z_range
    measured = max(len(points) for points in question.mass_points)
    if measured < MIN_TISSUE_SHARE * (last - first + 1):
        return False
    fat = signal_at(t1, asked.positions_mm(question.fat_points))
    if fat is None or fat <= 0:
        return False
    for points in question.mass_points:
        mass = signal_at(t1, asked.positions_mm(points))
        if mass is None:
            continue
        brighter = t1.series.weighting == "T1_contrast" and mass / fat > 1 / FAT_LIKENESS
        if mass / fat < FAT_LIKENESS or brighter:
            return True
    return False


def signal_at(series: Placed, positions_mm: NDArray[np.float64]) -> float | None:
    """Median signal of ``series`` at patient positions (nearest voxel), or None when too few
    of them fall inside it."""
    values = samples_at(series, positions_mm)
    inside = np.isfinite(values)
    if inside.sum() < max(MIN_POINTS, MIN_INSIDE * inside.size):
        return None
    return float(np.median(values[inside]))


def samples_at(series: Placed, positions_mm: NDArray[np.float64]) -> NDArray[np.float64]:
    """Signal of ``series`` at each patient position (nearest voxel; NaN outside it or where
    the position is NaN)."""
    volume = series.series.volume
    values = np.full(len(positions_mm), np.nan)
    if positions_mm.size == 0:
        return values
    known = np.all(np.isfinite(positions_mm), axis=1)
    index = np.zeros(positions_mm.shape, dtype=int)
    index[known] = np.rint(volume.index_at(positions_mm[known])).astype(int)
    inside = known & np.all((index >= 0) & (index < np.array(volume.voxels.shape)), axis=1)
    slices, rows, columns = index[inside].T
    values[inside] = volume.voxels[slices, rows, columns]
    return values


def effaced_fat(asked: Placed, beside: SacSide, t1: Placed) -> tuple[Detection, ...]:
    """Masses where ``t1`` shows no fat beside the sac ``asked`` found, on most rows over a
    level's height with fat above and below, where ``asked`` measured tissue thick enough to
    read and most of the sac's depth, and saw or asked about nothing."""
    rows, depths, _ = beside.points.shape
    values = samples_at(t1, asked.positions_mm(beside.points.reshape(-1, 3))).reshape(rows, depths)
    seen = np.isfinite(values).any(axis=1)
    if seen.sum() < max(MIN_POINTS, MIN_INSIDE * rows):
        return ()
    signal = np.where(seen, np.max(np.where(np.isfinite(values), values, -np.inf), axis=1), np.nan)
    dz = asked.canonical.spacing_mm[0]
    usual = rolling_percentile(signal, round(BASELINE_WINDOW_MM / dz), FAT_PERCENTILE)
    ratio = signal / np.maximum(usual, 1e-6)
    lost = np.nan_to_num(ratio, nan=1.0) < EFFACED
    fat = np.nan_to_num(ratio, nan=0.0) >= FAT_SEEN
    lost &= ~_already_read(asked, beside.first_row, rows)
    reach, needed = round(FLANK_MM / dz), max(1, round(FLANK_OPEN_MM / dz))
    found = []
    for first, last in runs(lost, round(EFFACED_BRIDGE_MM / dz), round(EFFACED_MIN_MM / dz)):
        span = slice(first, last + 1)
        above, below = fat[max(0, first - reach) : first], fat[last + 1 : last + 1 + reach]
        if (
            lost[span].mean() >= CORE_DENSITY
            and finite_median(beside.tissue_mm[span]) >= EFFACED_MIN_TISSUE_MM[beside.side]
            and finite_median(beside.sac_loss_pct[span]) < EFFACED_MAX_LOSS_PCT
            and longest_run(above) >= needed
            and longest_run(below) >= needed
        ):
            found.append(_effaced(asked, beside, first, last, ratio))
    return tuple(found)


def _already_read(asked: Placed, first_row: int, rows: int) -> NDArray[np.bool_]:
    """Rows (from ``first_row``) where ``asked`` saw or asked about an epidural mass."""
    result = np.zeros(rows, dtype=bool)
    for detection in asked.reading.epidural_seen:
        low, high = detection.z_range
        result[max(0, low - first_row) : max(0, high + 1 - first_row)] = True
    return result


def _effaced(
    asked: Placed, beside: SacSide, first: int, last: int, ratio: NDArray[np.float64]
) -> Detection:
    """The detection of rows ``first``..``last`` (from the probe's first row) without fat."""
    span = slice(first, last + 1)
    worst = first + int(np.nanargmin(ratio[span]))
    z, y, x = (int(v) for v in beside.centre[worst])
    slices = asked.canonical.voxels.shape[2]
    return Detection(
        type="epidural_mass",
        z_range=(beside.first_row + first, beside.first_row + last),
        side=beside.side,
        # a thin layer's thickness: rows where a lamina's edge or the gap between two moves
        # the wall measure more or less
        max_thickness_mm=round(max(0.0, finite_median(beside.tissue_mm[span])), 1),
        canal_compromise_pct=round(float(np.nanmax(beside.sac_loss_pct[span])), 1),
        bilsky_grade=EFFACED_GRADE,
        confidence=float(np.clip(1.0 - np.nanmedian(ratio[span]), 0.5, 0.9)),
        key_voxel=(z, y, x),
        box=(
            beside.first_row + first,
            int(beside.box_y[span, 0].min()),
            max(0, x - 2),
            beside.first_row + last,
            int(beside.box_y[span, 1].max()),
            min(slices - 1, x + 2),
        ),
    )
