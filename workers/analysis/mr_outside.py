"""Soft-tissue masses outside the canal on a sagittal MR series: paraspinal (beside the
vertebral bodies, one side or both) and prevertebral (in front of them).

The column of bodies is found first (``mr_outside_column``); brightness is read relative to
the paraspinal muscle (``mr_outside_tissue``). Paraspinal (``mr_outside_paraspinal``): in the
slices lateral to the bodies, within their front-to-back span, a connected lump of mass-like
tissue of at least 10 mm; its side follows from which slices hold it (x runs from the
patient's right to left). Prevertebral (``mr_outside_prevertebral``): on the slices through
the bodies, mass-like tissue that starts at the bodies' front, reaches 7-40 mm forward, has
normal heights above and below it and ends towards the sides; read on STIR, fat-suppressed
T1 and T1, not on T2, where a metastasis is as bright as the fat in front of the bodies."""

from __future__ import annotations

from spinetriage.triage import Weighting
from workers.analysis.mr_outside_column import Column, Working, find_column, working_copy
from workers.analysis.mr_outside_paraspinal import paraspinal_detections
from workers.analysis.mr_outside_prevertebral import prevertebral_detections
from workers.analysis.mr_outside_tissue import (
    MASS_WINDOWS,
    mass_like,
    muscle_reference,
    relative_brightness,
)
from workers.analysis.reading import Detection
from workers.analysis.volume import CanonicalVolume

MIN_SLICES = 5  # fewer sagittal slices cannot show the column and beside it
SEARCH_AHEAD_MM = 70.0  # prevertebral runs are followed this far in front of the bodies


def outside_masses_sagittal(volume: CanonicalVolume, weighting: Weighting) -> tuple[Detection, ...]:
    """Paraspinal and prevertebral detections of one sagittal MR series, canonical voxels."""
    if volume.voxels.ndim != 3:
        raise ValueError(f"volume: expected 3 dimensions, got shape {volume.voxels.shape}")
    if weighting not in MASS_WINDOWS or volume.voxels.shape[2] < MIN_SLICES:
        return ()
    working = working_copy(volume)
    column = find_column(working)
    if not column.seen.any():
        return ()
    ratio = relative_brightness(
        working, muscle_reference(working, column), _rows_y(working, column)
    )
    candidates = mass_like(ratio, weighting)
    found = paraspinal_detections(working, column, ratio, candidates, weighting)
    found += prevertebral_detections(working, column, ratio, candidates, weighting)
    return tuple(_to_canonical(d, working) for d in found)


def _rows_y(working: Working, column: Column) -> tuple[int, int]:
    """Working rows (y) any mass could lie in: from well in front of the bodies to the canal."""
    dy = working.spacing_mm[1]
    ahead = int(min(column.front_y[column.seen]) - SEARCH_AHEAD_MM / dy)
    behind = int(max(column.back_y[column.seen])) + 1
    return max(0, ahead), min(working.voxels.shape[1], behind)


def _to_canonical(detection: Detection, working: Working) -> Detection:
    """Working (z, y) indices back to canonical ones; x is never resampled."""
    fz, fy = working.factor
    z0, y0, x0, z1, y1, x1 = detection.box
    kz, ky, kx = detection.key_voxel
    return Detection(
        type=detection.type,
        z_range=(detection.z_range[0] * fz, detection.z_range[1] * fz + fz - 1),
        side=detection.side,
        max_thickness_mm=detection.max_thickness_mm,
        canal_compromise_pct=None,
        bilsky_grade=None,
        confidence=detection.confidence,
        key_voxel=(kz * fz + fz // 2, ky * fy + fy // 2, kx),
        box=(z0 * fz, y0 * fy, x0, z1 * fz + fz - 1, y1 * fy + fy - 1, x1),
    )
