"""Metric definitions. Each process builds its own registry, so tests read exact values.

Label values come from the small fixed sets below and are all created at start-up, so a
dashboard sees zeros rather than gaps."""

from __future__ import annotations

from collections.abc import Callable

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
