"""Axial CT reading of phantom studies: canal, segments, epidural and paraspinal masses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinetriage.levels import level_position
from spinetriage.triage import bilsky_rank
from workers.analysis.ct_axial import read_axial_ct
from workers.analysis.ct_epidural import bilsky_from_loss, epidural_profile, mass_runs, side_of
from workers.analysis.ct_outside import extended
from workers.analysis.ct_section import Sections
from workers.analysis.reading import SeriesReading
from workers.analysis.volume import CanonicalVolume
from workers.loading import load_study
from workers.phantom import generate
from workers.phantom.truth import StudyTruth

COMPRESSIVE_SEED = 2025  # thoracic CT, posterior epidural mass T3-T5 (Bilsky 3), no anchor
NEGATIVE_SEED = 2006  # thoracic CT, no masses, a vertebral hemangioma
PARASPINAL_SEED = 4223  # thoracic CT, bilateral paraspinal masses T10-T12 outside the canal
NOISY_SACRUM_SEED = 7072  # thoracolumbar CT at low SNR, epidural mass T9 (Bilsky 2)
HIDDEN_ALAE_SEEDS = (6033, 8201)  # lumbar CT at low SNR; thoracolumbar CT, narrow canal
NECK_SEEDS = (7081, 6115)  # cervicothoracic and cervical CT, no masses
LONG_PARASPINAL_SEED = 8209  # thoracolumbar CT, paraspinal masses T7-T12 in lobes on each side


def _read(seed: int, folder: Path) -> tuple[SeriesReading, StudyTruth]:
    truth = generate(seed, folder)
    study = load_study(folder / truth.case_id / "dicom")
    (series,) = [s for s in study.series if s.weighting == "CT" and s.plane == "axial"]
    return read_axial_ct(series.volume.canonical()), truth


@pytest.fixture(scope="module")
def compressive(tmp_path_factory: pytest.TempPathFactory) -> tuple[SeriesReading, StudyTruth]:
    return _read(COMPRESSIVE_SEED, tmp_path_factory.mktemp("compressive"))


@pytest.fixture(scope="module")
def negative(tmp_path_factory: pytest.TempPathFactory) -> tuple[SeriesReading, StudyTruth]:
    return _read(NEGATIVE_SEED, tmp_path_factory.mktemp("negative"))


@pytest.fixture(scope="module")
def paraspinal(tmp_path_factory: pytest.TempPathFactory) -> tuple[SeriesReading, StudyTruth]:
    return _read(PARASPINAL_SEED, tmp_path_factory.mktemp("paraspinal"))


def _segment_index(reading: SeriesReading, z: float) -> int:
    for index, segment in enumerate(reading.segments):
        if segment.top_z <= z < segment.bottom_z:
            return index
    raise AssertionError(f"slice {z} lies in no segment")


def test_compressive_mass_is_graded_as_deforming_the_sac_at_its_levels(
    compressive: tuple[SeriesReading, StudyTruth],
) -> None:
    """The T3-T5 mass is one epidural detection graded 1b or worse, within a level of T3-T5
    when segments are counted from the first vertebra wholly in view."""
    reading, truth = compressive
    (mass,) = [d for d in reading.detections if d.type == "epidural_mass"]
    assert mass.bilsky_grade is not None
    assert bilsky_rank(mass.bilsky_grade) >= bilsky_rank("1b")
    (finding,) = truth.findings
    first_in_view = level_position(truth.levels_in_view[0])
    expected = (
        level_position(finding.from_level) - first_in_view,
        level_position(finding.to_level) - first_in_view,
    )
    found = (_segment_index(reading, mass.z_range[0]), _segment_index(reading, mass.z_range[1]))
    assert abs(found[0] - expected[0]) <= 1
    assert abs(found[1] - expected[1]) <= 1


def test_segments_stay_unnamed_without_an_anchor(
    compressive: tuple[SeriesReading, StudyTruth],
) -> None:
    """A thoracic series shows neither skull base nor sacrum: its segments have no names."""
    reading, _ = compressive
    assert reading.anchor is None
    assert len(reading.segments) >= 8
    assert all(segment.name is None for segment in reading.segments)
    tops = [segment.top_z for segment in reading.segments]
    assert tops == sorted(tops)


def test_negative_series_reports_nothing(negative: tuple[SeriesReading, StudyTruth]) -> None:
    """A normal thoracic CT with a hemangioma yields no detection at all."""
    reading, _ = negative
    assert reading.detections == ()


def test_paraspinal_mass_is_not_called_epidural(
    paraspinal: tuple[SeriesReading, StudyTruth],
) -> None:
    """Masses beside the thoracic bodies give a bilateral paraspinal detection at their levels
    and no epidural one."""
    reading, truth = paraspinal
    assert {d.type for d in reading.detections} == {"paraspinal_mass"}
    (finding,) = truth.findings
    first_in_view = level_position(truth.levels_in_view[0])
    expected = level_position(finding.from_level) - first_in_view
    assert any(
        d.side == "bilateral" and abs(_segment_index(reading, d.z_range[0]) - expected) <= 1
        for d in reading.detections
    )


@pytest.mark.parametrize("seed", NECK_SEEDS)
def test_the_necks_muscle_above_the_lung_is_no_paraspinal_mass(seed: int, tmp_path: Path) -> None:
    """Beside the lower cervical bodies muscle fills the neck and gives way to the lung apex
    below: more soft tissue than the levels above and below, but no mass."""
    reading, truth = _read(seed, tmp_path)
    assert truth.findings == ()
    assert [d for d in reading.detections if d.type == "paraspinal_mass"] == []


def test_a_paraspinal_mass_longer_than_its_baseline_spans_its_levels(tmp_path: Path) -> None:
    """Lobes beside the bodies over six levels raise the baseline on either side of the middle
    ones; the mass found in the middle still reaches the levels of its first and last lobe."""
    reading, truth = _read(LONG_PARASPINAL_SEED, tmp_path)
    (mass,) = [f for f in truth.findings if f.type == "paraspinal_mass"]
    first_in_view = level_position(truth.levels_in_view[0])
    expected = [level_position(level) - first_in_view for level in (mass.from_level, mass.to_level)]
    (found,) = [d for d in reading.detections if d.type == "paraspinal_mass"]
    spanned = [_segment_index(reading, z) for z in found.z_range]
    assert abs(spanned[0] - expected[0]) <= 1
    assert abs(spanned[1] - expected[1]) <= 1


def test_runs_extend_over_the_stretches_they_touch() -> None:
    """A run grows to the stretch of slices above the lower baseline that it lies in; a run
    grown into the next is joined with it; stretches no run touches are left out."""
    reaching = np.zeros(80, dtype=bool)
    reaching[5:16] = True
    reaching[30:51] = True
    reaching[60:70] = True
    assert extended([(10, 12), (40, 42), (48, 55)], reaching) == [(5, 15), (30, 55)]


@pytest.mark.parametrize(
    ("loss", "grade"),
    [(0.05, "1a"), (0.25, "1b"), (0.4, "1c"), (0.6, "2"), (0.95, "3")],
)
def test_grade_follows_the_share_of_expected_csf_lost(loss: float, grade: str) -> None:
    """The Bilsky grade rises with the share of the expected CSF that the mass took."""
    assert bilsky_from_loss(loss) == grade


def test_short_runs_are_dropped_and_close_runs_joined() -> None:
    """Mass slices a few millimetres apart form one run; a 2 mm blip is not a mass."""
    mass = np.zeros(60, dtype=bool)
    mass[10:20] = True
    mass[22:30] = True
    mass[50:52] = True
    assert mass_runs(mass, slice_mm=1.0) == [(10, 29)]


@pytest.mark.parametrize(
    ("degrees", "side"),
    [(0.0, "posterior"), (180.0, "anterior"), (90.0, "left"), (-90.0, "right")],
)
def test_side_is_where_the_lining_is_thickest(degrees: float, side: str) -> None:
    """The side is the direction of the thickest lining: 0 deg back, +90 deg patient's left."""
    angles = np.linspace(0.0, 2 * np.pi, 36, endpoint=False)
    distance = np.angle(np.exp(1j * (angles - np.radians(degrees))))
    excess = np.where(np.abs(distance) < np.radians(30), 5.0, 0.0)
    assert side_of(excess, angles) == side


