"""Mass or flowing CSF: a plain T1 series answers for a mass a T2 series found behind the sac."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pydicom
import pytest

from tests.workers.analysis.placed import detection, placed, sagittal_series
from workers.analysis.flow_check import without_flow_voids
from workers.analysis.placement import Placed
from workers.analysis.reading import DorsalCsf
from workers.analysis.study import analyze_folder
from workers.phantom import generate
from workers.phantom.truth import DICOM_DIR, StudyTruth

CSF, CORD, TUMOUR = 0.1, 0.45, 0.34  # T1 signal, as CSF, the cord and a metastasis show it
# Canonical (z, y, x) points of the T2 series where the CSF behind the cord usually lies (column
# 70) over the mass's rows 60-79, and in the cord's middle (column 62) above and below them
MASS_POINTS = np.array([[z, 70.0, 2.0] for z in range(60, 80)])
CORD_POINTS = np.array([[z, 62.0, 2.0] for z in [*range(30, 50), *range(90, 110)]])


def t2_with_mass() -> Placed:
    found = detection(60, 79, grade="1c")
    t2 = placed(sagittal_series("t2", "T2"), detections=(found,))
    check = DorsalCsf(found, MASS_POINTS, CORD_POINTS)
    return replace(t2, reading=replace(t2.reading, dorsal_csf=(check,)))


def t1_showing(mass_signal: float, weighting: str = "T1") -> Placed:
    """A T1 series over the same heights: the cord in front of column 66, CSF behind it, but
    ``mass_signal`` on the mass's rows."""
    series = sagittal_series("t1", weighting)  # type: ignore[arg-type]
    voxels = series.volume.voxels
    voxels[:] = CORD
    voxels[:, :, 66:76] = CSF
    voxels[:, 60:80, 66:76] = mass_signal
    return placed(series)


@pytest.mark.parametrize(("mass_signal", "kept"), [(TUMOUR, True), (0.16, True), (CSF, False)])
def test_a_mass_t1_shows_as_csf_is_a_flow_void(mass_signal: float, kept: bool) -> None:
    """Tissue on T1 (three quarters of the cord's signal), or tissue the CSF around it darkens
    to a third, is the mass the T2 series saw; as dark as CSF (a fifth of the cord) it is CSF
    whose flow left no signal on T2."""
    t2, t1 = t2_with_mass(), t1_showing(mass_signal)
    (after, _) = without_flow_voids([t2, t1])
    assert (after.reading.detections == t2.reading.detections) is kept
    assert after.reading.detections or not kept


def test_without_a_plain_t1_the_mass_stands() -> None:
    """Only a plain T1 shows the CSF dark: after contrast, or with no T1 at all, nothing is
    taken away."""
    t2 = t2_with_mass()
    assert without_flow_voids([t2])[0].reading.detections == t2.reading.detections
    contrast = t1_showing(CSF, weighting="T1_contrast")
    assert without_flow_voids([t2, contrast])[0].reading.detections == t2.reading.detections


def test_a_t1_that_does_not_reach_the_mass_leaves_it() -> None:
    """Points outside the T1 series give no answer, and the mass stands."""
    t2 = t2_with_mass()
    far = replace(t2.reading.dorsal_csf[0], mass_points=MASS_POINTS + np.array([0.0, 0.0, 40.0]))
    t2 = replace(t2, reading=replace(t2.reading, dorsal_csf=(far,)))
    assert without_flow_voids([t2, t1_showing(CSF)])[0].reading.detections == (
        t2.reading.detections
    )


FLOW_VOID_SEED = 8186  # lumbar MR, no mass; flow voids behind the lower thoracic cord
# cervical MR, epidural mass C1-T1 (Bilsky 2): of the true masses in the tuning sets, the one
# whose rows T1 shows darkest where the CSF behind the cord lies
DARKEST_MASS_SEED = 8215


def _without_t1(truth: StudyTruth, folder: Path) -> None:
    (t1,) = [s.series_instance_uid for s in truth.series if s.weighting == "T1"]
    for path in folder.iterdir():
        if pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID == t1:
            path.unlink()


def test_flow_voids_t1_shows_as_csf_raise_no_flag(tmp_path: Path) -> None:
    """Flow voids behind the cord read on T2 and STIR as tissue pressing on it; the study's
    T1 shows CSF there, and nothing is flagged. Without the T1 the same study is flagged."""
    truth = generate(FLOW_VOID_SEED, tmp_path)
    folder = tmp_path / truth.case_id / DICOM_DIR
    assert truth.findings == ()
    assert "flow_artefact" in truth.distractors
    assert not analyze_folder(folder).suspected_compression
    _without_t1(truth, folder)
    assert analyze_folder(folder).suspected_compression


def test_a_mass_behind_the_cord_stands_against_t1(tmp_path: Path) -> None:
    """A true mass is tissue on T1 where the CSF behind the cord lies: still flagged."""
    truth = generate(DARKEST_MASS_SEED, tmp_path)
    result = analyze_folder(tmp_path / truth.case_id / DICOM_DIR)
    assert result.suspected_compression
    assert any(f.type == "epidural_mass" for f in result.findings)
