"""The same seed gives the same study, byte for byte; different seeds give different ones."""

from __future__ import annotations

from pathlib import Path

from tests.workers.phantom.conftest import MR_EPIDURAL_SEED, Written
from workers.phantom import case_for, generate, truth_of
from workers.phantom.truth import DICOM_DIR, StudyTruth


def test_same_seed_writes_identical_files_and_truth(mr_epidural: Written, tmp_path: Path) -> None:
    """Generating a seed again gives the same file names, the same bytes and the same truth."""
    again = generate(MR_EPIDURAL_SEED, tmp_path)
    first = {p.name: p.read_bytes() for p in mr_epidural.files}
    second = {p.name: p.read_bytes() for p in (tmp_path / again.case_id / DICOM_DIR).iterdir()}
    assert first == second
    assert again == mr_epidural.truth
    assert StudyTruth.read(tmp_path / again.case_id) == mr_epidural.truth


def test_case_for_is_a_pure_function_of_the_seed() -> None:
    """Drawing a case twice from one seed gives equal specifications."""
    assert case_for(10123) == case_for(10123)


def test_different_seeds_give_different_studies() -> None:
    """Two seeds give different study UIDs and different patients, anatomy and series."""
    a, b = case_for(10200), case_for(10201)
    assert truth_of(a).study_instance_uid != truth_of(b).study_instance_uid
    assert a.spine != b.spine
    assert a.patient != b.patient
