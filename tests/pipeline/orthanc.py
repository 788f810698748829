"""A real Orthanc, from Debian's package, as the PACS in front of the service: it receives studies
and, once a study is stable, forwards it to the listener by itself (a Lua ``OnStableStudy`` that
posts to ``/modalities/<name>/store``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import free_port, wait_for

AE_TITLE = "ORTHANC"
MODALITY = "spinetriage"
STABLE_AGE_S = 2  # Orthanc's default is 60 s; the forwarding is what is tested, not the wait
FORWARD_SCRIPT = f"""
function OnStableStudy(studyId, tags, metadata)
  RestApiPost('/modalities/{MODALITY}/store', studyId)
end
"""


@dataclass(frozen=True)
class Orthanc:
    dicom_port: int
    http_port: int
    log_path: Path

    def studies(self) -> list[str]:
        url = f"http://127.0.0.1:{self.http_port}/studies"
        with urllib.request.urlopen(url, timeout=5) as response:
            studies: list[str] = json.load(response)
        return studies


def orthanc_binary() -> str:
    """Orthanc's path; the module is skipped without it, and fails under CI, which installs it."""
    path = shutil.which("Orthanc")
    if path is None:
        reason = "Orthanc is not installed (Debian package orthanc)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return path


@contextmanager
def running_orthanc(workdir: Path, listener_port: int, called_ae: str) -> Iterator[Orthanc]:
    """Orthanc on free loopback ports, its data in ``workdir``, forwarding stable studies to the
    listener on ``listener_port``."""
    binary = orthanc_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "forward.lua"
    script.write_text(FORWARD_SCRIPT)
    orthanc = Orthanc(free_port(), free_port(), workdir / "orthanc.log")
    config = {
        "Name": "test-pacs",
        "StorageDirectory": str(workdir / "storage"),
        "IndexDirectory": str(workdir / "storage"),
        "DicomAet": AE_TITLE,
        "DicomPort": orthanc.dicom_port,
        "HttpPort": orthanc.http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "StableAge": STABLE_AGE_S,
        "DicomModalities": {MODALITY: [called_ae, "127.0.0.1", listener_port]},
        "LuaScripts": [str(script)],
        "Plugins": [],
    }
    (workdir / "orthanc.json").write_text(json.dumps(config))
    with orthanc.log_path.open("wb") as log:
        process = subprocess.Popen(
            [binary, str(workdir / "orthanc.json")], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: _answers(orthanc, process))
        yield orthanc
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(orthanc: Orthanc, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, f"Orthanc exited; see {orthanc.log_path}"
    try:
        orthanc.studies()
    except OSError:
        return False
    return True
