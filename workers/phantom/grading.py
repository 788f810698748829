"""Bilsky grade of an epidural mass, measured on the canal exactly as it is drawn.

Each axial section of the canal is sampled finely (the same label function the renderer uses)
and measured: how much of the normal sac is lost (sac deformed), whether CSF is left between the
cord and the sac wall on the mass's side (rim), how much the cord's AP has shrunk, and whether
any CSF thick enough to see is left around the cord. The grade of a mass is the worst section's:

- 1a: epidural tissue, sac not deformed;
- 1b: sac deformed, a CSF rim remains between the mass-side wall and the cord;
- 1c: sac deformed and touching the cord, cord not compressed;
- 2:  cord compressed (AP or width reduced), CSF still visible somewhere around it;
- 3:  cord compressed, no CSF visible around it (the cord fills what is left of the sac)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import binary_erosion

from spinetriage.triage import BilskyGrade, bilsky_rank
from workers.phantom.canal import Canal
from workers.phantom.masses import EpiduralMass
from workers.phantom.tissues import CSF_TISSUES, MASS_TISSUES, SAC_TISSUES, Tissue

SECTION_STEP_MM = 0.2  # sampling of a canal section; finer than anything measured
SAC_DEFORMED_MM = 1.0  # a sac wall pushed in by a millimetre is deformed
RIM_CONTACT_MM = 0.5  # less CSF than this between wall and cord: they touch
CORD_COMPRESSED = 0.85  # cord AP at or below this fraction of normal: compressed
CSF_VISIBLE_MM = 1.0  # a CSF pocket must be this thick to be seen at 1 mm pixels
MASS_VISIBLE_MM = 1.0  # thinner epidural tissue is not counted as mass
RAY_STEP_MM = 0.05
RAYS_ACROSS_MASS = 7  # rim measured along this many directions within the mass's arc
RAYS_AROUND = 16  # for a circumferential mass
CENTRAL_FRACTION = 0.25  # AP thickness is read on columns within this much of the midline
LATERAL_SINE = 0.7  # a mass centred more than 45 deg off the midline lies beside the sac


@dataclass(frozen=True)
class Section:
    """Measurements of one axial section of the canal (mm)."""

    s: float
    mass_ap_mm: float  # largest unbroken AP extent near the midline (lateral mass: LR extent)
    mass_radial_mm: float  # largest mass thickness at any angle (for the craniocaudal extent)
    sac_ap_mm: float  # remaining sac AP at the midline
    normal_sac_ap_mm: float
    sac_loss_mm: float  # largest loss of sac along any line through it
    rim_mm: float  # CSF between the cord and the mass-side wall (smallest)
    cord_ratio: float  # the cord's AP or width, whichever shrank more, over its normal size
    csf_visible: bool

    @property
    def has_mass(self) -> bool:
        return self.mass_radial_mm >= MASS_VISIBLE_MM

    @property
    def grade(self) -> BilskyGrade | None:
        if not self.has_mass:
            return None
        if self.sac_loss_mm < SAC_DEFORMED_MM:
            return "1a"
        # a cord moulded to the whole remaining sac is compressed whatever its AP
        if self.cord_ratio <= CORD_COMPRESSED or not self.csf_visible:
            return "2" if self.csf_visible else "3"
        return "1b" if self.rim_mm >= RIM_CONTACT_MM else "1c"


def measure(canal: Canal, mass: EpiduralMass, s: float) -> Section:
    """Sample the canal at height s and measure what ``mass`` does to it."""
    spine = canal.spine
    a_c, b_c = (float(x) for x in spine.canal(np.float32(s)))
    u = np.arange(-a_c - 0.4, a_c + 0.4, SECTION_STEP_MM, dtype=np.float32)
    v = np.arange(-b_c - 0.4, b_c + 0.4, SECTION_STEP_MM, dtype=np.float32)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    section = canal.section(np.full(uu.shape, s, dtype=np.float32), uu, vv)
    labels = section.labels
    in_mass = np.isin(labels, MASS_TISSUES)
    in_sac = np.isin(labels, SAC_TISSUES)
    central = np.abs(v) <= b_c * CENTRAL_FRACTION
    mid = np.abs(v) < SECTION_STEP_MM
    cord = labels == Tissue.CORD
    cord_ap = _midline_extent(cord, mid)
    _, normal_a, normal_b = (float(x) for x in spine.cord(np.float32(s)))
    cord_width = _longest_runs(cord.T) * SECTION_STEP_MM
    has_cord = s < spine.conus_tip_s  # below the conus there is no cord to compress
    thickness = mass.thickness(np.array([s]), np.linspace(-180, 180, 73))
    lost = section.normal_sac & ~in_sac
    lateral = not mass.circumferential and abs(np.sin(np.radians(mass.center_deg))) > LATERAL_SINE
    if lateral:  # beside the sac: its thickness is measured across, in the middle rows
        mass_ap = _longest_runs(in_mass[np.abs(u) <= a_c / 2, :].T)
    else:
        mass_ap = _longest_runs(in_mass[:, central])
    return Section(
        s=s,
        mass_ap_mm=mass_ap * SECTION_STEP_MM,
        mass_radial_mm=float(thickness.max()),
        sac_ap_mm=_midline_extent(in_sac, mid),
        normal_sac_ap_mm=_midline_extent(section.normal_sac, mid),
        sac_loss_mm=max(_longest_run(lost, 0), _longest_run(lost, 1)) * SECTION_STEP_MM,
        rim_mm=_rim(canal, mass, s),
        cord_ratio=min(cord_ap / (2 * normal_a), cord_width / (2 * normal_b)) if has_cord else 1.0,
        csf_visible=_csf_visible(labels),
    )


def worst(sections: list[Section]) -> Section | None:
    """The section with the worst grade (ties: the most compressed cord)."""
    graded = [x for x in sections if x.grade is not None]
    if not graded:
        return None
    return max(graded, key=lambda x: (bilsky_rank(x.grade or "0"), -x.cord_ratio, x.sac_loss_mm))


def _midline_extent(mask: NDArray[np.bool_], mid: NDArray[np.bool_]) -> float:
    return float(mask[:, mid].sum(axis=0).mean()) * SECTION_STEP_MM


def _longest_runs(mask: NDArray[np.bool_]) -> int:
    """Longest unbroken run of True down any column (a ring's two sides are not summed)."""
    run = np.zeros(mask.shape[1], dtype=np.int32)
    best = np.zeros(mask.shape[1], dtype=np.int32)
    for row in mask:
        run = (run + 1) * row
        np.maximum(best, run, out=best)
    return int(best.max(initial=0))


def _longest_run(mask: NDArray[np.bool_], axis: int) -> int:
    """Pixels of mask along the fullest line in ``axis`` (loss is convex per line)."""
    return int(mask.sum(axis=axis).max(initial=0))


def _csf_visible(labels: NDArray[np.uint8]) -> bool:
    csf = np.isin(labels, CSF_TISSUES)
    radius = round(CSF_VISIBLE_MM / 2 / SECTION_STEP_MM)
    disk = np.hypot(*np.mgrid[-radius : radius + 1, -radius : radius + 1]) <= radius
    return bool(binary_erosion(csf, disk).any())


def _rim(canal: Canal, mass: EpiduralMass, s: float) -> float:
    """Smallest CSF run from the cord's edge to the sac wall, on rays towards the mass."""
    spine = canal.spine
    centre_u = float(spine.rows(canal.cord.table, np.float32(s))[0])
    if mass.circumferential:
        angles = np.linspace(-180, 180, RAYS_AROUND, endpoint=False)
    else:
        spread = 0.6 * mass.half_width_deg
        angles = mass.center_deg + np.linspace(-spread, spread, RAYS_ACROSS_MASS)
    t = np.arange(0, 25, RAY_STEP_MM, dtype=np.float32)
    rad = np.radians(angles)[:, None]
    uu = (centre_u + t[None, :] * np.cos(rad)).astype(np.float32)
    vv = (t[None, :] * np.sin(rad)).astype(np.float32)
    labels = canal.section(np.full(uu.shape, s, dtype=np.float32), uu, vv).labels
    rims = [_run_after_cord(row) for row in labels]
    return float(min(rims)) * RAY_STEP_MM


def _run_after_cord(ray: NDArray[np.uint8]) -> int:
    """CSF samples between the end of the cord and the next non-sac sample along a ray."""
    is_cord = ray == Tissue.CORD
    start = int(np.argmin(is_cord)) if is_cord[0] else 0
    rest = ray[start:]
    in_sac = np.isin(rest, SAC_TISSUES) & (rest != Tissue.CORD)
    return int(np.argmin(in_sac)) if not in_sac.all() else int(in_sac.size)
