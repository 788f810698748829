"""Bilsky grades measured on hand-made canal geometry: one spine, masses of chosen shape and
thickness at T5-T6, graded at their middle section."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from spinetriage.triage import BilskyGrade, bilsky_rank
from workers.phantom.anatomy import SEGMENTS, draw_spine
from workers.phantom.canal import Canal
from workers.phantom.grading import Section, measure
from workers.phantom.masses import EpiduralMass
from workers.phantom.spine import Spine
from workers.phantom.tissues import MASS_TISSUES, Tissue

SPINE = Spine(draw_spine(np.random.default_rng(7)))
FIRST = SEGMENTS.index("T5")
DORSAL = EpiduralMass(SPINE.top[FIRST], SPINE.bottom[FIRST + 1], 1.0, 0.0, 70.0, "metastasis")
VENTRAL = replace(DORSAL, center_deg=180.0, half_width_deg=60.0)
WRAPPING = replace(DORSAL, half_width_deg=200.0)
MIDDLE = (DORSAL.top_s + DORSAL.bottom_s) / 2


def _section(mass: EpiduralMass, thickness_mm: float) -> Section:
    shaped = replace(mass, thickness_mm=thickness_mm)
    canal = Canal(SPINE, masses=(shaped,), window=(MIDDLE - 1.0, MIDDLE + 1.0))
    return measure(canal, shaped, MIDDLE)


@pytest.mark.parametrize(
    ("mass", "thickness_mm", "grade"),
    [
        (DORSAL, 0.5, None),  # thinner than what counts as a mass
        (DORSAL, 1.8, "1a"),  # within the dorsal epidural fat
        (DORSAL, 3.8, "1b"),  # indents the sac, CSF still behind the cord
        (DORSAL, 6.5, "1c"),  # sac wall on the cord, cord pushed forwards, not flattened
        (DORSAL, 10.5, "2"),  # cord flattened, CSF left beside it
        (VENTRAL, 2.0, "1b"),  # no ventral fat to fill: the sac is indented at once
        (VENTRAL, 8.5, "2"),
        (VENTRAL, 11.0, "3"),  # cord moulded into what is left of the sac
        (WRAPPING, 7.0, "3"),
    ],
)
def test_grade_follows_the_drawn_geometry(
    mass: EpiduralMass, thickness_mm: float, grade: BilskyGrade | None
) -> None:
    """Thickness and shape give the grade the measured section implies."""
    assert _section(mass, thickness_mm).grade == grade


@pytest.mark.parametrize("mass", [DORSAL, VENTRAL, WRAPPING])
def test_grade_never_falls_as_the_mass_thickens(mass: EpiduralMass) -> None:
    """A thicker mass of the same shape is never graded lower."""
    ranks = [bilsky_rank(_section(mass, t).grade or "0") for t in np.arange(1.0, 11.5, 1.0)]
    assert ranks == sorted(ranks)


def test_compressed_cord_is_flattened_and_keeps_out_of_the_mass() -> None:
    """At grade 2 the cord's AP is under 85% of normal and no cord voxel lies in the mass."""
    section = _section(DORSAL, 10.5)
    assert section.cord_ratio <= 0.85
    shaped = replace(DORSAL, thickness_mm=10.5)
    canal = Canal(SPINE, masses=(shaped,))
    u = np.linspace(-10, 10, 201, dtype=np.float32)
    uu, vv = np.meshgrid(u, u, indexing="ij")
    labels = canal.section(np.full(uu.shape, MIDDLE, dtype=np.float32), uu, vv).labels
    assert (labels == Tissue.CORD).any()
    assert np.isin(labels, MASS_TISSUES).any()
    parts = canal.parts(np.full(uu.shape, MIDDLE, dtype=np.float32), uu, vv)
    assert not (parts.in_mass & (labels == Tissue.CORD)).any()


@pytest.mark.parametrize(
    ("loss_mm", "rim_mm", "ratio", "csf", "grade"),
    [
        (0.2, 2.0, 1.0, True, "1a"),
        (2.0, 1.2, 1.0, True, "1b"),
        (3.0, 0.2, 0.95, True, "1c"),
        (6.0, 0.0, 0.7, True, "2"),
        (8.0, 0.0, 0.6, False, "3"),
        (8.0, 0.0, 0.95, False, "3"),  # moulded cord, no CSF: compressed whatever its AP
    ],
)
def test_section_grade_rules(
    loss_mm: float, rim_mm: float, ratio: float, csf: bool, grade: BilskyGrade
) -> None:
    """The grade rules on measured quantities: sac loss, rim, cord ratio, visible CSF."""
    section = Section(
        s=0.0,
        mass_ap_mm=5.0,
        mass_radial_mm=5.0,
        sac_ap_mm=8.0,
        normal_sac_ap_mm=10.0,
        sac_loss_mm=loss_mm,
        rim_mm=rim_mm,
        cord_ratio=ratio,
        csf_visible=csf,
    )
    assert section.grade == grade
