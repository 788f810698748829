"""Real analysis workers for tests: ``spinetriage worker`` as its own process group (its main
process and pool), on the test Redis and a spool in the test's temporary folder.

Import ``start_worker`` and ``worker_spool`` into a conftest to use them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from tests.support import free_port, wait_for

STOP_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 60.0


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    spool: Path
    _stop_requested: bool = False

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """The worker's JSON log events so far, only those called ``name`` if given."""
        events = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                event = json.loads(line)
                if name is None or event.get("event") == name:
                    events.append(event)
        return events

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Until the worker consumes its queue (Celery logs "<hostname> ready.")."""

        def ready() -> bool:
            assert self.process.poll() is None, f"worker exited:\n{self.log_text()}"
            return any(str(e.get("event", "")).endswith(" ready.") for e in self.events())

        wait_for(ready, timeout_s)

    def kill(self) -> None:
        """SIGKILL to the whole process group: the worker dies without a word, as on a lost
        machine, and its pool with it."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> None:
        """SIGTERM (warm shutdown: a running analysis finishes first) and wait for the exit."""
        self.request_stop()
        self.wait_stopped()

    def request_stop(self) -> None:
        if self.process.poll() is None and not self._stop_requested:
            self._stop_requested = True
            self.process.terminate()

    def wait_stopped(self) -> None:
        """Wait for the worker to exit, then SIGKILL whatever of its group is left."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT_S)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture
def worker_spool(tmp_path: Path) -> Path:
    """The spool the test's workers read studies from."""
    spool = tmp_path / "spool"
    spool.mkdir()
    return spool


@pytest.fixture
def start_worker(
    redis: Redis, redis_url: str, worker_spool: Path, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start `spinetriage worker` (one analysis process unless told otherwise) as its own
    process group; extra settings as keyword arguments (``task_time_limit_s=5``)."""
    started: list[WorkerProcess] = []

    def start(**settings: object) -> WorkerProcess:
        env = {
            **os.environ,
            "SPINETRIAGE_REDIS_URL": redis_url,
            "SPINETRIAGE_DATA_DIR": str(tmp_path / "data"),
            "SPINETRIAGE_SPOOL_DIR": str(worker_spool),
            "SPINETRIAGE_WORKER_CONCURRENCY": "1",
            # Each worker serves its metrics and probes on a free loopback port of its own.
            "SPINETRIAGE_METRICS_BIND": "127.0.0.1",
            "SPINETRIAGE_WORKER_METRICS_PORT": str(free_port()),
            "SPINETRIAGE_LOG_FORMAT": "json",
            "SPINETRIAGE_LOG_LEVEL": "info",
        }
        env.update({f"SPINETRIAGE_{key.upper()}": str(value) for key, value in settings.items()})
        log_path = tmp_path / f"worker-{len(started)}.log"
        worker = WorkerProcess(_spawn_group(env, log_path), log_path, worker_spool)
        started.append(worker)
        return worker

    yield start
    for worker in started:  # all at once: each warm shutdown takes a second or two
        worker.request_stop()
    for worker in started:
        worker.wait_stopped()


def _spawn_group(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``spinetriage worker`` in a new session, so that its whole process group can be
    signalled without touching the test run; output to a file (see ``support.spawn``)."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "spinetriage", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