def test_volume_without_a_bony_canal_is_read_as_not_found() -> None:
    """Uniform soft tissue has no canal: the reading says so and finds nothing."""
    voxels = np.full((20, 64, 64), 40.0, dtype=np.float32)
    volume = CanonicalVolume(voxels, (1.0, 0.8, 0.8), (0, 1, 2), (False,) * 3, 0.0, voxels.shape)
    reading = read_axial_ct(volume)
    assert reading.detections == ()
    assert reading.note == "canal not found"


def _sections(dense_mm2: np.ndarray, csf_mm2: np.ndarray) -> Sections:
    slices, rays = dense_mm2.size, 8
    return Sections(
        angles_rad=np.linspace(0, 2 * np.pi, rays, endpoint=False),
        wall_mm=np.full((slices, rays), 8.0),
        wall_seen=np.ones((slices, rays), dtype=bool),
        lining_mm=np.full((slices, rays), 1.0),
        fat_mm2=np.full(slices, 40.0),
        csf_mm2=csf_mm2,
        dense_mm2=dense_mm2,
    )


def test_thinner_dense_tissue_is_a_mass_only_where_the_sac_lost_its_csf() -> None:
    """Dense tissue 55 mm2 beyond the usual with half the sac's CSF gone is a mass; the same
    excess with the CSF all there (noise, a bulge) is not."""
    dense, csf = np.full(200, 40.0), np.full(200, 100.0)
    dense[90:110] += 55.0
    assert not epidural_profile(_sections(dense, csf), 1.0).mass.any()
    csf[90:110] = 50.0
    assert epidural_profile(_sections(dense, csf), 1.0).mass[95:105].all()


