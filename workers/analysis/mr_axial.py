"""An axial T2 (or STIR) MR block read slice by slice: epidural masses from how the thecal sac
is squeezed, graded the way Bilsky defined the grades (on the axial section). Paraspinal masses
are left to the sagittal series: read beside the body on axial sections against the muscle,
fat-muscle boundaries of the lumbar psoas gave as many lumps as masses did.

An axial block of 20-40 slices rarely shows an anchor, so the reading has no segments; the
study analysis places its detections by height. The sac's normal size is taken from the
block itself (the larger sections of it), so a congenitally narrow canal is its own normal."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from spinetriage.triage import BilskyGrade, Side, Weighting, bilsky_rank
from workers.analysis.mr_axial_canal import SacSection, sac_sections
from workers.analysis.reading import Detection, SeriesReading
from workers.analysis.volume import CanonicalVolume

NORMAL_PERCENTILE = 75.0  # the sac's normal size: most sections of a block are not squeezed
DEFORMED_FROM = 0.3  # a sac this much smaller than normal is deformed (tuning negatives
# reached 0.3 on single sections where roots and flow voids break the CSF ring)
MIN_SLICES = 2  # a mass is seen on at least this many consecutive deformed sections
SURE_COMPROMISE = 0.5  # or on one section squeezed this much
CORD_COMPRESSED_BELOW = 0.72  # a cord smaller than this share of its normal is compressed
RING_OPEN_BELOW = 0.3  # less enclosed cord than this share of normal: the CSF ring is open
NO_CSF_BELOW = 0.12  # CSF left under this share of its normal: none (Bilsky 3)
MIN_CORD_MM2 = 12.0  # below this there is no cord in the block (below the conus): the
# lumbar sac's shape changes too much along the roots to call a squeeze, and the contract's
# compression is of the cord
CENTRED_WITHIN_MM = 0.8  # a squeeze that moves the sac less than this is all round
BASE_CONFIDENCE, COMPROMISE_CONFIDENCE = 0.45, 0.8
MIN_SECTIONS = 4  # fewer sections with a sac cannot tell normal from squeezed


def read_axial_mr(volume: CanonicalVolume, weighting: Weighting) -> SeriesReading:
    """Epidural detections of one axial MR block, canonical voxels. ``weighting`` is part of
    the readers' common signature; T2 and STIR both show CSF bright, which is all this needs."""
    if volume.voxels.ndim != 3:
        raise ValueError(f"volume: expected 3 dimensions, got shape {volume.voxels.shape}")
    pixel_mm = float(np.sqrt(volume.spacing_mm[1] * volume.spacing_mm[2]))
    sections = sac_sections(volume.voxels, pixel_mm)
    seen = [s for s in sections if s is not None]
    if len(seen) < MIN_SECTIONS:
        return SeriesReading(segments=(), anchor=None, detections=(), note="canal not found")
    has_cord = np.percentile([s.cord_mm2 for s in seen], NORMAL_PERCENTILE) >= MIN_CORD_MM2
    if not has_cord:
        return SeriesReading(segments=(), anchor=None, detections=())
    sections = above_conus(sections)
    seen = [s for s in sections if s is not None]
    return SeriesReading(
        segments=(), anchor=None, detections=tuple(_epidural(sections, seen, pixel_mm))
    )


def above_conus(sections: list[SacSection | None]) -> list[SacSection | None]:
    """The sections with the block's conus end dropped (None): below the last section with a
    cord, where the sac holds only roots and CSF, its area is not comparable with the sections
    that hold the cord. A mass that squeezes the cord out of sight has cord again below it."""
    with_cord = [i for i, s in enumerate(sections) if s is not None and s.cord_mm2 >= MIN_CORD_MM2]
    last = with_cord[-1] if with_cord else len(sections) - 1
    return [s if i <= last else None for i, s in enumerate(sections)]


