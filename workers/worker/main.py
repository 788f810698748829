"""The worker process: ``spinetriage worker``.

One main process and a pool of analysis processes (one per core unless
``SPINETRIAGE_WORKER_CONCURRENCY`` says otherwise) consuming the ``triage`` queue. SIGTERM is a
warm shutdown: running analyses finish and are recorded, tasks taken but not started go back to
the queue. The main process serves the worker's metrics and probes (``metrics_server``);
``spinetriage worker --probe`` asks them (``probe``)."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
from pathlib import Path

from celery.apps.worker import Worker

from spinetriage.commands import Command
from spinetriage.config import Settings, SettingsError
from spinetriage.health import probe_client
from spinetriage.logs import configure_logging, get_logger
from spinetriage.metrics import WorkerMetrics
from spinetriage.task_names import TRIAGE_QUEUE
from workers.worker.app import create_celery_app
from workers.worker.heart import Heart, heart_step
from workers.worker.metrics_server import enable_multiprocess, start_metrics_server
from workers.worker.probe import probe

log = get_logger(__name__)


def run(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level, settings.log_format)
    if getattr(args, "probe", False):
        return probe(settings)
    if settings.redis_url is None:
        raise SettingsError(
            "SPINETRIAGE_REDIS_URL: not set; `spinetriage up` starts an embedded Redis for you"
        )
    folder = enable_multiprocess()  # before any metric exists
    try:
        return _serve(settings, settings.redis_url, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _serve(settings: Settings, redis_url: str, metrics_folder: Path) -> int:
    """Consume until a shutdown; metrics and probes are served meanwhile."""
    metrics = WorkerMetrics(registry=None)  # kept in the folder's files, see metrics_server
    hostname = f"spinetriage-worker@{socket.gethostname()}-{os.getpid()}"
    redis = probe_client(redis_url)
    heart = Heart(redis, hostname, metrics.heartbeat)
    worker = build_worker(settings, hostname, metrics, heart)
    server = start_metrics_server(settings, metrics_folder, redis, heart)
    log.info(
        "worker_starting",
        hostname=worker.hostname,
        concurrency=worker.concurrency,
        queue=TRIAGE_QUEUE,
        spool=str(settings.spool_path),
        metrics=f"{settings.metrics_bind}:{server.server_address[1]}",
    )
    try:
        worker.start()  # returns after a warm or cold shutdown
    finally:
        server.shutdown()
        redis.close()
    log.info("worker_stopped", hostname=worker.hostname)
    return int(worker.exitcode or 0)


def build_worker(settings: Settings, hostname: str, metrics: WorkerMetrics, heart: Heart) -> Worker:
    """A prefork worker on the triage queue whose consumer beats ``heart``; its hostname names
    this machine and process, so that several workers on one machine stay apart."""
    app = create_celery_app(settings, metrics=metrics)
    app.steps["consumer"].add(heart_step(heart))
    worker: Worker = app.Worker(
        hostname=hostname,
        queues=[TRIAGE_QUEUE],
        concurrency=settings.worker_concurrency or os.cpu_count() or 1,
        pool="prefork",
        loglevel=settings.log_level.upper(),
        quiet=True,  # no banner: the log is JSON events (or readable lines on a TTY)
        without_mingle=True,
        without_gossip=True,
        without_heartbeat=True,
        optimization="fair",
    )
    return worker


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--probe",
        action="store_true",
        help="ask the worker on this machine whether it is ready (exit 0) or not (exit 1, "
        "with the reason), for a Kubernetes exec probe",
    )


COMMAND = Command(
    help="run an analysis worker (Celery, queue triage)", run=run, configure=_arguments
)
