"""Masses at the top of the cervical canal, on phantom studies: above the C2-C3 disc no mass is
sought row by row, but one that comes up to it is followed into C2 where C2 shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.analysis.naming import NamedSpan, levels_spanned
from workers.analysis.reading import SeriesReading
from workers.analysis.sagittal_mr.reader import read_sagittal_mr
from workers.loading import load_study
from workers.phantom import generate
from workers.phantom.truth import StudyTruth

FROM_C1_SEED = 8284  # cervical MR, posterior epidural mass C1-C3 (Bilsky 1c)
FROM_C3_SEED = 8148  # cervical MR, posterior epidural mass at C3 (Bilsky 2)


def _read_t2(seed: int, folder: Path) -> tuple[SeriesReading, float, StudyTruth]:
    truth = generate(seed, folder)
    study = load_study(folder / truth.case_id / "dicom")
    (series, *_) = [s for s in study.series if s.weighting == "T2" and s.plane == "sagittal"]
    volume = series.volume.canonical()
    return read_sagittal_mr(volume, "T2"), volume.spacing_mm[0], truth


def _levels(reading: SeriesReading, dz_mm: float) -> tuple[str | None, str | None]:
    """The levels the series' one epidural mass spans, counted as the study counts them."""
    (mass,) = [d for d in reading.detections if d.type == "epidural_mass"]
    spans = [
        NamedSpan(str(s.name), -s.top_z * dz_mm, -s.bottom_z * dz_mm) for s in reading.segments
    ]
    first, last = mass.z_range
    return levels_spanned(spans, -first * dz_mm, -last * dz_mm)


@pytest.mark.parametrize(
    ("seed", "levels"), [(FROM_C1_SEED, ("C2", "C3")), (FROM_C3_SEED, ("C3", "C3"))]
)
def test_a_mass_reaching_the_first_disc_goes_into_c2_only_where_c2_shows_it(
    seed: int, levels: tuple[str, str], tmp_path: Path
) -> None:
    """The mass from C1 fills the canal behind the sac over C2 and is reported from C2, a level
    within its true top; the mass that starts at C3 leaves C2 as thin as usual and keeps C3."""
    reading, dz_mm, truth = _read_t2(seed, tmp_path)
    assert reading.anchor == "skull_base"
    assert _levels(reading, dz_mm) == levels
    (mass,) = truth.findings
    assert mass.type == "epidural_mass"
