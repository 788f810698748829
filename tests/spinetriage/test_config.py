"""Settings come from SPINETRIAGE_ variables, and bad ones name themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinetriage.config import SettingsError, load_settings


def test_defaults_follow_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without variables the listener is SPINETRIAGE on port 11112, with a spool under var/."""
    settings = load_settings()
    assert (settings.dicom_ae_title, settings.dicom_port) == ("SPINETRIAGE", 11112)
    assert settings.spool_path == Path("var/spool")
    assert settings.redis_url is None


def test_allow_list_is_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    """SPINETRIAGE_DICOM_ALLOWED_CALLING_AES is a comma-separated list of AE titles."""
    monkeypatch.setenv("SPINETRIAGE_DICOM_ALLOWED_CALLING_AES", "PACS1, PACS2 ,")
    assert load_settings().dicom_allowed_calling_aes == ["PACS1", "PACS2"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SPINETRIAGE_DICOM_PORT", "70000"),
        ("SPINETRIAGE_DICOM_AE_TITLE", "A_TITLE_LONGER_THAN_16"),
        ("SPINETRIAGE_COMPLETION_QUIET_S", "-1"),
        ("SPINETRIAGE_LOG_FORMAT", "xml"),
    ],
)
def test_bad_value_fails_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """An invalid value stops start-up with a message that names its variable."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_tls_certificate_needs_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A TLS certificate without a key is refused at start-up."""
    monkeypatch.setenv("SPINETRIAGE_DICOM_TLS_CERT", "/etc/ssl/cert.pem")
    with pytest.raises(SettingsError, match="SPINETRIAGE_DICOM_TLS_KEY"):
        load_settings()
