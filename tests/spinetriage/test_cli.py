"""`spinetriage up`: everything on one machine, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DemoStudy
from tests.support import dcmtk_tools, free_port, listening, spawn, wait_for

TOOLS = dcmtk_tools("storescu")
TOKEN = "test-token"
ON_WORKLIST_WITHIN_S = 90.0
pytestmark = pytest.mark.dcmtk


def worklist(api_port: int) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{api_port}/api/v1/worklist",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        items: list[dict[str, Any]] = json.load(response)["items"]
    return items


def all_done(api_port: int, count: int) -> list[dict[str, Any]] | None:
    items = worklist(api_port) if listening(api_port) else []
    return items if sum(item["status"] == "done" for item in items) == count else None


def test_up_triages_studies_sent_with_storescu_until_ctrl_c(
    tmp_path: Path, demo_studies: list[DemoStudy]
) -> None:
    """`up` without a Redis URL runs an embedded Redis, the listener, a worker and the API: one
    study with cord compression and two without, sent with storescu, are analysed and the
    compressing one is first on the worklist with its levels and grade; SIGINT stops everything
    and leaves the spool and Redis's append-only file on disk."""
    ports = {name: free_port() for name in ("dicom", "redis", "metrics", "worker", "api")}
    env = {key: value for key, value in os.environ.items() if not key.startswith("SPINETRIAGE_")}
    env.update(
        SPINETRIAGE_DATA_DIR=str(tmp_path / "var"),
        SPINETRIAGE_DICOM_BIND="127.0.0.1",
        SPINETRIAGE_DICOM_PORT=str(ports["dicom"]),
        SPINETRIAGE_EMBEDDED_REDIS_PORT=str(ports["redis"]),
        SPINETRIAGE_METRICS_BIND="127.0.0.1",
        SPINETRIAGE_LISTENER_METRICS_PORT=str(ports["metrics"]),
        SPINETRIAGE_WORKER_METRICS_PORT=str(ports["worker"]),
        SPINETRIAGE_API_BIND="127.0.0.1",
        SPINETRIAGE_API_PORT=str(ports["api"]),
        SPINETRIAGE_API_TOKEN=TOKEN,
        SPINETRIAGE_WORKER_CONCURRENCY="1",
        SPINETRIAGE_SPOOL_MIN_FREE_BYTES="0",
    )
    log_path = tmp_path / "up.log"
    up = spawn("up", env, log_path)
    try:
        wait_for(lambda: listening(ports["dicom"]) and listening(ports["api"]))
        for study in demo_studies:
            subprocess.run(
                [TOOLS["storescu"], "-aec", "SPINETRIAGE", "-xv", "+sd", "127.0.0.1",
                 str(ports["dicom"]), str(study.folder)],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
        items = wait_for(lambda: all_done(ports["api"], 3), ON_WORKLIST_WITHIN_S)
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    first = items[0]
    assert (first["priority"], first["suspected_compression"]) == ("critical", True)
    finding = first["findings"][0]
    assert (finding["from_level"], finding["to_level"]) == ("T3", "T8")
    assert finding["bilsky_grade"] in ("2", "3")
    assert [item["priority"] for item in items[1:]] == ["routine", "routine"]
    text = log_path.read_text()
    assert f"SPINETRIAGE@127.0.0.1:{ports['dicom']}" in text
    assert f"http://127.0.0.1:{ports['api']}/" in text
    assert up.returncode == 128 + signal.SIGINT
    assert not any(listening(port) for port in ports.values())
    assert list((tmp_path / "var" / "spool").rglob("*.dcm"))
    assert list((tmp_path / "var" / "redis").rglob("*.aof*"))
