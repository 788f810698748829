"""Real parts for every test: a real Redis and real listener, worker and API processes on free
loopback ports."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis import Redis

from spinetriage.embedded_redis import EmbeddedRedis
from tests.fixtures_api import start_api
from tests.fixtures_worker import start_worker, worker_spool
from tests.support import free_port, listening, spawn, wait_for
from workers.phantom.demo import demo_specs, written
from workers.phantom.truth import DICOM_DIR, StudyTruth

__all__ = ["start_api", "start_worker", "worker_spool"]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SPINETRIAGE_TEST_REDIS_URL (a disposable Redis: tests flush it) or an embedded server."""
    url = os.environ.get("SPINETRIAGE_TEST_REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), free_port())
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@dataclass
class ListenerProcess:
    port: int
    metrics_port: int
    spool: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def spooled_files(self) -> list[Path]:
        return sorted(p for p in self.spool.rglob("*.dcm") if ".incoming" not in p.parts)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    def up() -> bool:
        assert process.poll() is None, "listener exited during start-up"
        return listening(port)

    wait_for(up)


@pytest.fixture
def start_listener(
    redis: Redis, redis_url: str, tmp_path: Path
) -> Iterator[Callable[..., ListenerProcess]]:
    """Start `spinetriage listener` as its own process; extra settings as keyword arguments."""
    started: list[ListenerProcess] = []

    def start(**settings: object) -> ListenerProcess:
        port, metrics_port = free_port(), free_port()
        spool = tmp_path / f"spool-{len(started)}"
        env = {
            **os.environ,
            "SPINETRIAGE_REDIS_URL": redis_url,
            "SPINETRIAGE_SPOOL_DIR": str(spool),
            "SPINETRIAGE_SPOOL_MIN_FREE_BYTES": "0",
            "SPINETRIAGE_DICOM_BIND": "127.0.0.1",
            "SPINETRIAGE_DICOM_PORT": str(port),
            "SPINETRIAGE_METRICS_BIND": "127.0.0.1",
            "SPINETRIAGE_LISTENER_METRICS_PORT": str(metrics_port),
            "SPINETRIAGE_COMPLETION_QUIET_S": "2.0",
            "SPINETRIAGE_COMPLETION_GRACE_S": "0.3",
            "SPINETRIAGE_COMPLETION_POLL_S": "0.05",
            "SPINETRIAGE_LOG_FORMAT": "json",
            "SPINETRIAGE_LOG_LEVEL": "debug",
        }
        env.update({f"SPINETRIAGE_{key.upper()}": str(value) for key, value in settings.items()})
        log_path = tmp_path / f"listener-{len(started)}.log"
        process = spawn("listener", env, log_path)
        listener = ListenerProcess(port, metrics_port, spool, process, log_path)
        started.append(listener)
        _wait_for_port(port, process)
        return listener

    yield start
    for listener in started:
        listener.process.terminate()
        listener.process.wait(timeout=30)


@dataclass(frozen=True)
class DemoStudy:
    truth: StudyTruth
    folder: Path  # the study's DICOM files


@pytest.fixture(scope="session")
def demo_studies(tmp_path_factory: pytest.TempPathFactory) -> list[DemoStudy]:
    """The demo's studies, written once per session: two without a finding, then one with cord
    compression (critical)."""
    root = tmp_path_factory.mktemp("demo")
    studies = []
    for spec in demo_specs():
        truth = written(spec, root)
        studies.append(DemoStudy(truth, root / spec.case_id / DICOM_DIR))
    return studies
