"""Fat or mass: a T1 series answers what a T2 series without fat suppression asked."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tests.workers.analysis.placed import detection, placed, sagittal_series
from workers.analysis.fat_check import answered
from workers.analysis.placement import Placed
from workers.analysis.reading import FatQuestion

FAT, TUMOUR = 0.92, 0.34  # T1 signal, as the fat and a metastasis show it
# Canonical (z, y, x) points of the asking T2 series: the mass's tissue on rows 60-79, the
# canal's fat above and below it; x 2 is the middle slice.
MASS_POINTS = np.array([[z, 70.0, 2.0] for z in range(60, 80)])
FAT_POINTS = np.array([[z, 70.0, 2.0] for z in [*range(30, 50), *range(90, 110)]])


def asking_t2() -> Placed:
    question = FatQuestion(detection(60, 79), MASS_POINTS, FAT_POINTS)
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


def test_a_question_no_t1_series_covers_stays_unanswered() -> None:
    """A T1 series far above the mass cannot tell; neither can a study without T1."""
    t2, _ = answered([asking_t2(), t1_showing(TUMOUR, top_mm=400.0)])
    assert t2.reading.detections == ()
    (alone,) = answered([asking_t2()])
    assert alone.reading.detections == ()
