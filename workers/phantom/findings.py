"""Ground-truth findings, measured on the phantom as drawn.

Epidural masses are measured section by section in the canal (``grading``); paraspinal and
prevertebral masses by labelling axial cross-sections through them with the same label
function that renders the images, and counting the mass's voxels. Levels follow the contract:
a level counts when the mass covers at least ``LEVEL_OVERLAP_MM`` of its body or the disc
below it."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from spinetriage.levels import LEVELS
from spinetriage.triage import Side
from workers.phantom.anatomy import SEGMENTS
from workers.phantom.grading import MASS_VISIBLE_MM, Section, measure, worst
from workers.phantom.masses import TISSUE_OF, BlobMass, EpiduralMass
from workers.phantom.phantom import Phantom
from workers.phantom.spine import Spine
from workers.phantom.truth import TruthFinding

LEVEL_OVERLAP_MM = 3.0
EXTENT_STEP_MM = 0.25  # sampling of a mass's craniocaudal extent
SECTION_EVERY_MM = 1.5  # epidural sections graded this far apart
BLOB_STEP_MM = (1.0, 0.5)  # blob cross-sections: between sections, within a section
BLOB_MIN_AREA_MM2 = 4.0  # less mass than this on one side does not make it that side's
EXPECTED_SAC_MARGIN_MM = 5.0  # normal sac measured this far beyond the mass's ends
ANGLES_DEG = np.linspace(-180, 180, 73)


def level_span(
    spine: Spine, present: NDArray[np.bool_], s: NDArray[np.floating]
) -> tuple[str, str]:
    """First and last contract level covered by the heights where ``present``."""
    index = spine.segment_of(s[present])
    counts = np.bincount(index, minlength=len(SEGMENTS)) * (s[1] - s[0])
    counted = [i for i, mm in enumerate(counts) if mm >= LEVEL_OVERLAP_MM]
    if not counted:
        counted = [int(np.argmax(counts))]
    names = [LEVELS[min(i, len(LEVELS) - 1)] for i in counted]  # S2..S5 are the sacrum, S1
    return names[0], names[-1]


def epidural_extent(mass: EpiduralMass) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    s = np.arange(mass.top_s - 15, mass.bottom_s + 15, EXTENT_STEP_MM)
    thickest = mass.thickness(s[:, None], ANGLES_DEG[None, :]).max(axis=1)
    return s, thickest >= MASS_VISIBLE_MM


def epidural_sections(phantom: Phantom, mass: EpiduralMass) -> list[Section]:
    s, present = epidural_extent(mass)
    if not present.any():
        return []
    first, last = float(s[present][0]), float(s[present][-1])
    heights = list(np.arange(first, last + 0.01, SECTION_EVERY_MM))
    heights.append(float(s[np.argmax(mass.along(s))]))
    return [measure(phantom.canal, mass, float(h)) for h in sorted(heights)]


def epidural_finding(phantom: Phantom, mass: EpiduralMass) -> TruthFinding | None:
    s, present = epidural_extent(mass)
    sections = epidural_sections(phantom, mass)
    graded = worst(sections)
    if graded is None:
        return None
    first, last = float(s[present][0]), float(s[present][-1])
    _, above_a, _ = phantom.spine.sac(np.float32(first - EXPECTED_SAC_MARGIN_MM))
    _, below_a, _ = phantom.spine.sac(np.float32(last + EXPECTED_SAC_MARGIN_MM))
    compromise = 0.0
    for x in sections:
        frac = (x.s - first) / max(last - first, 1e-6)
        expected = 2 * float(above_a + frac * (below_a - above_a))
        compromise = max(compromise, 100 * (1 - x.sac_ap_mm / expected))
    top, bottom = level_span(phantom.spine, present, s)
    return TruthFinding(
        type="epidural_mass",
        from_level=top,
        to_level=bottom,
        side=epidural_side(mass),
        max_thickness_mm=round(max(x.mass_ap_mm for x in sections), 1),
        bilsky_grade=graded.grade,
        canal_compromise_pct=round(float(np.clip(compromise, 0, 100)), 1),
    )


def epidural_side(mass: EpiduralMass) -> Side:
    if mass.circumferential:
        return "circumferential"
    centre = (mass.center_deg + 180) % 360 - 180
    if abs(centre) <= 45:
        return "posterior"
    if abs(centre) >= 135:
        return "anterior"
    return "left" if centre > 0 else "right"


def blob_finding(phantom: Phantom, blob: BlobMass) -> TruthFinding | None:
    """Measure a paraspinal or prevertebral mass on axial cross-sections through it."""
    ds, dp = BLOB_STEP_MM
    low, high = blob.s_range()
    s = np.arange(low, high + ds, ds)
    u0, u1, v0, v1 = _blob_box(blob)
    u = np.arange(u0, u1, dp, dtype=np.float32)
    v = np.arange(v0, v1, dp, dtype=np.float32)
    ss, uu, vv = np.meshgrid(s.astype(np.float32), u, v, indexing="ij")
    mass = blob.contains(ss, uu, vv)
    # bone and the canal are drawn over a blob: keep the voxels that still show it
    points = phantom.spine.to_lps(ss[mass], uu[mass], vv[mass])
    mass[mass] = phantom.labels(points) == TISSUE_OF[blob.tissue]
    across = 2 if blob.kind == "paraspinal" else 1  # transverse or AP thickness
    runs = _longest_run(mass, axis=across) * dp
    present = runs.max(axis=1) >= MASS_VISIBLE_MM
    if not present.any():
        return None
    left = mass[..., v > 0].sum() * dp * dp >= BLOB_MIN_AREA_MM2
    right = mass[..., v < 0].sum() * dp * dp >= BLOB_MIN_AREA_MM2
    side: Side = "bilateral" if left and right else ("left" if left else "right")
    if blob.kind == "prevertebral":
        side = "anterior"
    top, bottom = level_span(phantom.spine, present, s)
    return TruthFinding(
        type="paraspinal_mass" if blob.kind == "paraspinal" else "prevertebral_mass",
        from_level=top,
        to_level=bottom,
        side=side,
        max_thickness_mm=round(float(runs.max()), 1),
    )


def _blob_box(blob: BlobMass) -> tuple[float, float, float, float]:
    u0 = min(e.u - e.ru for e in blob.lobes) - 2
    u1 = max(e.u + e.ru for e in blob.lobes) + 2
    v0 = min(e.v - e.rv for e in blob.lobes) - 2
    v1 = max(e.v + e.rv for e in blob.lobes) + 2
    return u0, u1, v0, v1


def _longest_run(mask: NDArray[np.bool_], axis: int) -> NDArray[np.int32]:
    """Longest unbroken run of True along ``axis`` (each side of a bilateral mass apart)."""
    moved = np.moveaxis(mask, axis, 0)
    run = np.zeros(moved.shape[1:], dtype=np.int32)
    best = np.zeros(moved.shape[1:], dtype=np.int32)
    for layer in moved:
        run = (run + 1) * layer
        np.maximum(best, run, out=best)
    return best
