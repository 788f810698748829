"""Log lines never carry patient data."""

from __future__ import annotations

import json
import logging

import pytest

from spinetriage.logs import REDACTED, configure_logging, drop_phi, get_logger


@pytest.mark.parametrize(
    "key", ["patient_name", "patient_id", "patient_birth_date", "accession_number", "PatientName"]
)
def test_drop_phi_redacts_patient_keys(key: str) -> None:
    """Any key that may hold patient data has its value replaced."""
    event = drop_phi(None, "info", {"event": "x", key: "DOE^JANE", "study": "1.2.3"})
    assert event == {"event": "x", key: REDACTED, "study": "1.2.3"}


def test_configured_logging_redacts_structlog_and_stdlib_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through the configured pipeline, structlog and standard-library records both come out as
    JSON with patient values redacted."""
    configure_logging("info", "json")
    get_logger("test").info("study_seen", patient_name="DOE^JANE", study="1.2.3")
    logging.getLogger("other").info("plain", extra={"accession_number": "A123"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["event"] == "study_seen"
    assert lines[0]["patient_name"] == REDACTED
    assert lines[0]["study"] == "1.2.3"
    assert (lines[1]["event"], lines[1]["logger"]) == ("plain", "other")
    assert "DOE^JANE" not in json.dumps(lines)
