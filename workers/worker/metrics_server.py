"""The worker's ``/metrics``, ``/healthz`` and ``/readyz``, served by its main process on
``SPINETRIAGE_WORKER_METRICS_PORT``.

Tasks run in the pool's processes, each with its own memory, so the worker uses
prometheus-client's multiprocess mode: every process keeps its values in files of one private
folder, and a scrape adds them up (``MultiProcessCollector``). The files of a pool process that
exited stay: its counts belong in the totals. No pool process sets a gauge, so nothing of a
``live`` mode is left behind by one that was killed; ``mark_process_dead`` still runs for each
pool process that exits, as the library asks."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIServer

from celery import signals
from prometheus_client import CollectorRegistry, multiprocess, values
from redis import Redis

from spinetriage.config import Settings
from spinetriage.health import Check, redis_problem, spool_problem
from spinetriage.metrics import BuildInfo
from spinetriage.ops_server import start_ops_server
from workers.worker.heart import Heart

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def enable_multiprocess() -> Path:
    """Keep every metric created from now on in a fresh private folder, in this process and in
    the pool processes forked from it; returns the folder (the caller removes it at exit).

    prometheus-client chooses how it keeps values when ``prometheus_client.values`` is first
    imported, from ``PROMETHEUS_MULTIPROC_DIR``; the command line has imported it by now (the
    listener's and the API's commands load with the worker's). So the variable is set and the
    choice made again with the library's own ``values.get_value_class()``, before any worker
    metric exists. A folder set from outside is not used: its files could be another run's."""
    folder = Path(tempfile.mkdtemp(prefix="spinetriage-worker-metrics-"))
    os.environ[MULTIPROC_DIR_ENV] = str(folder)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    signals.worker_process_shutdown.connect(_forget_pool_process, weak=False)
    return folder


def _forget_pool_process(pid: int | None = None, **_kwargs: Any) -> None:
    if pid is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def metrics_registry(folder: Path) -> CollectorRegistry:
    """What a scrape reads: every process's files added up, and the build."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    registry.register(BuildInfo())
    return registry


def start_metrics_server(
    settings: Settings, folder: Path, redis: Redis, heart: Heart
) -> WSGIServer:
    """Ready while Redis answers (``redis``: a client with a probe's timeouts), the spool
    takes a file and the consumer beats."""
    checks: dict[str, Check] = {
        "redis": lambda: redis_problem(redis),
        "spool": lambda: spool_problem(settings.spool_path),
        "consumer": heart.problem,
    }
    return start_ops_server(
        settings.metrics_bind, settings.worker_metrics_port, metrics_registry(folder), checks
    )
