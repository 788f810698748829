"""``spinetriage analyze``: a folder of DICOM files in, the contract's JSON out, or a clear
JSON error and a non-zero exit when nothing in it can be analysed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from spinetriage.triage import TriageResult
from workers.phantom import named_case, write_case
from workers.phantom.truth import DICOM_DIR, StudyTruth

SPINETRIAGE = str(Path(sys.executable).parent / "spinetriage")


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SPINETRIAGE, "analyze", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def sickle_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, StudyTruth]:
    case_dir = tmp_path_factory.mktemp("cases") / "sickle"
    truth = write_case(named_case("sickle_t4_t6"), case_dir)
    return case_dir / DICOM_DIR, truth


def test_a_study_with_compression_is_printed_in_the_contracts_shape(
    sickle_case: tuple[Path, StudyTruth],
) -> None:
    """The epidural mass T4-T6 of the sickle-cell case is flagged, with its levels, and every
    series is listed with whether it was used and why."""
    folder, truth = sickle_case
    done = analyze(str(folder), "--json")
    assert done.returncode == 0, done.stderr
    result = TriageResult.model_validate_json(done.stdout)
    assert result.study_instance_uid == truth.study_instance_uid
    assert result.suspected_compression
    assert result.priority in ("critical", "urgent")
    epidural = [f for f in result.findings if f.type == "epidural_mass"]
    assert epidural, result.findings
    assert epidural[0].from_level in ("T3", "T4", "T5")
    assert epidural[0].to_level in ("T5", "T6", "T7")
    assert {use.series_instance_uid for use in result.series} >= {
        s.series_instance_uid for s in truth.series
    }
    assert all(use.reason for use in result.series)
    assert result.timings_ms["cpu"] > 0


def test_the_summary_reads_as_words(sickle_case: tuple[Path, StudyTruth]) -> None:
    """Without --json the priority and each finding are printed as a person reads them."""
    folder, _ = sickle_case
    done = analyze(str(folder))
    assert done.returncode == 0, done.stderr
    assert "Epidural mass T" in done.stdout
    assert "Bilsky" in done.stdout


def test_a_folder_with_nothing_analysable_gives_a_json_error(tmp_path: Path) -> None:
    """Files that are not DICOM: exit 1 and a JSON error saying what was found."""
    (tmp_path / "notes.txt").write_text("not an image\n")
    done = analyze(str(tmp_path), "--json")
    assert done.returncode == 1
    error = json.loads(done.stdout)
    assert error["error"] == "not_analysable"
    assert "nothing analysable" in error["message"]


def test_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    """A path that is not a folder exits 2 with a JSON error."""
    done = analyze(str(tmp_path / "absent"), "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"] == "path_not_found"
