"""``spinetriage phantom`` writes one folder per case and prints a line for each."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinetriage.cli import main
from workers.phantom.named import NAMED_CASES
from workers.phantom.truth import DICOM_DIR, StudyTruth

FAST_SEEDS = 10082  # two consecutive seeds from here are small MR studies


def test_writes_a_folder_and_prints_a_line_per_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two seeds give two case folders with DICOM files and truth.json, and two printed lines
    naming each case with its modality and field of view."""
    assert main(["phantom", str(tmp_path), "--seed", str(FAST_SEEDS), "--count", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    for seed, line in zip((FAST_SEEDS, FAST_SEEDS + 1), lines, strict=True):
        case_dir = tmp_path / f"case-{seed:06d}"
        truth = StudyTruth.read(case_dir)
        assert list((case_dir / DICOM_DIR).iterdir())
        assert line.startswith(truth.case_id)
        assert f" {truth.modality} " in line
        assert truth.field_of_view in line


def test_list_names_the_clinical_cases(capsys: pytest.CaptureFixture[str]) -> None:
    """--list prints every named case."""
    assert main(["phantom", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMED_CASES)


def test_output_folder_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    """Without OUT (and without --list) the command fails with a message."""
    assert main(["phantom"]) == 2
    assert "OUT" in capsys.readouterr().err
