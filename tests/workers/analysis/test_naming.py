"""Levels named across series: the best anchored reading's names, and the levels a mass spans."""

from __future__ import annotations

from spinetriage.levels import level_position
from tests.workers.analysis.placed import named_segments, placed, sagittal_series
from workers.analysis.naming import level_map, levels_spanned
from workers.analysis.reading import Segment


def test_unanchored_readings_name_nothing() -> None:
    """Segments without an anchor give no levels, so a mass gets none."""
    unnamed = tuple(Segment(s.top_z, s.bottom_z) for s in named_segments(4, 4))
    spans = level_map([placed(sagittal_series("1"), segments=unnamed)])
    assert spans == []
    assert levels_spanned(spans, 80.0, 60.0) == (None, None)


def test_the_better_grading_series_names_the_levels_when_two_disagree() -> None:
    """T2 counted C5 where T1 counted C6 at the same height: the T2 names stand."""
    t2 = placed(sagittal_series("t2", "T2"), segments=named_segments(4, 3), anchor="skull_base")
    t1 = placed(sagittal_series("t1", "T1"), segments=named_segments(5, 3), anchor="skull_base")
    spans = level_map([t1, t2])
    assert [s.name for s in spans] == ["C5", "C6", "C7"]


def test_a_second_reading_adds_levels_beyond_the_first() -> None:
    """A lower station's sacrum-anchored names join the upper station's."""
    upper = placed(
        sagittal_series("up", top_mm=100.0), segments=named_segments(4, 3), anchor="skull_base"
    )
    lower = placed(
        sagittal_series("low", top_mm=-300.0), segments=named_segments(20, 4), anchor="sacrum"
    )
    names = [s.name for s in level_map([upper, lower])]
    assert names == ["C5", "C6", "C7", "L2", "L3", "L4", "L5"]
    assert [level_position(n) for n in names] == sorted(level_position(n) for n in names)


def test_a_mass_spans_the_levels_it_covers_by_three_millimetres() -> None:
    """Segments 30 mm tall from 90 mm down: a mass grazing C5 and C7 by 2 mm spans C6 alone;
    one that only grazes gets the level it touches most."""
    spans = level_map(
        [placed(sagittal_series("1"), segments=named_segments(4, 4), anchor="skull_base")]
    )
    # C5: 90..60, C6: 60..30, C7: 30..0, T1: 0..-30 (heights in mm)
    assert levels_spanned(spans, 62.0, 28.0) == ("C6", "C6")
    assert levels_spanned(spans, 64.0, 20.0) == ("C5", "C7")
    assert levels_spanned(spans, 61.0, 59.0) == ("C5", "C5")  # only grazes: the nearest
    assert levels_spanned(spans, 300.0, 200.0) == (None, None)
