"""Small helpers the tests share: free ports, bounded polling, reading the real queue and the
real metrics endpoint."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydicom import dcmread
from pynetdicom import AE
from pynetdicom.sop_class import MRImageStorage  # type: ignore[attr-defined]
from redis import Redis

from spinetriage import keys
from spinetriage.dcmtk import find_tool
from spinetriage.task_names import TRIAGE_QUEUE

if TYPE_CHECKING:
    from tests.conftest import ListenerProcess

POLL_TIMEOUT_S = 20.0


def dcmtk_tools(*names: str) -> dict[str, str]:
    """Paths of dcmtk's command-line tools; a module that needs them is skipped where they are
    missing, and fails under CI, which must have installed them."""
    tools = {name: find_tool(name) for name in names}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        reason = f"dcmtk command-line tools not on PATH (missing: {', '.join(missing)})"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return {name: path for name, path in tools.items() if path is not None}


def spawn(command: str, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``spinetriage COMMAND`` as a process, its output in ``log_path``: a file, not a pipe, so
    that children a failed test leaves behind cannot keep it waiting on the pipe."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "spinetriage", command],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    """Whether something accepts connections on this loopback port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition: Callable[[], Any], timeout_s: float = POLL_TIMEOUT_S) -> Any:
    """Poll until `condition` returns something truthy, failing after a bounded wait."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout_s} s")


def queued_tasks(redis: Redis) -> list[tuple[str, list[Any]]]:
    """The Celery messages waiting on the triage queue, as (task name, positional args)."""
    tasks = []
    for raw in redis.lrange(TRIAGE_QUEUE, 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], args))
    return tasks


def metric(url: str, name: str, **labels: str) -> float:
    """One sample's value from a Prometheus text endpoint (0 when absent)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def send(listener: ListenerProcess, paths: list[Path]) -> None:
    """C-STORE `paths` to a listener in one association, each answered with success."""
    ae = AE(ae_title="PACS")
    ae.add_requested_context(MRImageStorage)
    assoc = ae.associate("127.0.0.1", listener.port, ae_title="SPINETRIAGE")
    assert assoc.is_established
    assert [int(assoc.send_c_store(path).Status) for path in paths] == [0] * len(paths)
    assoc.release()


def settled(redis: Redis) -> bool:
    """Nothing waits for completion and nothing claimed is unsent."""
    return redis.zcard(keys.COMPLETION_PENDING) == 0 and redis.zcard(keys.COMPLETION_OUTBOX) == 0


def study_uid_of(paths: list[Path]) -> str:
    return str(dcmread(paths[0], stop_before_pixels=True).StudyInstanceUID)