def test_a_noisy_sacrum_still_anchors_the_levels(tmp_path: Path) -> None:
    """Low SNR narrows the sacrum's measured width (78 mm on this study, lumbar bodies at most
    53): it still counts as the sacrum, and the levels are named from it."""
    reading, truth = _read(NOISY_SACRUM_SEED, tmp_path)
    assert (truth.anchor, reading.anchor) == ("sacrum", "sacrum")
    (finding,) = [f for f in truth.findings if f.type == "epidural_mass"]
    (mass,) = [d for d in reading.detections if d.type == "epidural_mass"]
    named = reading.segments[_segment_index(reading, (mass.z_range[0] + mass.z_range[1]) / 2)]
    assert named.name is not None
    assert abs(level_position(named.name) - level_position(finding.from_level)) <= 1


@pytest.mark.parametrize("seed", HIDDEN_ALAE_SEEDS)
def test_alae_the_row_through_the_body_misses_still_anchor_the_levels(
    seed: int, tmp_path: Path
) -> None:
    """The row 8 mm in front of the canal misses S1's alae (noise, or their front edge); rows
    nearer and further find them, and every body in view is named, down to S1. Below S1's top
    the canal is the sacrum's, with no sac to read: the sac's end there is no mass."""
    reading, truth = _read(seed, tmp_path)
    assert reading.anchor == "sacrum"
    names = [segment.name for segment in reading.segments]
    assert (names[0], names[-1]) == (truth.levels_in_view[0], "S1")
    assert [d for d in reading.detections if d.type == "epidural_mass"] == []
