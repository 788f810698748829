"""Fat or mass: a T1 series answers what a T2 series could not tell, about a mass it asked about
or about the fat behind its sac."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Literal

import numpy as np
import pydicom
import pytest

from tests.workers.analysis.placed import detection, placed, sagittal_series
from workers.analysis.fat_check import answered
from workers.analysis.placement import Placed
from workers.analysis.reading import Detection, FatQuestion, SacSide
from workers.analysis.study import analyze_folder
from workers.phantom import generate
from workers.phantom.truth import DICOM_DIR

FAT, TUMOUR = 0.92, 0.34  # T1 signal, as the fat and a metastasis show it
# Canonical (z, y, x) points of the asking T2 series: the mass's tissue on rows 60-79, the
# canal's fat above and below it; x 2 is the middle slice.
MASS_POINTS = np.array([[z, 70.0, 2.0] for z in range(60, 80)])
FAT_POINTS = np.array([[z, 70.0, 2.0] for z in [*range(30, 50), *range(90, 110)]])


def asking_t2() -> Placed:
    question = FatQuestion(detection(60, 79), (MASS_POINTS,), FAT_POINTS)
    t2 = placed(sagittal_series("t2", "T2"))
    return replace(t2, reading=replace(t2.reading, fat_questions=(question,)))


def t1_showing(mass_signal: float, top_mm: float = 110.0) -> Placed:
    """A T1 series starting 10 mm higher than the T2 one (its rows are offset by 10), all fat
    but for the mass's rows and columns."""
    series = sagittal_series("t1", "T1", top_mm=top_mm)
    voxels = series.volume.voxels
    voxels[:] = FAT
    offset = round(top_mm - 100.0)
    voxels[:, 60 + offset : 80 + offset, 65:76] = mass_signal
    return placed(series)


def test_tissue_darker_than_the_canal_fat_on_t1_is_a_mass() -> None:
    """A metastasis as bright as fat on T2 is dark against fat on T1: the T2 series reports
    it."""
    t2, t1 = answered([asking_t2(), t1_showing(TUMOUR)])
    assert [d.z_range for d in t2.reading.detections] == [(60, 79)]
    assert t1.reading.detections == ()


def test_tissue_as_bright_as_the_canal_fat_on_t1_is_fat() -> None:
    """Fat stays fat: no detection."""
    t2, _ = answered([asking_t2(), t1_showing(FAT * 0.95)])
    assert t2.reading.detections == ()


def test_enhancing_tissue_against_suppressed_fat_is_a_mass() -> None:
    """After contrast with fat suppression fat is dark and tumour bright: unlike fat again."""
    series = sagittal_series("t1c", "T1_contrast", top_mm=110.0)
    series.volume.voxels[:] = 0.1
    series.volume.voxels[:, 70:90, 65:76] = 0.8
    t2, _ = answered([asking_t2(), placed(series)])
    assert len(t2.reading.detections) == 1


def asking_around_the_sac() -> Placed:
    """A circumferential mass asked about with its tissue read in front of the sac (column 70,
    where ``t1_showing`` puts its signal) and behind it (column 100, the canal's fat)."""
    behind = MASS_POINTS.copy()
    behind[:, 1] = 100.0
    question = FatQuestion(
        detection(60, 79, side="circumferential"), (MASS_POINTS, behind), FAT_POINTS
    )
    t2 = placed(sagittal_series("t2", "T2"))
    return replace(t2, reading=replace(t2.reading, fat_questions=(question,)))


def test_a_circumferential_mass_dark_on_one_side_is_a_mass() -> None:
    """Behind a lumbar sac the canal's own fat is thick; a mass in front of it, narrowing the
    sac, is dark on T1 there: one side unlike fat answers, and both like it do not."""
    dark_in_front, _ = answered([asking_around_the_sac(), t1_showing(TUMOUR)])
    assert [d.z_range for d in dark_in_front.reading.detections] == [(60, 79)]
    all_fat, _ = answered([asking_around_the_sac(), t1_showing(FAT * 0.95)])
    assert all_fat.reading.detections == ()


def test_a_question_no_t1_series_covers_stays_unanswered() -> None:
    """A T1 series far above the mass cannot tell; neither can a study without T1."""
    t2, _ = answered([asking_t2(), t1_showing(TUMOUR, top_mm=400.0)])
    assert t2.reading.detections == ()
    (alone,) = answered([asking_t2()])
    assert alone.reading.detections == ()


# Beside the sac of the fluid series: rows 20-179 read, points one column apart from column 70
# on the middle slice (canonical y is depth, front to back).
READ_FROM, READ_ROWS = 20, 160


def sac_back_t2(
    *detections: Detection,
    sac_loss_pct: float = 8.0,
    side: Literal["anterior", "posterior"] = "posterior",
    tissue_mm: float = 3.0,
) -> Placed:
    rows = np.arange(READ_FROM, READ_FROM + READ_ROWS)
    points = np.stack(
        [
            np.stack([rows, np.full(READ_ROWS, y), np.full(READ_ROWS, 2.0)], axis=1)
            for y in (70, 71, 72)
        ],
        axis=1,
    ).astype(float)
    back = SacSide(
        side=side,
        first_row=READ_FROM,
        points=points,
        tissue_mm=np.full(READ_ROWS, tissue_mm),
        sac_loss_pct=np.full(READ_ROWS, sac_loss_pct),
        centre=np.stack([rows, np.full(READ_ROWS, 60), np.full(READ_ROWS, 2)], axis=1),
        box_y=np.tile([48, 72], (READ_ROWS, 1)),
    )
    t2 = placed(sagittal_series("t2", "T2"), detections=detections)
    return replace(t2, reading=replace(t2.reading, beside_sac=(back,)))


