"""The three clinical cases this product comes from give the findings their reports state."""

from __future__ import annotations

import pytest

from spinetriage.levels import level_position
from workers.phantom import named_case, truth_of
from workers.phantom.truth import StudyTruth, TruthFinding


@pytest.fixture(scope="module")
def truths() -> dict[str, StudyTruth]:
    return {
        name: truth_of(named_case(name))
        for name in ("lung_ca_c5_t2", "thalassemia_t3_t8", "sickle_t4_t6")
    }


def _one(truth: StudyTruth, kind: str) -> TruthFinding:
    (finding,) = [f for f in truth.findings if f.type == kind]
    return finding


def _between(level: str, low: str, high: str) -> bool:
    return level_position(low) <= level_position(level) <= level_position(high)


def test_lung_cancer_posterior_mass_c5_t2_and_prevertebral_mass(
    truths: dict[str, StudyTruth],
) -> None:
    """Posterior extradural mass C5-T2 about 6.5 mm thick; a prevertebral mass about 25 mm
    thick from the mid thoracic to the lumbar spine."""
    truth = truths["lung_ca_c5_t2"]
    epidural = _one(truth, "epidural_mass")
    assert (epidural.from_level, epidural.to_level, epidural.side) == ("C5", "T2", "posterior")
    assert epidural.max_thickness_mm == pytest.approx(6.5, abs=0.6)
    front = _one(truth, "prevertebral_mass")
    assert _between(front.from_level, "T4", "T8")
    assert _between(front.to_level, "L1", "L5")
    assert front.max_thickness_mm == pytest.approx(25, abs=3)


def test_thalassemia_masses_t3_t8_compress_the_cord(truths: dict[str, StudyTruth]) -> None:
    """Extradural masses T3-T8 compress the cord (Bilsky 2-3), with bilateral paraspinal masses."""
    truth = truths["thalassemia_t3_t8"]
    epidural = _one(truth, "epidural_mass")
    assert (epidural.from_level, epidural.to_level) == ("T3", "T8")
    assert epidural.bilsky_grade in ("2", "3")
    assert truth.priority == "critical"
    assert _one(truth, "paraspinal_mass").side == "bilateral"


def test_sickle_cell_mass_t4_t6_with_left_paravertebral_mass(truths: dict[str, StudyTruth]) -> None:
    """Extradural mass T4-T6 and a left paravertebral mass."""
    truth = truths["sickle_t4_t6"]
    epidural = _one(truth, "epidural_mass")
    assert (epidural.from_level, epidural.to_level) == ("T4", "T6")
    assert _one(truth, "paraspinal_mass").side == "left"


def test_named_cases_show_an_anchor_and_their_levels(truths: dict[str, StudyTruth]) -> None:
    """Each named case sees the skull base, and every level of its findings is in view."""
    for truth in truths.values():
        assert truth.anchor == "skull_base"
        for f in truth.findings:
            assert f.from_level in truth.levels_in_view
            assert f.to_level in truth.levels_in_view
