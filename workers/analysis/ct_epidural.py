"""Epidural masses on axial CT: soft tissue in the bony canal that takes the place of the
epidural fat and the thecal sac's CSF, compared with the canal above and below.

CT shows fat (about -100 HU), CSF (about 10 HU) and soft tissue (cord, roots, tumour: 30-55
HU) apart, but the cord and an epidural mass differ by only about 10 HU, under the noise: the
cord itself is not segmented. The reading therefore rests on what CT does show: the dense tissue
lining the canal wall (the mass's thickness), the CSF left in the sac against the CSF expected
at that height (the sac's compromise), and whether any CSF is left at all. The Bilsky grade is
read from how much of the expected CSF is gone, with thresholds fitted on the synthetic tuning
cases (see the constants); grade 2 against 1c is the least certain call CT allows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from spinetriage.triage import BilskyGrade, Side
from workers.analysis.ct_canal import CanalPath
from workers.analysis.ct_section import Sections
from workers.analysis.reading import Detection

REFERENCE_HALF_WINDOW_MM = 80.0  # the canal's normal contents: read over this much above and below
REFERENCE_HIGH_PERCENTILE = 80.0  # CSF and fat: masses only lower them, so take a high value
REFERENCE_LOW_PERCENTILE = 30.0  # dense tissue (the cord): masses only raise it
PROFILE_SMOOTHING_MM = 1.5  # per-slice measures are averaged over about this height
MASS_LINING_MM = 2.5  # dense tissue this much thicker along the wall than usual lines it
# Dense tissue in the canal beyond the usual (mm2, averaged over MASS_AVERAGE_MM of height).
# Tuning cases: compressive masses 129-171, everything else at most 47 (cauda equina roots
# gathering above the conus, disc bulges, noise); a mass is cored where it reaches the high
# value and extends along the canal while it stays above the low one.
MASS_DENSE_EXCESS_MM2 = 70.0
MASS_EXTENT_EXCESS_MM2 = 30.0
# ... or a thinner one where the sac has lost much of its CSF too (a 1c mass measured 55 mm2
# and 0.45; negatives with 50-78 mm2, low SNR and disc bulges, lost at most 0.18 of it away
# from the sac's ends)
SQUEEZING_DENSE_EXCESS_MM2 = 50.0
SQUEEZING_CSF_LOSS = 0.4
MASS_AVERAGE_MM = 4.0
MIN_MASS_HEIGHT_MM = 4.0  # shorter runs are partial volume of endplates and laminae
JOIN_GAP_MM = 4.0  # runs this close are one lobulated mass
END_MARGIN_MM = 3.0  # a run must leave this much free canal before the sac's ends
# Loss of the expected CSF at the worst section, from which each grade starts. Tuning cases:
# grade 3 lost 0.97-1.0, grade 2 0.44-0.74, grade 1c 0.39-0.83 (2 and 1c overlap: the cord
# is not seen, so the split favours calling cord compression).
SAC_DEFORMED_LOSS = 0.2
SAC_TOUCHING_LOSS = 0.35
CORD_COMPRESSED_LOSS = 0.45
NO_CSF_LOSS = 0.9
CIRCUMFERENTIAL_SHARE = 0.7  # lining found on this share of the rays wraps the sac
SIDE_MARGIN_DEG = 45.0  # within this of straight back (front) a mass is posterior (anterior)


@dataclass(frozen=True)
class EpiduralProfile:
    """Per slice: how much the wall lining exceeds its usual thickness (mm) and on which ray,
    how much more dense tissue than usual (mm2), and the share of expected CSF that is gone."""

    lining_excess_mm: NDArray[np.float64]  # (slice, ray)
    dense_excess_mm2: NDArray[np.float64]
    csf_loss: NDArray[np.float64]
    mass: NDArray[np.bool_]


def _rolling_percentile(values: NDArray[np.float64], half: int, q: float) -> NDArray[np.float64]:
    padded = np.pad(values, (half, half), mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    result: NDArray[np.float64] = np.percentile(windows, q, axis=1)
    return result


def _rolling_median_rays(values: NDArray[np.float64], half: int) -> NDArray[np.float64]:
    padded = np.pad(values, ((half, half), (0, 0)), mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0)
    result: NDArray[np.float64] = np.median(windows, axis=2)
    return result


def epidural_profile(sections: Sections, slice_mm: float) -> EpiduralProfile:
    slices = sections.csf_mm2.size
    half = max(1, min(round(REFERENCE_HALF_WINDOW_MM / slice_mm), slices - 1))
    sigma = PROFILE_SMOOTHING_MM / slice_mm
    csf = ndimage.gaussian_filter1d(sections.csf_mm2, sigma, mode="nearest")
    dense = ndimage.gaussian_filter1d(sections.dense_mm2, sigma, mode="nearest")
    expected_csf = _rolling_percentile(csf, half, REFERENCE_HIGH_PERCENTILE)
    expected_dense = _rolling_percentile(dense, half, REFERENCE_LOW_PERCENTILE)
    lining = ndimage.gaussian_filter1d(sections.lining_mm, sigma, axis=0, mode="nearest")
    excess = lining - _rolling_median_rays(lining, half)
    dense_excess = ndimage.uniform_filter1d(
        dense - expected_dense, max(1, round(MASS_AVERAGE_MM / slice_mm)), mode="nearest"
    )
    csf_loss = np.clip(1 - csf / np.maximum(expected_csf, 1.0), 0.0, 1.0)
    core = (dense_excess >= MASS_DENSE_EXCESS_MM2) | (
        (dense_excess >= SQUEEZING_DENSE_EXCESS_MM2) & (csf_loss >= SQUEEZING_CSF_LOSS)
    )
    labels, _ = ndimage.label(dense_excess >= MASS_EXTENT_EXCESS_MM2)
    cored = np.unique(labels[core])
    mass = np.isin(labels, cored[cored > 0])
    return EpiduralProfile(
        lining_excess_mm=excess, dense_excess_mm2=dense_excess, csf_loss=csf_loss, mass=mass
    )


def mass_runs(mass: NDArray[np.bool_], slice_mm: float) -> list[tuple[int, int]]:
    """First and last slice of each run of mass slices, short gaps closed, short runs dropped."""
    gap = max(1, round(JOIN_GAP_MM / slice_mm))
    closed = ndimage.binary_closing(mass, structure=np.ones(2 * gap + 1, dtype=bool))
    closed |= mass
    labels, _ = ndimage.label(closed)
    runs = []
    for found in ndimage.find_objects(labels):
        first, last = found[0].start, found[0].stop - 1
        if (last - first + 1) * slice_mm >= MIN_MASS_HEIGHT_MM:
            runs.append((first, last))
    return runs


def bilsky_from_loss(loss: float) -> BilskyGrade:
    if loss >= NO_CSF_LOSS:
        return "3"
    if loss >= CORD_COMPRESSED_LOSS:
        return "2"
    if loss >= SAC_TOUCHING_LOSS:
        return "1c"
    if loss >= SAC_DEFORMED_LOSS:
        return "1b"
    return "1a"


def side_of(excess: NDArray[np.float64], angles: NDArray[np.float64]) -> Side:
    """Where around the canal the lining is thickest (angles: 0 back, +90 deg patient's left)."""
    if np.mean(excess >= MASS_LINING_MM) >= CIRCUMFERENTIAL_SHARE:
        return "circumferential"
    weights = np.clip(excess, 0.0, None)
    if weights.sum() <= 0:
        weights = np.ones_like(excess)
    angle = np.degrees(
        np.arctan2((weights * np.sin(angles)).sum(), (weights * np.cos(angles)).sum())
    )
    if abs(angle) <= SIDE_MARGIN_DEG:
        return "posterior"
    if abs(angle) >= 180.0 - SIDE_MARGIN_DEG:
        return "anterior"
    return "left" if angle > 0 else "right"


def epidural_detections(
    sections: Sections,
    path: CanalPath,
    sac_range: tuple[int, int],
    slice_mm: float,
    pixel_mm: tuple[float, float],
) -> list[Detection]:
    """Masses between the sac's ends (``sac_range``, inclusive slices). A run reaching the
    sac's lower end cannot be told from the sac's own ending and is dropped; one reaching
    the top of the range under a skull is kept (masses do reach C1); one cut by the series'
    top is dropped, having no canal above to be compared with."""
    profile = epidural_profile(sections, slice_mm)
    top, bottom = sac_range
    margin = max(1, round(END_MARGIN_MM / slice_mm))
    mass = profile.mass.copy()
    mass[: top + 1] = False
    mass[bottom:] = False
    detections = []
    for first, last in mass_runs(mass, slice_mm):
        if bottom - last < margin or (top == 0 and first < margin):
            continue
        detections.append(_detection(profile, sections, path, (first, last), pixel_mm))
    return detections


def _detection(
    profile: EpiduralProfile,
    sections: Sections,
    path: CanalPath,
    run: tuple[int, int],
    pixel_mm: tuple[float, float],
) -> Detection:
    first, last = run
    span = slice(first, last + 1)
    loss = profile.csf_loss[span]
    worst = first + int(np.argmax(loss))
    thickest = first + int(np.argmax(profile.lining_excess_mm[span].max(axis=1)))
    excess = profile.lining_excess_mm[thickest]
    thickness = float(max(excess.max(), 0.0))
    grade = bilsky_from_loss(float(loss.max()))
    radius_y = sections.wall_mm[worst].max() / pixel_mm[0]
    radius_x = sections.wall_mm[worst].max() / pixel_mm[1]
    y, x = float(path.y[worst]), float(path.x[worst])
    strength = min(1.0, thickness / (3 * MASS_LINING_MM) + float(loss.max()))
    return Detection(
        type="epidural_mass",
        z_range=(first, last),
        side=side_of(excess, sections.angles_rad),
        max_thickness_mm=round(thickness, 1),
        canal_compromise_pct=round(100 * float(loss.max()), 1),
        bilsky_grade=grade,
        confidence=round(0.4 + 0.6 * strength, 2),
        key_voxel=(worst, round(y), round(x)),
        box=(
            first,
            round(y - radius_y),
            round(x - radius_x),
            last,
            round(y + radius_y),
            round(x + radius_x),
        ),
    )
