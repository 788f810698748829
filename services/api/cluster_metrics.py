"""Metrics of the whole service, read from Redis each time the API is scraped: the broker's
queue, the worklist by priority and status, the oldest critical study nobody has read, and the
workers seen.

They describe the cluster, not this process, so every API replica reports the same numbers and
one scrape target is enough (with several replicas, aggregate with ``max``, never ``sum``).

A scrape reads every study on the worklist (one pipelined ``HMGET`` each) and counts the fresh
heartbeats: cheap for the thousands of studies a site keeps, and done once per scrape rather
than on every write. When Redis does not answer, these families are left out of that
scrape and the rest of the API's metrics are served as usual."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import cast

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError

from spinetriage import heartbeat, keys, metrics
from spinetriage.logs import get_logger
from spinetriage.task_names import TRIAGE_QUEUE
from spinetriage.triage import Priority, order_score

log = get_logger(__name__)

_STUDY_FIELDS = ("status", "read_at", "dismissed_at", "first_received_at")


@dataclass
class ClusterState:
    queue_length: int = 0
    # (priority, status) -> studies; every combination, zeros included.
    studies: dict[tuple[str, str], int] = field(
        default_factory=lambda: {
            (priority, status): 0
            for priority in metrics.WORKLIST_PRIORITIES
            for status in metrics.WORKLIST_STATUSES
        }
    )
    oldest_unread_critical_s: float = 0.0
    workers_seen: int = 0


def read_cluster(redis: Redis, now: float) -> ClusterState:
    """The cluster's state at ``now`` (epoch seconds)."""
    scored = cast(list[tuple[bytes, float]], redis.zrange(keys.WORKLIST, 0, -1, withscores=True))
    pipe = redis.pipeline(transaction=False)
    pipe.llen(TRIAGE_QUEUE)
    for uid, _score in scored:
        pipe.hmget(keys.study(uid.decode()), _STUDY_FIELDS)
    queue_length, *replies = pipe.execute()
    state = ClusterState(queue_length=int(queue_length))
    for (_uid, score), values in zip(scored, replies, strict=True):
        _count(state, priority_at(score), dict(zip(_STUDY_FIELDS, values, strict=True)), now)
    state.workers_seen = heartbeat.workers_seen(redis, now)
    return state


def priority_at(score: float) -> Priority:
    """The priority of a worklist place: the band ``triage.order_score`` puts it in (a study
    whose flag was dismissed sits with the routine ones)."""
    for priority in reversed(metrics.WORKLIST_PRIORITIES):
        if score >= order_score(priority, 0.0):
            return priority
    return metrics.WORKLIST_PRIORITIES[0]


def _count(
    state: ClusterState, priority: Priority, study: dict[str, bytes | None], now: float
) -> None:
    status = (study["status"] or b"").decode()
    if (priority, status) not in state.studies:
        return  # the study's hash is gone, or holds a status this version does not know
    state.studies[priority, status] += 1
    if priority == "critical" and not study["read_at"] and not study["dismissed_at"]:
        arrived = float(study["first_received_at"] or now)
        state.oldest_unread_critical_s = max(state.oldest_unread_critical_s, now - arrived)


class ClusterCollector(Collector):
    """Registered in the API's registry: ``collect`` runs on every scrape of ``/metrics``."""

    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        try:
            state = read_cluster(self._redis, self._clock())
        except (RedisError, OSError) as exc:
            log.warning("cluster_metrics_unavailable", error=type(exc).__name__)
            return
        yield from families(state)


def families(state: ClusterState) -> Iterator[Metric]:
    queue = GaugeMetricFamily(metrics.QUEUE_LENGTH, metrics.QUEUE_LENGTH_HELP, labels=["queue"])
    queue.add_metric([TRIAGE_QUEUE], state.queue_length)
    yield queue
    studies = GaugeMetricFamily(
        metrics.WORKLIST_STUDIES, metrics.WORKLIST_STUDIES_HELP, labels=["priority", "status"]
    )
    for (priority, status), count in state.studies.items():
        studies.add_metric([priority, status], count)
    yield studies
    yield GaugeMetricFamily(
        metrics.OLDEST_UNREAD_CRITICAL,
        metrics.OLDEST_UNREAD_CRITICAL_HELP,
        value=state.oldest_unread_critical_s,
    )
    yield GaugeMetricFamily(
        metrics.WORKERS_SEEN, metrics.WORKERS_SEEN_HELP, value=state.workers_seen
    )
