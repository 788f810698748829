"""Levels, findings and the priority rules every side of the service applies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from spinetriage.levels import LEVELS, level_at, level_position, level_span, levels_apart
from spinetriage.triage import BilskyGrade, Finding, FindingType, KeyImage, Priority, result_for


def finding(kind: FindingType = "epidural_mass", grade: BilskyGrade | None = None) -> Finding:
    return Finding(
        type=kind,
        from_level="C5",
        to_level="T2",
        max_thickness_mm=6.5,
        craniocaudal_extent_mm=70.0,
        bilsky_grade=grade,
        confidence=0.8,
        series_instance_uid="1.2.3",
        key_image=KeyImage(series_instance_uid="1.2.3", slice_index=7, bbox=(10, 20, 30, 40)),
    )


def test_levels_run_from_c1_to_s1() -> None:
    """Twenty-five levels in order, with positions that round-trip."""
    assert LEVELS[0] == "C1"
    assert LEVELS[-1] == "S1"
    assert len(LEVELS) == 25
    assert all(level_at(level_position(name)) == name for name in LEVELS)
    assert level_at(25) is None
    assert levels_apart("C7", "T1") == 1


def test_unknown_level_names_the_argument() -> None:
    """A name outside C1..S1 is refused with a message naming it."""
    with pytest.raises(ValueError, match="'T13'"):
        level_position("T13")


@pytest.mark.parametrize(
    ("top", "bottom", "text"),
    [("C5", "T2", "C5\u2013T2"), ("T4", "T4", "T4"), (None, "T4", None)],
)
def test_level_span_reads_like_a_report(top: str | None, bottom: str | None, text: str) -> None:
    """Spans use an en dash; one level is named once; unanchored spans have no text."""
    assert level_span(top, bottom) == text


@pytest.mark.parametrize(
    ("findings", "priority", "flag"),
    [
        ([], "routine", False),
        ([finding("paraspinal_mass")], "elevated", False),
        ([finding(grade="1a")], "elevated", False),
        ([finding(grade="1b")], "urgent", True),
        ([finding(grade="1c"), finding("prevertebral_mass")], "urgent", True),
        ([finding(grade="2")], "critical", True),
        ([finding(grade="1a"), finding(grade="3")], "critical", True),
    ],
)
def test_priority_and_flag_follow_the_worst_grade(
    findings: list[Finding], priority: Priority, flag: bool
) -> None:
    """Critical for Bilsky 2-3, urgent for 1b-1c, elevated for other masses, routine for none."""
    result = result_for("1.2.3", findings, [])
    assert result.priority == priority
    assert result.suspected_compression is flag


def test_findings_are_ordered_worst_first() -> None:
    """The most compressive finding comes first in a result."""
    result = result_for("1.2.3", [finding(grade="1a"), finding(grade="3")], [])
    assert [f.bilsky_grade for f in result.findings] == ["3", "1a"]


def test_a_finding_with_an_unknown_level_is_invalid() -> None:
    """Levels outside C1..S1 cannot enter a finding."""
    with pytest.raises(ValidationError):
        Finding.model_validate({**finding().model_dump(), "from_level": "X9"})
