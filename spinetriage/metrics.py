"""Metric definitions. Each process builds its own registry, so tests read exact values.

Label values come from the small fixed sets below and are all created at start-up, so a
dashboard sees zeros rather than gaps."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from spinetriage.study_index import COMPLETION_TRIGGERS

ASSOCIATION_OUTCOMES = ("accepted", "rejected")
INSTANCE_OUTCOMES = (
    "stored",
    "replaced",
    "out_of_resources",
    "cannot_understand",
    "index_unavailable",
)
STORE_SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ListenerMetrics:
    def __init__(self, registry: CollectorRegistry, spool_free_bytes: Callable[[], float]) -> None:
        self.registry = registry
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
        self.spool_free_bytes = Gauge(
            "spinetriage_spool_free_bytes",
            "Free bytes on the spool's file system.",
            registry=registry,
        )
        self.spool_free_bytes.set_function(spool_free_bytes)
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


# The worklist API. Routes are the app's route templates, never a path with a study UID in it.
API_STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
API_OTHER_ROUTE = "other"
API_ACTIONS = ("claim", "release", "read", "dismiss")


class ApiMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
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
