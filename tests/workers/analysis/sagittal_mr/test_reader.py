"""The sagittal MR reader and its parts on a small numpy spine and on hand-made profiles."""

from __future__ import annotations

import numpy as np
import pytest

from spinetriage.triage import bilsky_rank
from tests.workers.analysis.sagittal_mr import synthetic
from workers.analysis.reading import Segment
from workers.analysis.sagittal_mr.canal import best_path, trace_canal
from workers.analysis.sagittal_mr.epidural import (
    MassRun,
    blocks,
    filled_where_closed,
    find_masses,
    flanks_open,
    grown,
    row_grade,
    runs,
    thin_rows,
    worst_grade,
)
from workers.analysis.sagittal_mr.reader import into_c2, read_sagittal_mr, sac_open, widens_above
from workers.analysis.sagittal_mr.sections import RowMeasures
from workers.analysis.sagittal_mr.segments import (
    above_sac_end,
    disc_rows,
    fill_missed,
    find_anchor,
    last_read_row,
    named,
    without_stray_ends,
)

MASS_ROWS = (120, 170)


def test_path_follows_a_drifting_band() -> None:
    """The dynamic-programming path stays on a bright band that drifts sideways."""
    score = np.zeros((40, 30))
    columns = 5 + np.arange(40) // 2
    score[np.arange(40), columns] = 1.0
    assert np.array_equal(best_path(score, max_step=1, penalty=0.1), columns)


