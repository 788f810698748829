"""Distractors are never compression: negative cases that carry them have no epidural finding,
and a paraspinal mass that stays outside the canal is a finding of elevated priority only."""

from __future__ import annotations

import pytest

from workers.phantom import case_for, truth_of

# Negative cases (no mass drawn) with each distractor, from the seeds' own case mix.
DISTRACTOR_SEEDS = {
    "disc_bulge": 10044,
    "narrow_canal": 10041,
    "hemangioma": 10028,
    "low_snr": 10101,
    "flow_artefact": 10013,
}
OUTSIDE_SEEDS = (10006, 10014)


@pytest.mark.parametrize(("distractor", "seed"), sorted(DISTRACTOR_SEEDS.items()))
def test_distractor_cases_are_not_compression(distractor: str, seed: int) -> None:
    """The case carries the distractor, no epidural finding, and no suspected compression."""
    spec = case_for(seed)
    truth = truth_of(spec)
    assert distractor in truth.distractors
    assert not [f for f in truth.findings if f.type == "epidural_mass"]
    assert not truth.suspected_compression
    assert truth.priority == "routine"


def test_narrow_canal_keeps_csf_around_the_cord() -> None:
    """A congenitally narrow canal leaves at least a millimetre of CSF in front of and behind
    the cord at every narrowed level."""
    spec = case_for(DISTRACTOR_SEEDS["narrow_canal"])
    assert spec.spine.narrow_canal
    for seg in spec.spine.segments[1:19]:
        assert seg.sac_ap_mm - seg.cord_ap_mm >= 2.0


@pytest.mark.parametrize("seed", OUTSIDE_SEEDS)
def test_mass_outside_the_canal_is_elevated_not_compression(seed: int) -> None:
    """A paraspinal or prevertebral mass alone is a finding without a grade: elevated priority."""
    truth = truth_of(case_for(seed))
    assert "paraspinal_only" in truth.distractors
    assert truth.findings
    assert all(f.bilsky_grade is None for f in truth.findings)
    assert truth.priority == "elevated"
    assert not truth.suspected_compression
