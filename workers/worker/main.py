"""The worker process: ``spinetriage worker``.

One main process and a pool of analysis processes (one per core unless
``SPINETRIAGE_WORKER_CONCURRENCY`` says otherwise) consuming the ``triage`` queue. SIGTERM is a
warm shutdown: running analyses finish and are recorded, tasks taken but not started go back to
the queue."""

from __future__ import annotations

import argparse
import os
import socket

from celery.apps.worker import Worker

from spinetriage.commands import Command
from spinetriage.config import Settings, SettingsError
from spinetriage.logs import configure_logging, get_logger
from spinetriage.task_names import TRIAGE_QUEUE
from workers.worker.app import create_celery_app

log = get_logger(__name__)


def run(_args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level, settings.log_format)
    if settings.redis_url is None:
        raise SettingsError(
            "SPINETRIAGE_REDIS_URL: not set; `spinetriage up` starts an embedded Redis for you"
        )
    worker = build_worker(settings)
    log.info(
        "worker_starting",
        hostname=worker.hostname,
        concurrency=worker.concurrency,
        queue=TRIAGE_QUEUE,
        spool=str(settings.spool_path),
    )
    worker.start()  # returns after a warm or cold shutdown
    log.info("worker_stopped", hostname=worker.hostname)
    return int(worker.exitcode or 0)


def build_worker(settings: Settings) -> Worker:
    """A prefork worker on the triage queue; its hostname names this machine and process, so
    that several workers on one machine stay apart."""
    app = create_celery_app(settings)
    worker: Worker = app.Worker(
        hostname=f"spinetriage-worker@{socket.gethostname()}-{os.getpid()}",
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


COMMAND = Command(help="run an analysis worker (Celery, queue triage)", run=run)
