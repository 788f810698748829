"""The listener process: ``spinetriage listener``."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
import threading
from dataclasses import dataclass
from types import FrameType
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry
from redis import Redis

from services.listener.ae import configure_pynetdicom, start_server
from services.listener.completion import CompletionLoop
from services.listener.dispatch import CeleryPublisher
from services.listener.handlers import ListenerHandlers
from services.listener.index_writer import IndexWriter
from services.listener.recovery import recover_unindexed
from services.listener.spool import Spool
from services.listener.spool_usage import start_measuring
from spinetriage.commands import Command
from spinetriage.config import Settings, SettingsError
from spinetriage.health import Check, probe_client, redis_problem, spool_problem
from spinetriage.logs import configure_logging, get_logger
from spinetriage.metrics import ListenerMetrics
from spinetriage.ops_server import start_ops_server
from spinetriage.redis_client import connect
from spinetriage.study_index import StudyIndex

log = get_logger(__name__)

INDEX_DRAIN_TIMEOUT_S = 5.0


def serve(settings: Settings, replica: int = 0) -> None:
    """Run one listener until SIGTERM or SIGINT."""
    if settings.redis_url is None:
        raise SettingsError(
            "SPINETRIAGE_REDIS_URL: not set; `spinetriage up` starts an embedded Redis for you"
        )
    stop = threading.Event()
    _stop_on_signals(stop)
    spool = Spool(
        settings.spool_path, settings.spool_min_free_bytes, f"{socket.gethostname()}-{os.getpid()}"
    )
    spool.prepare()
    redis = connect(settings.redis_url)
    index = StudyIndex(redis, settings.completion_quiet_s, settings.completion_grace_s)
    metrics = ListenerMetrics(CollectorRegistry(), spool)
    dicom = _DicomServing()
    ops, probe_redis = _start_ops(settings, replica, metrics, spool, dicom)
    configure_pynetdicom(spool)
    writer = IndexWriter(index)
    writer.start()
    metrics.index_backlog.set_function(lambda: writer.backlog)
    server, dicom.thread = start_server(settings, ListenerHandlers(spool, writer, metrics))
    publisher = CeleryPublisher(settings.redis_url)
    completion = _start_background(
        settings,
        spool=spool,
        index=index,
        publisher=publisher,
        metrics=metrics,
        stop=stop,
        replica=replica,
    )
    log.info(
        "listener_started",
        ae_title=settings.dicom_ae_title,
        dicom=f"{settings.dicom_bind}:{server.server_address[1]}",
        tls=settings.tls_enabled,
        metrics=f"{settings.metrics_bind}:{ops.server_address[1]}",
        spool=str(spool.root),
        replica=replica,
    )
    stop.wait()
    log.info("listener_stopping", replica=replica)
    server.shutdown()  # closes open associations; their grace periods are recorded
    writer.close(timeout_s=INDEX_DRAIN_TIMEOUT_S)
    completion.join()
    publisher.close()
    ops.shutdown()
    spool.close()
    probe_redis.close()
    redis.close()


@dataclass
class _DicomServing:
    """The thread that serves DICOM, once started: the readiness check looks at it."""

    thread: threading.Thread | None = None

    def problem(self) -> str:
        if self.thread is None:
            return "the DICOM server has not started yet"
        return "" if self.thread.is_alive() else "the DICOM server is not running"


def _start_ops(
    settings: Settings, replica: int, metrics: ListenerMetrics, spool: Spool, dicom: _DicomServing
) -> tuple[WSGIServer, Redis]:
    """/metrics, /healthz and /readyz on the metrics port (plus the replica's number); ready
    while Redis answers, the spool takes a file and the DICOM server runs. Returns the server
    and the probes' Redis client, both to close at the end."""
    assert settings.redis_url is not None
    redis = probe_client(settings.redis_url)
    checks: dict[str, Check] = {
        "redis": lambda: redis_problem(redis),
        "spool": lambda: spool_problem(spool.root),
        "dicom": dicom.problem,
    }
    port = settings.listener_metrics_port + replica if settings.listener_metrics_port else 0
    return start_ops_server(settings.metrics_bind, port, metrics.registry, checks), redis


def _start_background(
    settings: Settings,
    *,
    spool: Spool,
    index: StudyIndex,
    publisher: CeleryPublisher,
    metrics: ListenerMetrics,
    stop: threading.Event,
    replica: int,
) -> threading.Thread:
    """The completion loop until `stop`, the start-up recovery scan and the spool's size
    measured now and then; returns the loop."""
    start_measuring(spool.root, metrics.spool_used_bytes, settings.spool_usage_interval_s, stop)
    loop = CompletionLoop(
        index,
        publisher,
        metrics,
        poll_s=settings.completion_poll_s,
        lease_s=settings.completion_dispatch_lease_s,
    )
    completion = threading.Thread(target=loop.run_until, args=(stop,), name="completion")
    completion.start()
    # Only the first replica scans; the others would find the same instances.
    if replica == 0:
        threading.Thread(
            target=recover_unindexed, args=(spool, index), name="recovery", daemon=True
        ).start()
    return completion


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def run(_args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level, settings.log_format)
    if settings.listener_processes == 1:
        serve(settings)
        return 0
    return _serve_replicas(settings)


def _serve_replicas(settings: Settings) -> int:
    """Several processes on one port: the kernel spreads associations across them; each serves
    its metrics on the metrics port plus its replica number."""
    context = multiprocessing.get_context("spawn")
    replicas = [
        context.Process(target=_replica_main, args=(settings, i), name=f"listener-{i}")
        for i in range(settings.listener_processes)
    ]
    for process in replicas:
        process.start()
    stop = threading.Event()
    _stop_on_signals(stop)
    while not stop.wait(0.5):
        if any(not process.is_alive() for process in replicas):
            log.error("listener_replica_exited")
            break
    for process in replicas:
        process.terminate()
    for process in replicas:
        process.join()
    return 0 if stop.is_set() else 1


def _replica_main(settings: Settings, replica: int) -> None:
    configure_logging(settings.log_level, settings.log_format)
    serve(settings, replica)


COMMAND = Command(help="run the DICOM listener (Verification and Storage SCP)", run=run)
