"""The case mix: which masses and distractors a case holds, given the levels in view.

Epidural cases aim at each Bilsky grade equally often (grade 0: a metastasis confined to the
vertebral body, which is not an epidural finding); about a third look like extramedullary
hematopoiesis (lobulated, with bilateral paravertebral masses), the rest like metastases
(ventral from a diseased body, or dorsal, or wrapping the sac)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spinetriage.triage import BILSKY_ORDER, BilskyGrade, bilsky_rank
from workers.phantom import content
from workers.phantom.anatomy import SEGMENTS
from workers.phantom.canal import Bulge, FlowVoid
from workers.phantom.masses import BlobMass, BoneLesion, EpiduralMass, MassTissue
from workers.phantom.spine import Spine
from workers.phantom.truth import Distractor

SHAPE_ATTEMPTS = 6  # shapes tried before settling for the nearest reachable grade
EMH_SHARE = 1 / 3


@dataclass
class Drawn:
    epidural: list[EpiduralMass] = field(default_factory=list)
    blobs: list[BlobMass] = field(default_factory=list)
    bone_lesions: list[BoneLesion] = field(default_factory=list)
    bulges: list[Bulge] = field(default_factory=list)
    flow_voids: tuple[FlowVoid, ...] = ()
    distractors: list[Distractor] = field(default_factory=list)
    focus: int | None = None  # segment the axial block should cover


def run_of(
    rng: np.random.Generator, candidates: list[int], length: int, in_view: list[int]
) -> tuple[int, int] | None:
    """A run of consecutive candidate segments with an unaffected segment in view above and
    below (for comparison, by the reader and by the truth's canal compromise)."""
    starts = [
        i
        for i in candidates
        if all(j in candidates for j in range(i, i + length))
        and i - 1 in in_view
        and i + length in in_view
    ]
    if not starts:
        return None
    first = int(rng.choice(starts))
    return first, first + length - 1


def epidural_case(rng: np.random.Generator, spine: Spine, in_view: list[int], drawn: Drawn) -> None:
    grade = BILSKY_ORDER[int(rng.integers(len(BILSKY_ORDER)))]
    emh = rng.random() < EMH_SHARE
    tissue: MassTissue = "emh" if emh else "metastasis"
    length = int(rng.integers(2, 7)) if emh else int(rng.integers(1, 4))
    run = None
    while run is None and length > 0:
        run = run_of(rng, content.cord_segments(spine, in_view), length, in_view)
        length -= 1
    if run is None:
        return
    first, last = run
    drawn.focus = (first + last) // 2
    if grade == "0":
        for segment in range(first, min(last, first + 1) + 1):
            drawn.bone_lesions.append(
                content.bone_lesion(rng, spine, segment, "metastasis", rng.uniform(0.5, 1.0))
            )
        return
    mass = aimed_mass(rng, spine, first, last, grade=grade, tissue=tissue)
    drawn.epidural.append(mass)
    if emh:
        drawn.blobs.append(
            content.paraspinal_blob(rng, spine, first, last, sides=(1, -1), tissue="emh")
        )
    elif abs(mass.center_deg) > 120 or mass.circumferential:
        segment = int(rng.integers(first, last + 1))
        drawn.bone_lesions.append(
            content.bone_lesion(rng, spine, segment, "metastasis", rng.uniform(0.6, 0.95))
        )


def aimed_mass(
    rng: np.random.Generator,
    spine: Spine,
    first: int,
    last: int,
    *,
    grade: BilskyGrade,
    tissue: MassTissue,
) -> EpiduralMass:
    """A mass of the wanted grade, or of the nearest grade some shape reaches."""
    order = sorted(BILSKY_ORDER[1:], key=lambda g: abs(bilsky_rank(g) - bilsky_rank(grade)))
    for target in order:
        for _ in range(SHAPE_ATTEMPTS):
            shape = content.epidural_shape(rng, spine, first, last, grade=target, tissue=tissue)
            mass = content.aim_thickness(spine, shape, target)
            if mass is not None:
                return mass
    raise RuntimeError("no epidural mass shape reaches any grade")  # geometry is broken


def outside_case(rng: np.random.Generator, spine: Spine, in_view: list[int], drawn: Drawn) -> None:
    """A paraspinal or prevertebral mass that stays out of the canal."""
    body_levels = [i for i in in_view if 0 < i < SEGMENTS.index("S2")]
    run = run_of(rng, body_levels, int(rng.integers(1, 5)), in_view)
    if run is None:
        return
    first, last = run
    drawn.focus = (first + last) // 2
    drawn.distractors.append("paraspinal_only")
    if rng.random() < 0.6:
        bilateral = rng.random() < 0.5
        sides = (1, -1) if bilateral else (int(rng.choice([1, -1])),)
        tissue: MassTissue = "emh" if bilateral else "metastasis"
        drawn.blobs.append(
            content.paraspinal_blob(rng, spine, first, last, sides=sides, tissue=tissue)
        )
    else:
        drawn.blobs.append(
            content.prevertebral_blob(rng, spine, first, last, float(rng.uniform(8, 30)))
        )


def add_distractor(
    rng: np.random.Generator, spine: Spine, in_view: list[int], drawn: Drawn, kind: Distractor
) -> None:
    busy = {
        i
        for m in drawn.epidural
        for i in range(len(SEGMENTS))
        if m.top_s - 30 < spine.mid[i] < m.bottom_s + 30
    }
    free = [i for i in in_view if i not in busy and 0 < i < SEGMENTS.index("S1")]
    if not free:
        return
    if kind == "disc_bulge":
        for segment in rng.choice(
            free, size=min(len(free), int(rng.integers(1, 3))), replace=False
        ):
            drawn.bulges.append(content.disc_bulge(rng, spine, int(segment)))
    elif kind == "hemangioma":
        segment = int(rng.choice(free))
        drawn.bone_lesions.append(
            content.bone_lesion(rng, spine, segment, "hemangioma", rng.uniform(0.3, 0.6))
        )
    elif kind == "flow_artefact":
        cord = content.cord_segments(spine, in_view)
        if not cord:
            return
        drawn.flow_voids = content.flow_voids(rng, spine, min(cord), max(cord))
    drawn.distractors.append(kind)
