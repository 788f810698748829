"""Scores that ``spinetriage eval`` prints, on hand-made truths and results."""

from __future__ import annotations

import pytest

from spinetriage.triage import BilskyGrade, Finding, FindingType, KeyImage, result_for
from workers.evaluation.scoring import Proportion, Scored, grade_class, score, weighted_kappa
from workers.phantom.truth import Anchor, StudyTruth, TruthFinding


def truth(*findings: TruthFinding, anchor: Anchor | None = "sacrum") -> StudyTruth:
    return StudyTruth(
        case_id="case",
        seed=1,
        study_instance_uid="1.2.3",
        modality="MR",
        field_of_view="thoracolumbar",
        levels_in_view=("T8", "T9", "T10"),
        anchor=anchor,
        findings=findings,
        series=(),
    )


def true_epidural(grade: BilskyGrade, top: str = "T4", bottom: str = "T6") -> TruthFinding:
    return TruthFinding(
        type="epidural_mass",
        from_level=top,
        to_level=bottom,
        side="posterior",
        max_thickness_mm=6.0,
        bilsky_grade=grade,
    )


def found(
    kind: FindingType = "epidural_mass",
    grade: BilskyGrade | None = "2",
    top: str | None = "T4",
    bottom: str | None = "T6",
) -> Finding:
    return Finding(
        type=kind,
        from_level=top,
        to_level=bottom,
        max_thickness_mm=6.0,
        craniocaudal_extent_mm=40.0,
        bilsky_grade=grade if kind == "epidural_mass" else None,
        confidence=0.9,
        series_instance_uid="1.2.3.4",
        key_image=KeyImage(series_instance_uid="1.2.3.4", slice_index=7, bbox=(1, 2, 3, 4)),
    )


def scored(study: StudyTruth, *findings: Finding) -> Scored:
    return Scored(study, result_for("1.2.3", list(findings), []), cpu_s=0.1)


@pytest.mark.parametrize(
    ("grade", "expected"),
    [(None, 0), ("0", 0), ("1a", 0), ("1b", 1), ("1c", 1), ("2", 2), ("3", 2)],
)
def test_grades_fall_into_three_classes(grade: BilskyGrade | None, expected: int) -> None:
    """Bilsky grades group as 0-1a, 1b-1c and 2-3."""
    assert grade_class(grade) == expected


def test_kappa_is_one_for_agreement_and_lower_for_far_misses() -> None:
    """Perfect agreement scores 1; a miss by two classes costs more than one by one class."""
    agree = [(0, 0), (1, 1), (2, 2), (0, 0)]
    near = [(0, 0), (1, 1), (2, 1), (0, 0)]
    far = [(0, 0), (1, 1), (2, 0), (0, 0)]
    assert weighted_kappa(agree) == pytest.approx(1.0)
    assert 0 < weighted_kappa(far) < weighted_kappa(near) < 1


def test_kappa_matches_a_worked_example() -> None:
    """Linear-weighted kappa of a small table equals the value computed by hand."""
    # observed: diagonal 2,1,1 and one (0,1) disagreement, n = 5
    pairs = [(0, 0), (0, 0), (0, 1), (1, 1), (2, 2)]
    # row totals 3,1,1; column totals 2,2,1; weights 0, .5, 1
    # observed disagreement = 0.5 * 1/5 = 0.1
    # expected disagreement = sum of w_ij * r_i * c_j / 25 over the off-diagonal cells
    expected = (0.5 * (3 * 2 + 1 * 2 + 1 * 1 + 1 * 2) + 1.0 * (3 * 1 + 1 * 2)) / 25
    assert weighted_kappa(pairs) == pytest.approx(1 - 0.1 / expected)


def test_sensitivity_and_specificity_count_studies_by_the_compression_flag() -> None:
    """A flagged compression is a hit; a flagged distractor costs specificity."""
    runs = [
        scored(truth(true_epidural("2")), found(grade="2")),
        scored(truth(true_epidural("1b")), found(grade="1a")),
        scored(truth(), found(grade="1b")),
        scored(truth()),
    ]
    report = score(runs)
    assert (report.sensitivity.hits, report.sensitivity.total) == (1, 2)
    assert (report.specificity.hits, report.specificity.total) == (1, 2)


def test_extent_counts_exact_and_within_one_level() -> None:
    """Levels off by one count within one but not exact; two off counts neither."""
    runs = [
        scored(truth(true_epidural("2")), found(top="T4", bottom="T6")),
        scored(truth(true_epidural("2")), found(top="T3", bottom="T6")),
        scored(truth(true_epidural("2")), found(top="T2", bottom="T6")),
    ]
    report = score(runs)
    assert (report.extent_exact.hits, report.extent_exact.total) == (1, 3)
    assert (report.extent_within_one.hits, report.extent_within_one.total) == (2, 3)


def test_without_an_anchor_levels_must_be_withheld() -> None:
    """Where no anchor is in view, a finding with levels named is a guess; one without is right."""
    runs = [
        scored(truth(true_epidural("2"), anchor=None), found(top=None, bottom=None)),
        scored(truth(true_epidural("2"), anchor=None), found(top="T4", bottom="T6")),
    ]
    report = score(runs)
    assert (report.levels_withheld_without_anchor.hits, report.extent_exact.total) == (1, 0)


def test_detection_is_per_compartment() -> None:
    """A paraspinal mass found as epidural does not count as a paraspinal detection."""
    paraspinal = TruthFinding(
        type="paraspinal_mass", from_level="T4", to_level="T6", side="left", max_thickness_mm=20
    )
    runs = [scored(truth(paraspinal), found(kind="epidural_mass"))]
    report = score(runs)
    assert report.detection["paraspinal_mass"].hits == 0
    assert report.detection["paraspinal_mass"].total == 1


def test_false_findings_count_studies_given_a_compartment_they_lack() -> None:
    """A study without a paraspinal mass given two counts once; one with a true paraspinal
    mass does not count at all; a declined study is given nothing."""
    paraspinal = TruthFinding(
        type="paraspinal_mass", from_level="T4", to_level="T6", side="left", max_thickness_mm=20
    )
    two = [found(kind="paraspinal_mass"), found(kind="paraspinal_mass", top="T9", bottom="T9")]
    runs = [
        scored(truth(), *two),
        scored(truth(paraspinal), found(kind="paraspinal_mass", top="L1", bottom="L1")),
        scored(truth(true_epidural("2"))),
        Scored(truth(), None, cpu_s=0.1),
    ]
    report = score(runs)
    assert report.false_findings["paraspinal_mass"] == Proportion(1, 3)
    assert report.false_findings["epidural_mass"] == Proportion(0, 3)
