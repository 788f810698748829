"""What a case holds beyond normal anatomy, drawn at random: epidural masses aimed at a Bilsky
grade, paraspinal and prevertebral masses, bone lesions, and the distractors that must not be
called compression (disc bulges, hemangiomas, flow artefacts).

An epidural mass's shape is drawn first; its thickness is then chosen in the middle of the
range that gives the wanted grade at its thickest section (grades grow with thickness). The
ground truth is measured afterwards on the whole mass, so it never depends on this aim."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from spinetriage.triage import BilskyGrade, bilsky_rank
from workers.phantom.canal import Bulge, Canal, FlowVoid
from workers.phantom.grading import measure
from workers.phantom.masses import BlobMass, BoneLesion, Ellipsoid, EpiduralMass, Lobe, MassTissue
from workers.phantom.spine import Spine

COARSE_MM = np.arange(0.6, 14.0, 0.9)  # thicknesses scanned when aiming at a grade, then
FINE_STEP_MM = 0.2  # the bracket around the wanted grade is scanned this finely
MIN_CORD_RATIO = 0.35  # masses are not drawn crushing the cord to less than this of its AP
VISIBLY_FLATTENED = 0.8  # grade 2-3 masses are aimed at cords at most this fraction of normal
BELOW_CONUS_MARGIN_MM = 8.0  # epidural masses stay where there is a cord to compress
BULGE_CLEARANCE_MM = 0.8  # a bulge stops this short of the cord
BULGE_DEPTH_MM = (2.0, 4.0)
FLOW_VOIDS = (3, 8)  # how many pulsation blobs a flow artefact shows


def aim_thickness(
    spine: Spine, mass: EpiduralMass, grade: BilskyGrade, bulges: tuple[Bulge, ...] = ()
) -> EpiduralMass | None:
    """The mass with the median thickness that gives ``grade`` at its thickest section: a
    coarse scan brackets the thicknesses of that grade, a fine scan fills the bracket."""
    s = np.linspace(mass.top_s, mass.bottom_s, 400)
    peak = float(s[np.argmax(mass.along(s))])

    def trial(thickness: float) -> tuple[BilskyGrade | None, float]:
        shaped = replace(mass, thickness_mm=thickness)
        canal = Canal(spine, masses=(shaped,), bulges=bulges, window=(peak - 1.0, peak + 1.0))
        section = measure(canal, shaped, peak)
        return section.grade, section.cord_ratio

    low, high = COARSE_MM[0], COARSE_MM[-1]
    for thickness in COARSE_MM:
        got, ratio = trial(float(thickness))
        rank = bilsky_rank(got) if got is not None else -1
        if rank < bilsky_rank(grade) and ratio >= MIN_CORD_RATIO:
            low = float(thickness)
        if rank > bilsky_rank(grade) or ratio < MIN_CORD_RATIO:
            high = float(thickness)
            break
    hits = [
        (float(x), r)
        for x in np.arange(low, high, FINE_STEP_MM)
        for g, r in [trial(float(x))]
        if g == grade and r >= MIN_CORD_RATIO
    ]
    # a compressed cord should look compressed, not only be surrounded
    flattened = [h for h in hits if h[1] <= VISIBLY_FLATTENED]
    chosen = flattened if grade in ("2", "3") and flattened else hits
    if not chosen:
        return None
    return replace(mass, thickness_mm=float(np.median([h[0] for h in chosen])))


def epidural_shape(
    rng: np.random.Generator,
    spine: Spine,
    first: int,
    last: int,
    *,
    grade: BilskyGrade,
    tissue: MassTissue,
) -> EpiduralMass:
    """Where around the canal, how wide and how lobulated; thickness left to ``aim_thickness``."""
    height = spine.bottom[first] - spine.top[first]
    top = spine.top[first] + rng.uniform(-0.2, 0.4) * height
    bottom = spine.bottom[last] + rng.uniform(0.0, 0.8) * (spine.top[last + 1] - spine.bottom[last])
    centre, half, notch = _around(rng, grade, tissue)
    count = int(rng.integers(2, 5)) if tissue == "emh" else int(rng.integers(1, 3))
    lobes = tuple(
        Lobe(float(rng.uniform(top, bottom)), float(rng.uniform(6, 14)), float(rng.uniform(0.6, 1)))
        for _ in range(count)
    )
    return EpiduralMass(
        top_s=float(top),
        bottom_s=float(bottom),
        thickness_mm=1.0,
        center_deg=float(centre),
        half_width_deg=float(half),
        tissue=tissue,
        lobes=lobes,
        midline_notch=float(notch),
    )


def _around(
    rng: np.random.Generator, grade: BilskyGrade, tissue: MassTissue
) -> tuple[float, float, float]:
    """Centre angle, half-width (deg) and midline notch of an epidural mass: wrapping for
    grade 3, beside the sac for 1a, dorsal and broad for EMH, ventral (under the posterior
    longitudinal ligament) or dorsal for a metastasis."""
    if grade == "3":
        wrapping = rng.random() < 0.5
        return (0.0, 200.0, 0.0) if wrapping else (rng.normal(0, 10), rng.uniform(120, 150), 0.0)
    if grade == "1a":
        return float(rng.choice([-1, 1]) * rng.uniform(35, 65)), float(rng.uniform(35, 55)), 0.0
    if grade == "2" and tissue == "emh":
        return float(rng.normal(0, 12)), float(rng.uniform(50, 85)), 0.0
    if tissue == "emh":
        return float(rng.normal(0, 15)), float(rng.uniform(70, 120)), 0.0
    if rng.random() < 0.6:
        centre, half = 180.0 + rng.normal(0, 8), rng.uniform(50, 75)
        return float(centre), float(half), float(rng.uniform(0.2, 0.45))
    return float(rng.normal(0, 10)), float(rng.uniform(50, 85)), 0.0


def cord_segments(spine: Spine, candidates: list[int]) -> list[int]:
    """Segments the cord runs the whole length of (C2 down to above the conus)."""
    limit = spine.conus_tip_s - BELOW_CONUS_MARGIN_MM
    return [i for i in candidates if i >= 1 and spine.bottom[i] < limit]


def paraspinal_blob(
    rng: np.random.Generator,
    spine: Spine,
    first: int,
    last: int,
    *,
    sides: tuple[int, ...],
    tissue: MassTissue,
) -> BlobMass:
    """Lobulated masses beside the vertebral bodies (v sign per side: +1 left, -1 right)."""
    lobes = []
    top, bottom = spine.top[first], spine.bottom[last]
    for side in sides:
        for _ in range(int(rng.integers(2, 5))):
            segment = int(rng.integers(first, last + 1))
            seg = spine.spec.segments[segment]
            rv, ru = rng.uniform(6, 18), rng.uniform(9, 16)
            lobes.append(
                Ellipsoid(
                    s=float(rng.uniform(top, bottom)),
                    u=float(-seg.canal_ap_mm / 2 - seg.body_depth_mm * rng.uniform(0.25, 0.6)),
                    v=float(side * (seg.body_width_mm / 2 + rv * rng.uniform(0.6, 0.9))),
                    rs=float(rng.uniform(10, 22)),
                    ru=float(ru),
                    rv=float(rv),
                )
            )
    return BlobMass("paraspinal", tuple(lobes), tissue)


def prevertebral_blob(
    rng: np.random.Generator, spine: Spine, first: int, last: int, thickness_mm: float
) -> BlobMass:
    """A mass in front of the vertebral bodies, ``thickness_mm`` deep at its thickest."""
    lobes = []
    for segment in range(first, last + 1):
        seg = spine.spec.segments[segment]
        front = -seg.canal_ap_mm / 2 - seg.body_depth_mm
        ru = thickness_mm / 2 * rng.uniform(0.8, 1.0)
        lobes.append(
            Ellipsoid(
                s=float(spine.mid[segment] + rng.normal(0, 3)),
                u=float(front - ru + 1.5),
                v=float(rng.normal(0, 4)),
                rs=float(rng.uniform(0.7, 1.0) * (spine.top[segment + 1] - spine.top[segment])),
                ru=float(ru),
                rv=float(rng.uniform(14, 26)),
            )
        )
    return BlobMass("prevertebral", tuple(lobes), "metastasis")


def bone_lesion(
    rng: np.random.Generator, spine: Spine, segment: int, kind: str, fraction: float
) -> BoneLesion:
    """A round lesion filling ``fraction`` of the body's depth, kept inside the body."""
    seg = spine.spec.segments[segment]
    radius = fraction * seg.body_depth_mm / 2
    room = max(min(seg.body_depth_mm, seg.body_height_mm) / 2 - radius - 1.5, 0.0)
    offset = rng.uniform(-room, room, 3) * 0.8
    return BoneLesion(
        segment=segment,
        kind="metastasis" if kind == "metastasis" else "hemangioma",
        radius_mm=float(radius),
        offset_s=float(offset[0]),
        offset_u=float(offset[1]),
        offset_v=float(offset[2]),
    )


