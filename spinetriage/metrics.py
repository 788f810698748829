"""Metric definitions. Each process builds its own registry, so tests read exact values.

Label values come from the small fixed sets below and are all created at start-up, so a
dashboard sees zeros rather than gaps. Every process also serves ``spinetriage_build_info``."""

from __future__ import annotations

import platform
from collections.abc import Iterable, Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from spinetriage import __version__
from spinetriage.study_index import COMPLETION_TRIGGERS
from spinetriage.triage import PRIORITY_ORDER
from spinetriage.worklist_item import OUTCOMES, STATUSES


class BuildInfo(Collector):
    """``spinetriage_build_info{version,python_version} 1``: which release a process runs."""

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "spinetriage_build_info",
            "The running release and Python version; always 1.",
            labels=["version", "python_version"],
        )
        info.add_metric([__version__, platform.python_version()], 1)
        yield info


class SpoolStats(Protocol):
    def free_bytes(self) -> int: ...
    def capacity_bytes(self) -> int: ...


ASSOCIATION_OUTCOMES = ("accepted", "rejected")
INSTANCE_OUTCOMES = (
    "stored",
    "replaced",
    "out_of_resources",
    "cannot_understand",
    "index_unavailable",
)
STORE_SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# A study arrives over seconds to minutes, and completes a quiet period after its last instance.
RECEIVE_SECONDS_BUCKETS = (1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


class ListenerMetrics:
    def __init__(self, registry: CollectorRegistry, spool: SpoolStats) -> None:
        self.registry = registry
        registry.register(BuildInfo())
        self.associations = Counter(
            "spinetriage_dicom_associations",
            "DICOM associations requested, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.instances = Counter(
            "spinetriage_dicom_instances",
            "C-STORE requests answered, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.received_bytes = Counter(
            "spinetriage_dicom_received_bytes",
            "Bytes of instances durably stored in the spool.",
            registry=registry,
        )
        self.store_duration = Histogram(
            "spinetriage_dicom_store_duration_seconds",
            "Time from a complete C-STORE request to its answer (parse, fsync, rename).",
            buckets=STORE_SECONDS_BUCKETS,
            registry=registry,
        )
        self.studies_completed = Counter(
            "spinetriage_studies_completed",
            "Study versions found complete and sent for analysis, by what completed them.",
            ["trigger"],
            registry=registry,
        )
        self.dispatch_failures = Counter(
            "spinetriage_completion_dispatch_failures",
            "Attempts to send an analysis task that failed and will be retried.",
            registry=registry,
        )
        self.receive_duration = Histogram(
            "spinetriage_study_receive_duration_seconds",
            "From a study's first instance to its completion (observed when it is claimed).",
            buckets=RECEIVE_SECONDS_BUCKETS,
            registry=registry,
        )
        self._spool_gauges(registry, spool)
        self.index_backlog = Gauge(
            "spinetriage_study_index_backlog",
            "Stored instances and ended associations waiting to be written to the study index.",
            registry=registry,
        )
        for outcome in ASSOCIATION_OUTCOMES:
            self.associations.labels(outcome)
        for outcome in INSTANCE_OUTCOMES:
            self.instances.labels(outcome)
        for trigger in (*COMPLETION_TRIGGERS, "redelivered"):
            self.studies_completed.labels(trigger)

    def _spool_gauges(self, registry: CollectorRegistry, spool: SpoolStats) -> None:
        free = Gauge(
            "spinetriage_spool_free_bytes",
            "Free bytes on the spool's file system.",
            registry=registry,
        )
        free.set_function(spool.free_bytes)
        capacity = Gauge(
            "spinetriage_spool_capacity_bytes",
            "Size of the spool's file system in bytes.",
            registry=registry,
        )
        capacity.set_function(spool.capacity_bytes)
        self.spool_used_bytes = Gauge(
            "spinetriage_spool_used_bytes",
            "Bytes of the files in the spool folder, as last added up (once a minute by default).",
            registry=registry,
        )


# The worklist API. Routes are the app's route templates, never a path with a study UID in it.
API_STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
API_OTHER_ROUTE = "other"
API_ACTIONS = ("claim", "release", "read", "dismiss")


class ApiMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        registry.register(BuildInfo())
        self.routes: frozenset[str] = frozenset()
        self.requests = Counter(
            "spinetriage_api_requests",
            "HTTP requests answered, by route template and status class.",
            ["route", "status_class"],
            registry=registry,
        )
        self.event_streams = Gauge(
            "spinetriage_api_event_streams",
            "Server-sent event streams open now.",
            registry=registry,
        )
        self.events_relayed = Counter(
            "spinetriage_api_events_relayed",
            "Worklist change events written to event streams (one per stream).",
            registry=registry,
        )
        self.actions = Counter(
            "spinetriage_api_actions",
            "Radiologists' actions done, by action; dismissals measure precision in the field.",
            ["action"],
            registry=registry,
        )
        for action in API_ACTIONS:
            self.actions.labels(action)
        self.declare_routes(())

    def declare_routes(self, routes: Iterable[str]) -> None:
        """The app's route templates, known once its routes are built; any other path counts
        as ``other``."""
        self.routes = self.routes | set(routes) | {API_OTHER_ROUTE}
        for route in self.routes:
            for status_class in API_STATUS_CLASSES:
                self.requests.labels(route, status_class)

    def request_done(self, route: str, status: int) -> str:
        """Count one answered request; returns the route label, ``other`` for an unknown
        route."""
        label = route if route in self.routes else API_OTHER_ROUTE
        self.requests.labels(label, f"{min(max(status // 100, 2), 5)}xx").inc()
        return label


# The analysis workers. One delivery of the task ends as the analysis's outcome, skipped (the
# version is stale or recorded already), rescheduled (another worker holds the study) or
# retried (Redis or the disk failed); a task that gave up counts as failed.
TASK_OUTCOMES = (*OUTCOMES, "skipped", "rescheduled", "retried")
RETRY_REASONS = ("redis", "disk")
TASK_SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 30.0, 60.0, 90.0)
WAIT_SECONDS_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0)
# Suited to the objective: a critical study on the worklist within 5 s of its last instance.
WORKLIST_SECONDS_BUCKETS = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0)