def test_canal_is_found_on_the_midline() -> None:
    """The traced canal lies within the sac on the middle slice of the synthetic spine."""
    path = trace_canal(synthetic.spine(), "T2", synthetic.SPACING_MM)
    sac_half_px = synthetic.SAC_HALF_MM / synthetic.SPACING_MM[1]
    assert np.all(np.abs(path.y - synthetic.CANAL_Y) < sac_half_px)
    assert set(path.x.tolist()) == {synthetic.SHAPE[2] // 2}


def test_discs_are_found_where_drawn() -> None:
    """Each segment of the synthetic spine starts just below a drawn disc."""
    reading = read_sagittal_mr(synthetic.volume(synthetic.spine()), "T2")
    disc_ends = np.array(synthetic.disc_tops_mm()) + synthetic.DISC_MM
    tops = np.array([segment.top_z for segment in reading.segments])
    assert len(tops) >= len(disc_ends) - 2
    assert np.all(np.min(np.abs(tops[:, None] - disc_ends[None, :]), axis=1) <= 2.0)


def test_faint_peaks_decide_how_many_discs_a_gap_missed() -> None:
    """A 72-row gap between 24-row segments is nearest three segments, but where the profile
    shows faint peaks every 18 rows (shorter segments towards the head) it holds four."""
    rows = np.array([0.0, 72.0, 96.0, 120.0, 144.0])
    profile = np.zeros(200)
    for centre in (18, 36, 54):
        profile[centre - 1 : centre + 2] = 0.5
    assert fill_missed(rows, period=24.0).tolist()[:4] == [0.0, 24.0, 48.0, 72.0]
    assert fill_missed(rows, period=24.0, profile=profile).tolist()[:5] == [
        0.0,
        18.0,
        36.0,
        54.0,
        72.0,
    ]


def test_a_missed_disc_is_put_back() -> None:
    """A gap of two segments between found discs gets the disc in its middle."""
    assert fill_missed(np.array([10.0, 30.0, 70.0, 90.0]), period=20.0).tolist() == [
        10.0,
        30.0,
        50.0,
        70.0,
        90.0,
    ]


def test_disc_rows_follow_profile_peaks() -> None:
    """Peaks of the disc profile one segment apart are the discs."""
    profile = np.zeros(200)
    for centre in range(20, 200, 25):
        profile[centre - 2 : centre + 3] = [0.3, 0.7, 1.0, 0.7, 0.3]
    assert disc_rows(profile, dz_mm=1.0).tolist() == list(range(20, 200, 25))


@pytest.mark.parametrize(("depth_there", "kept"), [(10.0, True), (0.0, False), (16.0, False)])
def test_a_far_top_peak_is_a_disc_where_the_sac_is_the_spines(
    depth_there: float, kept: bool
) -> None:
    """A top peak three segments above the next counts as a disc (the ones between were
    missed) where the sac around it has its usual depth; in the skull (no sac) or the
    cisterns (a deeper one) it is dropped."""
    rows = np.array([20.0, 80.0, 100.0, 120.0, 140.0])
    sac = np.full(200, 10.0)
    sac[10:31] = depth_there
    found = without_stray_ends(rows, sac, dz_mm=1.0)
    assert bool(found[0] == 20.0) == kept
    assert without_stray_ends(rows)[0] == 80.0  # without the sac's depth: dropped


@pytest.mark.parametrize(
    ("anchor", "first", "last"),
    [("skull_base", "C1", "C5"), ("sacrum", "L3", "S1"), (None, None, None)],
)
def test_segments_are_named_from_the_anchor(
    anchor: str | None, first: str | None, last: str | None
) -> None:
    """From the skull base the first whole segment is C3, with C2 and C1 above it; from the
    sacrum the last is L5, then S1; without an anchor nothing is named."""
    segments = [Segment(float(z), float(z + 20)) for z in range(40, 100, 20)]
    result = named(segments, anchor)  # type: ignore[arg-type]
    assert (result[0].name, result[-1].name) == (first, last)


def test_c1_and_c2_are_placed_above_c3_within_the_image() -> None:
    """C2 is a little longer than C3 and C1's ring about half as long; what lies above the
    image's first row is cut off."""
    c1, c2, c3 = named([Segment(30.0, 50.0), Segment(50.0, 70.0)], "skull_base")[:3]
    assert (c2.name, c2.top_z, c2.bottom_z) == ("C2", 8.0, 30.0)
    assert (c1.name, c1.top_z, c1.bottom_z) == ("C1", 0.0, 8.0)
    assert c3.name == "C3"


@pytest.mark.parametrize(
    ("first_disc", "segment", "sac_end", "anchor"),
    [
        (80.0, 20.0, None, "skull_base"),
        (10.0, 32.0, 170, "sacrum"),
        (10.0, 32.0, None, None),
        (10.0, 32.0, 240, None),
        (10.0, 22.0, 120, None),
    ],
)
def test_anchor_needs_the_skull_gap_or_the_sac_closing(
    first_disc: float, segment: float, sac_end: int | None, anchor: str | None
) -> None:
    """A long disc-free stretch above cervical-sized discs is the skull base; the sac closing
    within two segments of the last of lumbar-sized discs, with spine seen below, is the
    sacrum; otherwise no anchor (a thoracic sac that seems to close is no sacrum)."""
    discs = np.asarray(first_disc + segment * np.arange(5), dtype=np.float64)
    assert find_anchor(discs, 300, sac_end, dz_mm=1.0, cisterns=True) == anchor


def test_skull_base_needs_the_cisterns() -> None:
    """A long disc-free stretch above the discs without the sac widening into the cisterns
    (discs missed at the top of a thoracic or lumbar field) is no skull base."""
    discs = np.asarray(80.0 + 20.0 * np.arange(5), dtype=np.float64)
    assert find_anchor(discs, 300, None, dz_mm=1.0, cisterns=False) is None


def test_skull_base_needs_cervical_segments_below_it() -> None:
    """The same gap and cisterns above lumbar-sized segments (35 mm: a lumbar field whose top is
    dark and wide) is no skull base; above 20 mm segments it is."""
    lumbar = np.asarray(90.0 + 35.0 * np.arange(5), dtype=np.float64)
    assert find_anchor(lumbar, 400, None, dz_mm=1.0, cisterns=True) is None
    cervical = np.asarray(90.0 + 20.0 * np.arange(5), dtype=np.float64)
    assert find_anchor(cervical, 400, None, dz_mm=1.0, cisterns=True) == "skull_base"


def test_cisterns_are_a_sac_widening_above_the_first_disc() -> None:
    """The sac above the first disc much deeper than usual is the cisterna magna; a sac of
    its usual depth there is not."""
    sac = np.full(200, 10.0)
    assert not widens_above(sac, 60)
    sac[:30] = 16.0
    assert widens_above(sac, 60)
    thin = np.full(200, 4.0)  # a thin thoracic sac, relatively but not truly deeper above
    thin[:30] = 9.0
    assert not widens_above(thin, 60)


def test_sacral_remnants_above_the_sac_end_are_dropped() -> None:
    """Peaks within about a segment above where the sac closes are not counted as discs."""
    discs = np.array([10.0, 30.0, 50.0, 70.0])
    assert above_sac_end(discs, sac_end=80, period_rows=20.0).tolist() == [10.0, 30.0, 50.0]


def test_the_first_short_segment_above_the_sac_end_is_the_sacrum() -> None:
    """Lumbar discs 35 rows apart, then one only 24 below the last: that one is S1/S2, a
    fused remnant, and L5/S1 is the disc above it."""
    discs = np.array([0.0, 35.0, 70.0, 105.0, 140.0, 164.0])
    assert above_sac_end(discs, sac_end=190, period_rows=35.0).tolist() == [
        0.0,
        35.0,
        70.0,
        105.0,
        140.0,
    ]
    even = np.array([0.0, 35.0, 70.0, 105.0, 140.0])
    assert above_sac_end(even, sac_end=190, period_rows=35.0).tolist() == even.tolist()


def test_masses_are_not_read_near_the_sac_end() -> None:
    """Reading for masses stops at the last disc most of a segment above where the sac
    closes; without a seen end, at the last disc."""
    discs = np.array([0.0, 35.0, 70.0, 105.0, 140.0])
    assert last_read_row(discs, sac_end=160, period_rows=35.0) == 105.0
    assert last_read_row(discs, sac_end=None, period_rows=35.0) == 140.0


def test_the_sacral_canal_below_the_sac_end_is_no_sac_opening_again() -> None:
    """A lumbar sac 12 mm deep shuts at row 300; below it the sacral canal's fat, measured
    against a CSF level that followed it down, shows as 18 mm stretches of "sac": the sac
    ended there. Below a mass that shut it, the sac stays open for a segment and more."""
    depth = np.full(500, 12.0)
    level = np.full(500, 1000.0)
    depth[300:] = 0.0
    depth[340:358] = depth[400:418] = 12.0
    assert np.flatnonzero(sac_open(depth, level, 1.0, may_close=True))[-1] in range(295, 305)
    depth[340:400] = 12.0
    assert np.flatnonzero(sac_open(depth, level, 1.0, may_close=True))[-1] in range(410, 420)


def test_fat_as_bright_as_the_sacral_canal_is_no_sac_opening_again() -> None:
    """Shut for 20 mm, then 'open' for 60 mm down to the image's edge, but at three quarters
    of the CSF's brightness above: the sacral canal's fat, and the sac ended where it shut."""
    depth = np.full(500, 12.0)
    depth[420:440] = 0.0
    level = np.full(500, 1000.0)
    level[430:] = 740.0
    assert np.flatnonzero(sac_open(depth, level, 1.0, may_close=True))[-1] in range(415, 425)
    level[:] = 1000.0
    assert np.flatnonzero(sac_open(depth, level, 1.0, may_close=True))[-1] == 499


def test_a_sac_shut_by_a_mass_opens_again_under_a_fading_coil() -> None:
    """The coil's sensitivity falls from 1000 to 500 down the image; a mass shuts the sac for
    40 mm low in it. Just below the mass the CSF is as bright as just above it, though far
    dimmer than the sac's upper half: the sac opens again."""
    depth = np.full(500, 12.0)
    depth[260:300] = 0.0
    level = np.linspace(1000.0, 500.0, 500)
    assert np.flatnonzero(sac_open(depth, level, 1.0, may_close=True))[-1] == 499


def test_t1_segments_are_left_unnamed() -> None:
    """A T1 series gives segments but never names them nor grades masses."""
    reading = read_sagittal_mr(synthetic.volume(-synthetic.spine()), "T1")
    assert reading.anchor is None
    assert all(segment.name is None for segment in reading.segments)
    assert reading.detections == ()


def test_normal_spine_has_no_mass() -> None:
    """A canal with its usual fat and CSF all the way down yields no detection."""
    reading = read_sagittal_mr(synthetic.volume(synthetic.spine()), "T2")
    assert reading.detections == ()


def test_posterior_mass_is_found_and_graded() -> None:
    """Tissue filling the back of the canal over two segments is a posterior epidural mass
    that deforms the sac, with its rows inside the drawn ones."""
    voxels = synthetic.spine(mass_rows=MASS_ROWS, mass_mm=7.0)
    reading = read_sagittal_mr(synthetic.volume(voxels), "T2")
    assert len(reading.detections) == 1
    mass = reading.detections[0]
    assert mass.side == "posterior"
    assert mass.bilsky_grade is not None
    assert bilsky_rank(mass.bilsky_grade) >= bilsky_rank("1b")
    assert mass.z_range[0] >= MASS_ROWS[0] - 5
    assert mass.z_range[1] <= MASS_ROWS[1] + 5


def _measures(rows: int, **overrides: float) -> RowMeasures:
    """Rows of a normal canal: sac -6..6 mm, walls at -7 and 9 mm, cord -3.5..3.5 mm."""
    values = {
        "sac_front": -6.0,
        "sac_back": 6.0,
        "wall_front": -7.0,
        "wall_back": 9.0,
        "cord_front": -3.5,
        "cord_back": 3.5,
    }
    values.update(overrides)
    columns = {key: np.full(rows, value) for key, value in values.items()}
    return RowMeasures(
        **columns,
        csf_pixels=np.full(rows, 10, dtype=np.intp),
        csf_level=np.full(rows, 1000.0),
        front_signal=np.full(rows, 0.7),
        back_signal=np.full(rows, 0.5),
    )


def test_a_uniformly_narrow_canal_is_no_mass() -> None:
    """A canal narrow over its whole length has no epidural tissue beyond its own baseline."""
    narrow = _measures(200, sac_front=-4.0, sac_back=4.0, wall_front=-5.0, wall_back=6.0)
    assert find_masses({0: narrow}, np.ones(200, dtype=bool), 1.0, fat_bright=True) == []


@pytest.mark.parametrize(("fat_bright", "doubtful"), [(True, True), (False, False)])
def test_tissue_as_bright_as_fat_is_doubtful_where_fat_is_bright(
    fat_bright: bool, doubtful: bool
) -> None:
    """A thick posterior layer at fat's brightness on T2 is left for T1 to settle; on a
    fat-suppressed series it is a mass."""
    measures = _measures(200)
    measures.sac_back[80:110] = 2.0
    measures.back_signal[80:110] = 0.7
    [mass] = find_masses({0: measures}, np.ones(200, dtype=bool), 1.0, fat_bright=fat_bright)
    assert mass.doubtful is doubtful


def test_a_thin_layer_narrowing_the_sac_is_doubtful() -> None:
    """2.5 mm more tissue behind a sac 2.5 mm shallower than usual is a thin mass, left for T1
    to settle."""
    measures = _measures(200)
    measures.sac_back[80:110] = 3.5
    [mass] = find_masses({0: measures}, np.ones(200, dtype=bool), 1.0, fat_bright=False)
    assert mass.doubtful
    assert (mass.first_row, mass.last_row) == (80, 109)
    assert mass.side == "posterior"


def test_thin_rows_need_extra_tissue_and_a_sac_narrowed_but_mostly_open() -> None:
    """Narrowed by 2.5 mm with extra tissue: thin mass; without the tissue, or with the sac
    less than half open (CSF lost to flow or noise): not."""
    strongest = np.array([2.5, 2.5, 1.0, 2.5])
    sac = np.array([9.5, 5.0, 9.5, 12.0])
    assert thin_rows(strongest, sac, np.full(4, 12.0)).tolist() == [True, False, False, False]


@pytest.mark.parametrize(
    ("changes", "csf_beside", "grade"),
    [
        ({"sac_back": 4.5}, True, "1b"),
        ({"sac_back": 4.5, "cord_front": np.nan, "cord_back": np.nan}, True, "1c"),
        ({"sac_back": 3.0, "cord_back": 2.0}, True, "2"),
        ({"csf_pixels": 0}, True, "2"),
        ({"csf_pixels": 0}, False, "3"),
    ],
)
def test_row_grades_follow_the_csf_left(
    changes: dict[str, float], csf_beside: bool, grade: str
) -> None:
    """Rim behind the cord: 1b; CSF on the far side only: 1c; cord thinned or pinned with CSF
    beside it: 2; no CSF on any slice: 3."""
    overrides = {key: value for key, value in changes.items() if key != "csf_pixels"}
    middle = _measures(1, **overrides)
    if "csf_pixels" in changes:
        middle = RowMeasures(**{**middle.__dict__, "csf_pixels": np.zeros(1, dtype=np.intp)})
    beside = (
        _measures(1)
        if csf_beside
        else RowMeasures(**{**_measures(1).__dict__, "csf_pixels": np.zeros(1, dtype=np.intp)})
    )
    expected = np.array([12.0])
    cord = np.array([7.0])
    assert row_grade({0: middle, 1: beside}, "posterior", 0, expected, cord) == grade


def test_runs_bridge_short_gaps_and_drop_short_runs() -> None:
    """Two stretches split by a short gap are one run; a stray short stretch is none."""
    mask = np.zeros(60, dtype=bool)
    mask[5:20] = mask[22:35] = mask[50:52] = True
    assert runs(mask, bridge_rows=3, min_rows=5) == [(5, 34)]


def test_unread_weighting_gives_a_note() -> None:
    """A series the reader cannot read (CT, or too small) yields an empty reading with a note."""
    reading = read_sagittal_mr(synthetic.volume(synthetic.spine()), "CT")
    assert (reading.segments, reading.detections) == ((), ())
    assert reading.note
    tiny = read_sagittal_mr(synthetic.volume(np.zeros((8, 8, 4), dtype=np.float32)), "T2")
    assert tiny.note


def test_a_mass_needs_open_sac_above_and_below() -> None:
    """Thick tissue where the sac tapers shut and never reopens (the sac's end, roots filling
    it) is no mass; the same stretch with normal sac below it is one."""
    usual = np.full(200, 10.0)
    ending = np.concatenate((np.full(120, 10.0), np.full(80, 2.0)))
    assert not flanks_open(ending, usual, 1.0)(100, 130)
    assert flanks_open(np.full(200, 10.0), usual, 1.0)(100, 130)


def test_cores_grow_to_the_thinner_ends_and_merge() -> None:
    """A mass's rows reach out to where its thinner tissue ends; two cores in one such run
    are one mass, graded over both cores."""
    extent = np.zeros(100, dtype=bool)
    extent[10:60] = True
    assert grown([(20, 30), (40, 50)], extent, 1) == [((20, 50), (10, 59))]


def test_a_closed_sac_takes_the_extra_tissue_of_its_edges() -> None:
    """Rows without CSF between two thick edges (a mass filling the canal) take the thinner
    edge's extra tissue; a closure with a normal edge on one side (a disc) stays at nothing."""
    strongest = np.zeros(60)
    strongest[8:10], strongest[20:22] = 12.0, 9.0
    strongest[40:42] = 8.0
    closed = np.zeros(60, dtype=bool)
    closed[10:20] = closed[42:50] = True
    filled = filled_where_closed(strongest, closed, reach_rows=3)
    assert np.all(filled[10:20] == 9.0)
    assert np.all(filled[42:50] == 0.0)


def test_a_long_closure_with_the_cord_beside_it_is_a_block() -> None:
    """The sac shut over a long stretch with the cord seen above and below is a block; the
    same stretch with no cord below (the lumbar sac's end) is not, nor is a short closure."""
    closed = np.zeros(80, dtype=bool)
    closed[20:50] = True
    cord = np.ones(80, dtype=bool)
    cord[15:20] = cord[50:55] = False  # the mass's edges hide the cord
    rows = {"bridge_rows": 2, "block_rows": 10, "flank_rows": 20}
    assert blocks(closed, cord, **rows)[20:50].all()
    short = np.zeros(80, dtype=bool)
    short[30:35] = True
    assert not blocks(short, cord, **rows).any()
    cord[50:] = False
    assert not blocks(closed, cord, **rows).any()


def test_a_grade_must_hold_on_rows_in_a_row() -> None:
    """Grade 2 on scattered single rows is partial volume: the run's grade is the one held
    on consecutive rows."""
    rows = np.arange(10)
    grades = ["1c", "2", "1c", "1c", "2", "1c", "1c", "2", "1c", "1c"]
    assert worst_grade(grades, rows, min_rows=2)[0] == "1c"
    grades[4] = grades[5] = "2"
    assert worst_grade(grades, rows, min_rows=2)[0] == "2"


@pytest.mark.parametrize(
    ("wall_back", "first_row"),
    [(9.0, 60), (14.0, 20), (float("nan"), 60)],
)
def test_a_mass_at_the_first_disc_reaches_into_c2_only_where_c2_is_full(
    wall_back: float, first_row: int
) -> None:
    """Rows are read from the C2-C3 disc (row 58) down; a mass found from row 60 reaches up
    through C2 (rows 20-60) when the tissue behind the sac there is 8 mm thick, not when it is
    the usual 3 mm, nor where nothing behind the sac was measured."""
    midline = _measures(200)
    midline.wall_back[:60] = wall_back
    valid = np.arange(200) >= 58
    segments = [Segment(0.0, 20.0, "C1"), Segment(20.0, 60.0, "C2"), Segment(60.0, 90.0, "C3")]
    mass = MassRun(60, 90, "posterior", "2", 8.0, 40.0, 75, 5.0, 0.5)
    assert into_c2(mass, segments, midline, valid, 1.0).first_row == first_row
    below = MassRun(80, 90, "posterior", "2", 8.0, 40.0, 85, 5.0, 0.5)
    assert into_c2(below, segments, midline, valid, 1.0) == below
