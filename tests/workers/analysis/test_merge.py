"""What several series saw, merged into findings: one mass per compartment and height, graded by
the series that grades best, supported by the others."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tests.workers.analysis.placed import detection, named_segments, placed, sagittal_series
from workers.analysis.merge import findings_from
from workers.analysis.naming import level_map
from workers.analysis.reading import FatQuestion


def test_t2_and_t1_seeing_one_mass_make_one_finding_graded_on_t2() -> None:
    """The T1 grade differs; the T2 one stands, T1 supports it and the confidence rises."""
    t2 = placed(
        sagittal_series("t2", "T2"),
        detections=(detection(20, 70, grade="2", confidence=0.6),),
        segments=named_segments(4, 4),
        anchor="skull_base",
    )
    t1 = placed(sagittal_series("t1", "T1"), detections=(detection(42, 75, grade="1b"),))
    [finding] = findings_from([t1, t2], level_map([t1, t2]))
    assert finding.series_instance_uid == "t2"
    assert finding.supporting_series == ("t1",)
    assert finding.bilsky_grade == "2"
    assert finding.confidence > 0.6
    assert (finding.from_level, finding.to_level) == ("C5", "C6")


def test_a_mass_only_one_of_two_covering_series_saw_loses_confidence() -> None:
    """T1 saw a mass that T2, covering the same heights, did not."""
    t2 = placed(sagittal_series("t2", "T2"))
    t1 = placed(sagittal_series("t1", "T1"), detections=(detection(40, 70, confidence=0.6),))
    [finding] = findings_from([t1, t2], [])
    assert finding.confidence < 0.6
    assert finding.from_level is None
    assert finding.to_level is None


def test_masses_far_apart_or_in_other_compartments_stay_apart() -> None:
    """An epidural mass high, another low, and a paraspinal one beside the first: three."""
    t2 = placed(
        sagittal_series("t2", "T2"),
        detections=(
            detection(10, 30),
            detection(120, 150, grade="1a"),
            detection(12, 40, kind="paraspinal_mass", grade=None, side="left"),
        ),
    )
    findings = findings_from([t2], [])
    assert sorted(f.type for f in findings) == ["epidural_mass", "epidural_mass", "paraspinal_mass"]


def test_left_and_right_paraspinal_masses_at_one_height_are_bilateral() -> None:
    """Two series, one seeing the left mass and one the right, report a bilateral mass."""
    t2 = placed(
        sagittal_series("t2", "T2"),
        detections=(detection(10, 30, kind="paraspinal_mass", grade=None, side="left"),),
    )
    stir = placed(
        sagittal_series("stir", "STIR"),
        detections=(detection(12, 34, kind="paraspinal_mass", grade=None, side="right"),),
    )
    [finding] = findings_from([t2, stir], [])
    assert finding.side == "bilateral"
    assert finding.bilsky_grade is None


def test_an_axial_mass_the_covering_sagittal_series_did_not_see_is_dropped() -> None:
    """Axial sections confirm a sagittal suspicion: alone, under a sagittal T2 that read the
    same heights and saw nothing, they make no finding unless the mass is thick over a level's
    height; with the sagittal mass, they support it; with no sagittal fluid series (T1 only)
    they stand."""
    axial = placed(sagittal_series("ax", "T2", plane="axial"), detections=(detection(40, 60),))
    quiet_t2 = placed(sagittal_series("t2", "T2"))
    assert findings_from([axial, quiet_t2], []) == []
    seeing_t2 = placed(sagittal_series("t2", "T2"), detections=(detection(35, 65),))
    [finding] = findings_from([axial, seeing_t2], [])
    assert finding.supporting_series == ("ax",)
    t1_only = placed(sagittal_series("t1", "T1"))
    [alone] = findings_from([axial, t1_only], [])
    assert alone.series_instance_uid == "ax"
    thick = replace(detection(40, 60), max_thickness_mm=12.0)
    thick_axial = placed(sagittal_series("ax", "T2", plane="axial"), detections=(thick,))
    assert len(findings_from([thick_axial, quiet_t2], [])) == 1
    short = replace(detection(40, 44), max_thickness_mm=12.0)
    short_axial = placed(sagittal_series("ax", "T2", plane="axial"), detections=(short,))
    assert findings_from([short_axial, quiet_t2], []) == []


def test_pieces_of_a_mass_outside_the_canal_make_one_finding_over_their_union() -> None:
    """Two paraspinal pieces a centimetre apart are one lobulated mass spanning both; two
    epidural masses as far apart stay two."""
    t2 = placed(
        sagittal_series("t2", "T2"),
        detections=(
            detection(10, 40, kind="paraspinal_mass", grade=None, side="left"),
            detection(50, 90, kind="paraspinal_mass", grade=None, side="left"),
            detection(100, 120),
            detection(130, 150),
        ),
    )
    findings = findings_from([t2], [])
    [lump] = [f for f in findings if f.type == "paraspinal_mass"]
    assert lump.craniocaudal_extent_mm == 81.0  # rows 10 to 90, 1 mm each
    assert sum(f.type == "epidural_mass" for f in findings) == 2


def test_an_epidural_mass_the_other_sagittal_fluid_series_read_past_is_dropped() -> None:
    """T2 and STIR confirm each other: a mass T2 saw where STIR followed the canal and saw
    nothing makes no finding; it stands where STIR saw it, asked about it, or did not follow
    the canal that far, and where it is thick."""
    t2 = placed(sagittal_series("t2", "T2"), detections=(detection(40, 60),))
    canal = named_segments(0, 4)  # canonical z 10 to 130

    quiet_stir = placed(sagittal_series("stir", "STIR"), segments=canal)
    assert findings_from([t2, quiet_stir], []) == []

    seeing_stir = placed(
        sagittal_series("stir", "STIR"), detections=(detection(50, 70),), segments=canal
    )
    [confirmed] = findings_from([t2, seeing_stir], [])
    assert confirmed.supporting_series == ("stir",)

    question = FatQuestion(detection(55, 62), (np.zeros((0, 3)),), np.zeros((0, 3)))
    asking_stir = replace(
        quiet_stir, reading=replace(quiet_stir.reading, fat_questions=(question,))
    )
    assert len(findings_from([t2, asking_stir], [])) == 1

    short_stir = placed(sagittal_series("stir", "STIR"), segments=named_segments(0, 4)[3:])
    assert len(findings_from([t2, short_stir], [])) == 1

    thick = replace(detection(40, 60), max_thickness_mm=12.0)
    thick_t2 = placed(sagittal_series("t2", "T2"), detections=(thick,))
    assert len(findings_from([thick_t2, quiet_stir], [])) == 1


def test_a_small_paraspinal_mass_only_one_of_several_series_saw_is_dropped() -> None:
    """STIR alone saw a lump that T2 and T1, covering it, did not: dropped when small (middling
    confidence), kept when large, and kept when STIR is the only series covering it."""
    lump = detection(40, 60, kind="paraspinal_mass", grade=None, side="left", confidence=0.6)
    stir = placed(sagittal_series("stir", "STIR"), detections=(lump,))
    others = [placed(sagittal_series("t2", "T2")), placed(sagittal_series("t1", "T1"))]
    assert findings_from([stir, *others], []) == []
    large = replace(lump, confidence=0.9)
    large_stir = placed(sagittal_series("stir", "STIR"), detections=(large,))
    assert len(findings_from([large_stir, *others], [])) == 1
    assert len(findings_from([stir], [])) == 1
