"""Epidural masses graded on axial T2 MR blocks of phantom studies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinetriage.triage import bilsky_rank
from workers.analysis.mr_axial import above_conus, read_axial_mr
from workers.analysis.mr_axial_canal import SacSection
from workers.analysis.reading import SeriesReading
from workers.analysis.volume import CanonicalVolume
from workers.loading import load_study
from workers.phantom import case_for, named_case, write_case
from workers.phantom.case_spec import CaseSpec

NEGATIVE_SEED = 1012  # thoracolumbar, no masses, with an axial block


def _axial_readings(spec: CaseSpec, folder: Path) -> list[SeriesReading]:
    write_case(spec, folder)
    study = load_study(folder / "dicom")
    return [
        read_axial_mr(s.volume.canonical(), s.weighting) for s in study.series if s.plane == "axial"
    ]


@pytest.fixture(scope="module")
def sickle(tmp_path_factory: pytest.TempPathFactory) -> list[SeriesReading]:
    return _axial_readings(named_case("sickle_t4_t6"), tmp_path_factory.mktemp("sickle"))


@pytest.fixture(scope="module")
def negative(tmp_path_factory: pytest.TempPathFactory) -> list[SeriesReading]:
    return _axial_readings(case_for(NEGATIVE_SEED), tmp_path_factory.mktemp("negative"))


def test_block_through_a_compressive_mass_grades_it_as_deforming_the_sac(
    sickle: list[SeriesReading],
) -> None:
    """The axial block through the sickle-cell child's T4-T6 mass (Bilsky 1c) reports an
    epidural mass graded 1b or worse."""
    (reading,) = sickle
    epidural = [d for d in reading.detections if d.type == "epidural_mass"]
    assert epidural
    worst = max(epidural, key=lambda d: bilsky_rank(d.bilsky_grade or "0"))
    assert worst.bilsky_grade is not None
    assert bilsky_rank(worst.bilsky_grade) >= bilsky_rank("1b")
    assert worst.canal_compromise_pct is not None
    assert worst.canal_compromise_pct > 20.0
    assert reading.segments == ()
    assert reading.anchor is None


def test_block_without_masses_reports_nothing(negative: list[SeriesReading]) -> None:
    """A normal axial block yields no detection."""
    (reading,) = negative
    assert reading.detections == ()


def test_block_without_a_canal_says_so() -> None:
    """Uniform noise has no sac: the reading is empty and says why."""
    voxels = np.random.default_rng(1).random((20, 96, 96), dtype=np.float32)
    volume = CanonicalVolume(
        voxels=voxels,
        spacing_mm=(4.0, 1.0, 1.0),
        source_axes=(0, 1, 2),
        flipped=(False, False, False),
        obliquity_deg=0.0,
        source_shape=voxels.shape,
    )
    reading = read_axial_mr(volume, "T2")
    assert reading.detections == ()


def _section(cord_mm2: float) -> SacSection:
    return SacSection(100.0, 60.0, cord_mm2, 10.0, 14.0, (50.0, 50.0), False, (40, 40, 60, 60))


def test_sections_below_the_conus_are_not_compared() -> None:
    """Sections past the last one holding a cord (roots only) are dropped; a cord squeezed out
    of sight between sections that hold it is kept."""
    cords = [40.0, 40.0, 0.0, 0.0, 40.0, 40.0, 0.0, 2.0, 0.0]
    kept = above_conus([_section(c) for c in cords])
    assert [s is not None for s in kept] == [True] * 6 + [False] * 3