def disc_bulge(rng: np.random.Generator, spine: Spine, segment: int) -> Bulge:
    """A broad-based bulge of the disc below ``segment`` that stops short of the cord."""
    seg = spine.spec.segments[segment]
    room = seg.ventral_fat_mm + (seg.sac_ap_mm - seg.cord_ap_mm) / 2 - BULGE_CLEARANCE_MM
    depth = min(rng.uniform(*BULGE_DEPTH_MM), room if seg.cord_ap_mm > 0 else BULGE_DEPTH_MM[1])
    return Bulge(segment, float(depth))


def flow_voids(
    rng: np.random.Generator, spine: Spine, first: int, last: int
) -> tuple[FlowVoid, ...]:
    """Dark pulsation blobs in the CSF behind the thoracic cord."""
    voids = []
    for _ in range(int(rng.integers(*FLOW_VOIDS))):
        s = float(rng.uniform(spine.top[first], spine.bottom[last]))
        _, sac_a, _ = spine.sac(np.float32(s))
        voids.append(
            FlowVoid(
                s, float(0.75 * sac_a), float(rng.normal(0, 1.5)), float(rng.uniform(1.2, 2.4))
            )
        )
    return tuple(voids)


def cauda_roots(rng: np.random.Generator) -> tuple[tuple[float, float], ...]:
    """Positions of cauda equina root bundles, lying back in the sac (patients lie supine)."""
    count = int(rng.integers(12, 19))
    across = np.linspace(-0.75, 0.75, count) + rng.normal(0, 0.05, count)
    back = rng.uniform(0.15, 0.7, count)
    return tuple((float(b), float(a)) for b, a in zip(back, across, strict=True))
