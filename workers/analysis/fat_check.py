"""Fat or mass? A T1 series answers what a sagittal T2 or STIR series could not tell.

On T2 the canal's fat is nearly as bright as some tumours, and a thin layer of tissue may be
only more fat than usual, so a sagittal reader asks rather than reports (``FatQuestion``). On
T1 fat is the brightest tissue, and tumour, haematopoietic tissue and muscle are intermediate;
on a fat-suppressed T1 after contrast fat is dark and tumour enhances. A mass darker than the
canal's own fat beside it on T1 (or brighter after contrast), both measured on the same T1
series, is not fat, and the question becomes a detection of the series that asked it.
Unanswered questions (no T1 series covers the mass, its tissue too thin to measure on most of
its rows or too few points inside the T1 series, no fat beside it to compare with) stay
unreported, as the asking series alone would have it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from spinetriage.triage import Weighting
from workers.analysis.placement import Placed
from workers.analysis.reading import FatQuestion

T1_WEIGHTINGS: frozenset[Weighting] = frozenset({"T1", "T1_contrast"})
# mass / fat on T1 below this (above its inverse after contrast): not fat. Bright T2 tissue
# measured 0.83-1.17 of the canal's fat on T1 in the tuning sets, thin masses 0.36-0.57.
FAT_LIKENESS = 0.7
MIN_TISSUE_SHARE = 0.5  # the mass's tissue measured on fewer of its rows: no answer
MIN_POINTS = 5  # fewer points inside the T1 series than this: no answer
MIN_INSIDE = 0.5  # ... or fewer than this share of them


def answered(placed: Sequence[Placed]) -> list[Placed]:
    """Every series as read, with the fat questions a T1 series answers as a mass added to its
    detections."""
    t1_series = [
        p for p in placed if p.series.plane == "sagittal" and p.series.weighting in T1_WEIGHTINGS
    ]
    return [_with_masses(asked, t1_series) for asked in placed]


def _with_masses(asked: Placed, t1_series: Sequence[Placed]) -> Placed:
    """``asked`` with the questions a T1 series answers as a mass added to its detections."""
    masses = tuple(
        question.detection
        for question in asked.reading.fat_questions
        if any(unlike_fat(question, asked, t1) for t1 in t1_series)
    )
    if not masses:
        return asked
    return replace(
        asked, reading=replace(asked.reading, detections=asked.reading.detections + masses)
    )


def unlike_fat(question: FatQuestion, asked: Placed, t1: Placed) -> bool:
    """Whether ``t1`` shows the mass's tissue unlike the canal's fat beside it: darker, or on
    a series after contrast (fat perhaps suppressed) brighter as well."""
    first, last = question.detection.z_range
    if len(question.mass_points) < MIN_TISSUE_SHARE * (last - first + 1):
        return False
    mass = signal_at(t1, asked.positions_mm(question.mass_points))
    fat = signal_at(t1, asked.positions_mm(question.fat_points))
    if mass is None or fat is None or fat <= 0:
        return False
    brighter = t1.series.weighting == "T1_contrast" and mass / fat > 1 / FAT_LIKENESS
    return mass / fat < FAT_LIKENESS or brighter


def signal_at(series: Placed, positions_mm: NDArray[np.float64]) -> float | None:
    """Median signal of ``series`` at patient positions (nearest voxel), or None when too few
    of them fall inside it."""
    volume = series.series.volume
    if positions_mm.size == 0:
        return None
    index = np.rint(volume.index_at(positions_mm)).astype(int)
    inside = np.all((index >= 0) & (index < np.array(volume.voxels.shape)), axis=1)
    if inside.sum() < max(MIN_POINTS, MIN_INSIDE * inside.size):
        return None
    slices, rows, columns = index[inside].T
    return float(np.median(volume.voxels[slices, rows, columns]))