def _epidural(
    sections: list[SacSection | None], seen: list[SacSection], pixel_mm: float
) -> list[Detection]:
    normal_area = float(np.percentile([s.area_mm2 for s in seen], NORMAL_PERCENTILE))
    compromise = np.array([0.0 if s is None else 1.0 - s.area_mm2 / normal_area for s in sections])
    deformed = compromise >= DEFORMED_FROM
    detections = []
    for first, last in _runs(deformed):
        if first == 0 or last == len(sections) - 1:
            continue  # the block's end sections cannot be compared with both sides
        peak = float(compromise[first : last + 1].max())
        if last - first + 1 < MIN_SLICES and peak < SURE_COMPROMISE:
            continue
        detections.append(_detection(sections, seen, compromise, (first, last), pixel_mm))
    return detections


def _runs(flags: NDArray[np.bool_]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = None
    for index, flag in enumerate([*flags.tolist(), False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index - 1))
            start = None
    return runs


def _detection(
    sections: list[SacSection | None],
    seen: list[SacSection],
    compromise: NDArray[np.float64],
    run: tuple[int, int],
    pixel_mm: float,
) -> Detection:
    first, last = run
    key_z = first + int(np.argmax(compromise[first : last + 1]))
    key = sections[key_z]
    assert key is not None  # deformed sections have a sac
    normal = [s for s in seen if s.area_mm2 >= np.percentile([t.area_mm2 for t in seen], 50)]
    grades = [_grade(s, seen) for s in sections[first : last + 1] if s is not None]
    worst = max(grades, key=bilsky_rank)
    ap_loss = float(np.median([s.ap_mm for s in normal])) - key.ap_mm
    width_loss = float(np.median([s.width_mm for s in normal])) - key.width_mm
    peak = float(compromise[key_z])
    y0, x0, y1, x1 = key.box
    return Detection(
        type="epidural_mass",
        z_range=(first, last),
        side=_side(key, normal, pixel_mm),
        max_thickness_mm=round(max(ap_loss, width_loss, 0.0), 1),
        canal_compromise_pct=round(100.0 * peak, 1),
        bilsky_grade=worst,
        confidence=round(min(0.95, BASE_CONFIDENCE + COMPROMISE_CONFIDENCE * peak), 2),
        key_voxel=(key_z, int(key.centre[0]), int(key.centre[1])),
        box=(first, y0, x0, last, y1, x1),
    )


def _grade(section: SacSection, seen: list[SacSection]) -> BilskyGrade:
    """Bilsky on one deformed section: CSF left, cord size, cord against the wall. A cord
    pushed against the wall opens the CSF ring, so no cord is enclosed to measure: it is
    touching (1c), and only a cord still ringed by CSF can be measured as compressed (2)."""
    normal_cord = float(np.percentile([s.cord_mm2 for s in seen], NORMAL_PERCENTILE))
    normal_csf = float(np.percentile([s.csf_mm2 for s in seen], NORMAL_PERCENTILE))
    if section.csf_mm2 < NO_CSF_BELOW * normal_csf:
        return "3"
    if normal_cord < MIN_CORD_MM2:
        return "1b"
    if section.cord_mm2 < RING_OPEN_BELOW * normal_cord:
        return "1c"
    if section.cord_mm2 < CORD_COMPRESSED_BELOW * normal_cord:
        return "2"
    return "1c" if section.cord_touches_wall else "1b"


def _side(key: SacSection, normal: list[SacSection], pixel_mm: float) -> Side:
    """The mass lies opposite to where it pushed the sac."""
    shift_y = (key.centre[0] - float(np.median([s.centre[0] for s in normal]))) * pixel_mm
    shift_x = (key.centre[1] - float(np.median([s.centre[1] for s in normal]))) * pixel_mm
    if max(abs(shift_y), abs(shift_x)) < CENTRED_WITHIN_MM:
        return "circumferential"
    if abs(shift_y) >= abs(shift_x):
        return "anterior" if shift_y > 0 else "posterior"
    return "right" if shift_x > 0 else "left"
