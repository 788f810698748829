"""Paraspinal masses on a sagittal MR series: lumps of mass-like tissue in the slices beside
the vertebral bodies, within the bodies' front-to-back span.

Working indices throughout (``mr_outside_column.Working``); ``mr_outside`` maps the
detections back to canonical voxels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from spinetriage.triage import Side, Weighting
from workers.analysis.mr_outside_column import Column, Floats, Working
from workers.analysis.mr_outside_tissue import DARK_BELOW, MASS_WINDOWS
from workers.analysis.reading import Detection

BAND_AHEAD_MM = 10.0  # paraspinal masses bulge a little in front of the bodies
BAND_SHORT_OF_CANAL_MM = 3.0  # the foramina and their nerve roots lie level with the canal
BODY_EDGE_MARGIN_SLICES = 1  # slices kept clear beyond the outermost slice through a body
OPENING_MM = 4.0  # boundaries between fat and muscle blur into a thin band of mass-like grey
MIN_EXTENT_MM = (10.0, 8.0)  # a mass is at least this long (z) and deep (y)
MAX_LENGTH_MM = 160.0  # longer grey bands are normal anatomy (a mass spans at most ~5 levels)
MIN_VOLUME_MM3 = 3000.0  # and this big: smaller lumps are partial volume and vessels
FULL_CONFIDENCE_MM3 = 8000.0  # lumps this big are as sure as this reader gets
RIM_PX = 6  # a T1 lump is judged against the tissue this many working pixels around it
EDGE_CLEARANCE_MM = 10.0  # lumps at the field's top or bottom edge are cut bodies, not masses
DARK_CONTEXT_SHARE = 0.5  # on T1 a mass shows only against lung: most of its rim dark
BASE_CONFIDENCE, SIZE_CONFIDENCE = 0.5, 0.4
T1_CONFIDENCE_FACTOR = 0.8  # T1 cannot tell a mass from muscle: it only sees them in lung


@dataclass(frozen=True)
class Lump:
    slices: tuple[slice, slice, slice]
    volume_mm3: float
    thickness_mm: float
    right: bool  # on the patient's right (lower x than the midline)
    key: tuple[int, int, int]


def paraspinal_detections(
    working: Working,
    column: Column,
    ratio: Floats,
    candidates: NDArray[np.bool_],
    weighting: Weighting,
) -> list[Detection]:
    mask = candidates & lateral_band(working, column)
    if not mask.any():
        return []
    dz, dy, _ = working.spacing_mm
    opening = np.ones((_px(OPENING_MM, dz), _px(OPENING_MM, dy), 1), dtype=bool)
    rows_y = np.flatnonzero(mask.any(axis=(0, 2)))
    crop = slice(int(rows_y[0]), int(rows_y[-1]) + 1)
    labels = np.zeros(mask.shape, dtype=np.int32)
    labels[:, crop], _ = ndimage.label(ndimage.binary_opening(mask[:, crop], structure=opening))
    lumps = [
        lump
        for index, box in enumerate(ndimage.find_objects(labels), start=1)
        if box is not None
        for lump in [_lump(labels, index, (box[0], box[1], box[2]), working, column)]
        if lump is not None and _context_allows(lump, labels, index, ratio, weighting)
    ]
    return [_detection(group, weighting) for group in _overlapping(lumps)]


def lateral_band(working: Working, column: Column) -> NDArray[np.bool_]:
    """Voxels beside the bodies: lateral to their edge, within their front-to-back span."""
    _, n_y, n_x = working.voxels.shape
    dy = working.spacing_mm[1]
    y = np.arange(n_y)[None, :]
    span = (y >= column.front_y[:, None] - BAND_AHEAD_MM / dy) & (
        y <= column.back_y[:, None] - BAND_SHORT_OF_CANAL_MM / dy
    )
    margin = BODY_EDGE_MARGIN_SLICES
    x = np.arange(n_x)[None, :]
    beside = (x < column.right_edge_x[:, None] - margin) | (
        x > column.left_edge_x[:, None] + margin
    )
    band: NDArray[np.bool_] = span[:, :, None] & beside[:, None, :] & column.seen[:, None, None]
    return band


def _lump(
    labels: NDArray[np.int32],
    index: int,
    box: tuple[slice, slice, slice],
    working: Working,
    column: Column,
) -> Lump | None:
    dz, dy, dx = working.spacing_mm
    inside = labels[box] == index
    extent_z = (box[0].stop - box[0].start) * dz
    extent_y = (box[1].stop - box[1].start) * dy
    volume = float(inside.sum()) * dz * dy * dx
    if not MIN_EXTENT_MM[0] <= extent_z <= MAX_LENGTH_MM:
        return None
    clearance = _px(EDGE_CLEARANCE_MM, dz)
    if box[0].start < clearance or box[0].stop > labels.shape[0] - clearance:
        return None
    if extent_y < MIN_EXTENT_MM[1] or volume < MIN_VOLUME_MM3:
        return None
    across = inside.sum(axis=2)  # slices holding the lump at each (z, y)
    kz, ky = np.unravel_index(int(across.argmax()), across.shape)
    xs = np.flatnonzero(inside[kz, ky])
    key = (box[0].start + int(kz), box[1].start + int(ky), box[2].start + int(np.median(xs)))
    return Lump(
        slices=box,
        volume_mm3=volume,
        thickness_mm=float(across.max()) * dx,
        right=key[2] < column.midline_x[key[0]],
        key=key,
    )


def _context_allows(
    lump: Lump, labels: NDArray[np.int32], index: int, ratio: Floats, weighting: Weighting
) -> bool:
    """On T1 a lump counts only in lung (mostly dark tissue in a rim around it): against
    muscle or psoas a mass does not show on T1."""
    if MASS_WINDOWS[weighting].apart_from_muscle:
        return True
    grown = tuple(
        slice(max(0, s.start - RIM_PX), s.stop + RIM_PX) if axis < 2 else slice(s.start, s.stop)
        for axis, s in enumerate(lump.slices)
    )
    local = labels[grown] == index
    rim = ndimage.binary_dilation(local, iterations=RIM_PX // 2) & ~local
    if not rim.any():
        return False
    return float((ratio[grown][rim] < DARK_BELOW).mean()) >= DARK_CONTEXT_SHARE


def _overlapping(lumps: list[Lump]) -> list[list[Lump]]:
    """Lumps whose heights overlap are one mass (both sides of a bilateral one included)."""
    groups: list[list[Lump]] = []
    for lump in sorted(lumps, key=lambda item: item.slices[0].start):
        if groups and lump.slices[0].start <= max(g.slices[0].stop for g in groups[-1]):
            groups[-1].append(lump)
        else:
            groups.append([lump])
    return groups


def _detection(group: list[Lump], weighting: Weighting) -> Detection:
    sides = {lump.right for lump in group}
    side: Side = "bilateral" if len(sides) == 2 else ("right" if sides == {True} else "left")
    biggest = max(group, key=lambda lump: lump.volume_mm3)
    volume = sum(lump.volume_mm3 for lump in group)
    confidence = BASE_CONFIDENCE + SIZE_CONFIDENCE * min(1.0, volume / FULL_CONFIDENCE_MM3)
    if not MASS_WINDOWS[weighting].apart_from_muscle:
        confidence *= T1_CONFIDENCE_FACTOR
    box = tuple(min(lump.slices[axis].start for lump in group) for axis in range(3)) + tuple(
        max(lump.slices[axis].stop - 1 for lump in group) for axis in range(3)
    )
    return Detection(
        type="paraspinal_mass",
        z_range=(box[0], box[3]),
        side=side,
        max_thickness_mm=round(max(lump.thickness_mm for lump in group), 1),
        canal_compromise_pct=None,
        bilsky_grade=None,
        confidence=round(confidence, 2),
        key_voxel=biggest.key,
        box=(box[0], box[1], box[2], box[3], box[4], box[5]),
    )


def _px(mm: float, spacing_mm: float) -> int:
    return max(1, round(mm / spacing_mm))
