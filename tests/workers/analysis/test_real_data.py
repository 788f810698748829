"""Real images (../shared/data/real, when present) are analysed or declined with a reason, never
crash the analysis and are never flagged: neither shows epidural cord compression."""

from __future__ import annotations

from pathlib import Path

from spinetriage.triage import TriageResult
from tests.workers.loading.nifti_series import write_nifti_as_dicom_series
from tests.workers.loading.test_real_data import REAL_CT, REAL_T2, needs
from workers.analysis.study import NotAnalysableError, analyze_folder


def analysed_or_declined(folder: Path) -> None:
    outcome = _outcome(folder)
    if isinstance(outcome, str):
        assert "nothing analysable" in outcome
        return
    assert not outcome.suspected_compression, outcome.findings
    assert outcome.priority not in ("critical", "urgent")
    assert all(use.reason for use in outcome.series)


def _outcome(folder: Path) -> TriageResult | str:
    try:
        return analyze_folder(folder)
    except NotAnalysableError as declined:
        return str(declined)


def test_real_ct_is_analysed_or_declined_and_not_flagged() -> None:
    """The vendor CT (20 slices in JPEG 2000) gives a result without compression, or a reason."""
    needs(REAL_CT)
    analysed_or_declined(REAL_CT)


def test_real_cervical_t2_is_analysed_or_declined_and_not_flagged(tmp_path: Path) -> None:
    """The real cervical T2 MRI, written as a DICOM series, is not flagged."""
    needs(REAL_T2)
    write_nifti_as_dicom_series(REAL_T2, tmp_path / "dicom")
    analysed_or_declined(tmp_path / "dicom")