class WorkerMetrics:
    """The worker's metrics. In ``spinetriage worker`` they are unregistered (``registry``
    None): prometheus-client's multiprocess mode keeps each process's values in files, which
    the main process adds up when scraped. Tests of the app pass a registry instead."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.registry = registry
        self.tasks = Counter(
            "spinetriage_tasks",
            "Deliveries of the analysis task, by how they ended.",
            ["outcome"],
            registry=registry,
        )
        self.task_duration = Histogram(
            "spinetriage_task_duration_seconds",
            "Wall time of one delivery that analysed its study, by the analysis's outcome.",
            ["outcome"],
            buckets=TASK_SECONDS_BUCKETS,
            registry=registry,
        )
        self.retries = Counter(
            "spinetriage_task_retries",
            "Deliveries retried later because Redis or the disk failed, by which.",
            ["reason"],
            registry=registry,
        )
        self.analysis_wait = Histogram(
            "spinetriage_analysis_wait_seconds",
            "From a study's completion to its analysis recorded on the worklist.",
            buckets=WAIT_SECONDS_BUCKETS,
            registry=registry,
        )
        self.time_to_worklist = Histogram(
            "spinetriage_time_to_worklist_seconds",
            "From a study's last instance received to its result on the worklist, by priority.",
            ["priority"],
            buckets=WORKLIST_SECONDS_BUCKETS,
            registry=registry,
        )
        self.heartbeat = Gauge(
            "spinetriage_worker_heartbeat_timestamp_seconds",
            "When the worker's consumer last ran its heartbeat (epoch seconds).",
            registry=registry,
            multiprocess_mode="mostrecent",  # only the main process sets it
        )
        self._create_labels()

    def _create_labels(self) -> None:
        for outcome in TASK_OUTCOMES:
            self.tasks.labels(outcome)
        for status in OUTCOMES:
            self.task_duration.labels(status)
        for reason in RETRY_REASONS:
            self.retries.labels(reason)
        for priority in PRIORITY_ORDER:
            self.time_to_worklist.labels(priority)


# Cluster-wide state, read from Redis when the API is scraped (services/api/cluster_metrics.py).
QUEUE_LENGTH = "spinetriage_queue_length"
QUEUE_LENGTH_HELP = "Analysis tasks waiting in the broker's queue (not yet taken by a worker)."
WORKLIST_STUDIES = "spinetriage_worklist_studies"
WORKLIST_STUDIES_HELP = "Studies on the worklist by priority (their place in it) and status."
WORKLIST_PRIORITIES = PRIORITY_ORDER
WORKLIST_STATUSES = STATUSES
OLDEST_UNREAD_CRITICAL = "spinetriage_oldest_unread_critical_age_seconds"
OLDEST_UNREAD_CRITICAL_HELP = (
    "Seconds since the oldest critical study neither read nor dismissed arrived; 0 when none."
)
WORKERS_SEEN = "spinetriage_workers_seen"
WORKERS_SEEN_HELP = "Workers whose consumer sent a heartbeat within the heartbeat window."
