"""The worker's metrics and probes, from a real worker: its main process serves what its pool
process counted (prometheus-client's multiprocess mode), and says whether it is ready."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis import Redis

from spinetriage import __version__, heartbeat
from spinetriage.metrics import TASK_OUTCOMES, WORKLIST_PRIORITIES
from spinetriage.worklist import WorklistStore
from tests.fixtures_worker import READY_TIMEOUT_S, WorkerProcess
from tests.support import free_port, metric, wait_for
from tests.workers.worker.conftest import PhantomStudy
from tests.workers.worker.seeding import complete, send_task, spool_files
from tests.workers.worker.test_task import outcome


def readyz(port: int) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of the worker's ``/readyz``."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def answers_ready(worker: WorkerProcess, port: int) -> bool:
    """Whether the worker, still running, answers that it is ready (not yet listening: no)."""
    assert worker.process.poll() is None, f"worker exited:\n{worker.log_text()}"
    try:
        return readyz(port)[0] == 200
    except urllib.error.URLError:
        return False


def probe(port: int) -> subprocess.CompletedProcess[str]:
    """``spinetriage worker --probe`` asking the worker on ``port``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SPINETRIAGE_")}
    env.update(SPINETRIAGE_METRICS_BIND="127.0.0.1", SPINETRIAGE_WORKER_METRICS_PORT=str(port))
    return subprocess.run(
        [sys.executable, "-m", "spinetriage", "worker", "--probe"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_main_process_serves_what_the_pool_process_counted(
    redis: Redis,
    redis_url: str,
    worker_spool: Path,
    phantom_study: PhantomStudy,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """One study analysed in the pool process shows on the main process's `/metrics` as one
    done delivery with its wall time, one time to the worklist under the priority it got and
    one wait since completion, beside the build and a fresh heartbeat; the worker is ready and
    `--probe` exits 0."""
    ready = complete(redis, spool_files(phantom_study.files, worker_spool))
    port = free_port()
    start_worker(worker_metrics_port=port)
    send_task(redis_url, ready)
    item = outcome(WorklistStore(redis), ready.study_uid)
    url = f"http://127.0.0.1:{port}/metrics"
    wait_for(lambda: metric(url, "spinetriage_tasks_total", outcome="done") == 1)
    tasks = {o: metric(url, "spinetriage_tasks_total", outcome=o) for o in TASK_OUTCOMES}
    assert tasks == {o: float(o == "done") for o in TASK_OUTCOMES}
    assert metric(url, "spinetriage_task_duration_seconds_count", outcome="done") == 1
    to_worklist = {
        p: metric(url, "spinetriage_time_to_worklist_seconds_count", priority=p)
        for p in WORKLIST_PRIORITIES
    }
    assert to_worklist == {p: float(p == item.priority) for p in WORKLIST_PRIORITIES}
    assert metric(url, "spinetriage_analysis_wait_seconds_count") == 1
    assert metric(url, "spinetriage_build_info", version=__version__) == 1
    beat = metric(url, "spinetriage_worker_heartbeat_timestamp_seconds")
    assert time.time() - heartbeat.WINDOW_S < beat <= time.time()
    assert readyz(port) == (200, {"status": "ready"})
    assert heartbeat.workers_seen(redis, time.time()) == 1
    assert probe(port).returncode == 0


def test_without_its_spool_the_worker_is_not_ready_and_the_probe_says_why(
    redis: Redis, worker_spool: Path, start_worker: Callable[..., WorkerProcess]
) -> None:
    """With the spool folder gone `/readyz` answers 503 naming the spool and `--probe` exits 1
    saying so; a stopped worker leaves no heartbeat behind, and the probe then finds no
    answer."""
    port = free_port()
    worker = start_worker(worker_metrics_port=port)
    wait_for(lambda: answers_ready(worker, port), READY_TIMEOUT_S)
    worker_spool.rmdir()
    status, body = readyz(port)
    assert (status, body["status"], body["failed"]) == (503, "unavailable", ["spool"])
    refused = probe(port)
    assert refused.returncode == 1
    assert "spool" in refused.stderr
    worker.stop()
    assert heartbeat.workers_seen(redis, time.time()) == 0
    gone = probe(port)
    assert (gone.returncode, "no answer" in gone.stderr) == (1, True)