def t1_without_fat(first: int, last: int) -> Placed:
    """A T1 series all fat but for tissue behind the sac on rows ``first``..``last``."""
    series = sagittal_series("t1", "T1")
    series.volume.voxels[:] = FAT
    series.volume.voxels[:, first : last + 1, 68:75] = TUMOUR
    return placed(series)


def test_tissue_in_place_of_the_fat_behind_the_sac_is_a_mass_deforming_it() -> None:
    """Fat gone behind the sac over 20 mm, fat above and below: a posterior mass, Bilsky 1b,
    on those rows of the fluid series."""
    t2, t1 = answered([sac_back_t2(), t1_without_fat(90, 109)])
    (mass,) = t2.reading.detections
    assert (mass.type, mass.side, mass.bilsky_grade) == ("epidural_mass", "posterior", "1b")
    assert mass.z_range == (90, 109)
    assert mass.key_voxel[0] in range(90, 110)
    assert t1.reading.detections == ()


@pytest.mark.parametrize(
    ("first", "last"),
    [(100, 104), (150, 179)],
    ids=["shorter than a level", "no fat below it"],
)
def test_fat_missing_briefly_or_at_the_end_of_the_read_rows_is_no_mass(
    first: int, last: int
) -> None:
    """A few millimetres without fat are a lamina's edge or noise; the sac's end has no fat
    below it to show that the canal is normal there."""
    t2, _ = answered([sac_back_t2(), t1_without_fat(first, last)])
    assert t2.reading.detections == ()


@pytest.mark.parametrize(
    ("side", "tissue_mm", "found"),
    [
        ("posterior", 2.0, False),
        ("anterior", 2.0, True),
        ("anterior", 1.0, False),
    ],
)
def test_fat_too_thin_to_read_on_t1_tells_nothing(
    side: Literal["anterior", "posterior"], tissue_mm: float, found: bool
) -> None:
    """Where the fluid series measured little tissue between the sac and the bone, T1 shows
    the fat's partial volume, not its loss: 2 mm behind the sac (a narrow canal) and 1 mm in
    front of it (a bulging disc's edge) are too thin; in front, where the fat is thinner, a
    mass of 2 mm is read."""
    t2, _ = answered([sac_back_t2(side=side, tissue_mm=tissue_mm), t1_without_fat(90, 109)])
    assert [d.side for d in t2.reading.detections] == ([side] if found else [])


def test_no_fat_behind_a_sac_the_fluid_series_mostly_lost_is_no_mass() -> None:
    """Where the fluid series lost most of the sac's depth (flow voids, roots) its edge is not
    the sac's, and what lies behind it is CSF: dark on T1 as well."""
    t2, _ = answered([sac_back_t2(sac_loss_pct=60.0), t1_without_fat(90, 109)])
    assert t2.reading.detections == ()


def test_rows_the_fluid_series_read_as_a_mass_are_not_reported_twice() -> None:
    t2, _ = answered([sac_back_t2(detection(85, 112)), t1_without_fat(90, 109)])
    assert [d.z_range for d in t2.reading.detections] == [(85, 112)]


def test_fat_suppressed_t1_after_contrast_does_not_read_the_fat() -> None:
    """After contrast with fat suppression the fat is dark everywhere: no fat to miss."""
    series = sagittal_series("t1c", "T1_contrast")
    series.volume.voxels[:] = 0.1
    t2, _ = answered([sac_back_t2(), placed(series)])
    assert t2.reading.detections == ()


# MR studies with a sagittal T2 and T1 and a thin epidural mass, Bilsky 1b: thoracic, behind
# the sac T3-T4, 3.6 mm; lumbar, in front of it at L1, 2.8 mm
THIN_MASS_SEEDS = {8025: "posterior", 8221: "anterior"}


@pytest.mark.parametrize(("seed", "side"), sorted(THIN_MASS_SEEDS.items()))
def test_a_thin_mass_only_t1_shows_is_flagged(seed: int, side: str, tmp_path: Path) -> None:
    """A thin mass replaces the fat and narrows the sac by a millimetre or two: T2 alone does
    not flag it; with the study's T1 series it is a Bilsky 1b mass on its side, suspected
    compression."""
    truth = generate(seed, tmp_path)
    folder = tmp_path / truth.case_id / DICOM_DIR
    (mass,) = [f for f in truth.findings if f.type == "epidural_mass"]
    assert (mass.bilsky_grade, mass.side) == ("1b", side)
    result = analyze_folder(folder)
    assert result.suspected_compression
    assert [(f.side, f.bilsky_grade) for f in result.findings if f.type == "epidural_mass"] == [
        (side, "1b")
    ]
    (t1,) = [s.series_instance_uid for s in truth.series if s.weighting == "T1"]
    for path in folder.iterdir():
        if pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID == t1:
            path.unlink()
    assert not analyze_folder(folder).suspected_compression
