"""DICOM over TLS, with a certificate made for the test by openssl."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from tests.conftest import ListenerProcess

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_echo_over_tls_and_plain_peer_refused(
    start_listener: Callable[..., ListenerProcess], tmp_path: Path
) -> None:
    """With a certificate configured, a TLS peer trusting it gets its echo answered and a plain
    TCP peer cannot associate."""
    cert, key = self_signed(tmp_path)
    listener = start_listener(dicom_tls_cert=cert, dicom_tls_key=key)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(cert))
    ae = AE(ae_title="PACS")
    ae.add_requested_context(Verification)
    assoc = ae.associate(
        "127.0.0.1", listener.port, ae_title="SPINETRIAGE", tls_args=(client, "localhost")
    )
    assert assoc.is_established
    assert int(assoc.send_c_echo().Status) == 0
    assoc.release()
    plain = ae.associate("127.0.0.1", listener.port, ae_title="SPINETRIAGE")
    assert not plain.is_established
    # pynetdicom leaves the socket of a failed requestor open; close it rather than leak it.
    leaked = plain.dul.socket.socket if plain.dul.socket else None
    if leaked is not None:
        leaked.close()
