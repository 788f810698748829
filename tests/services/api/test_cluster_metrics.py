"""The cluster-wide metrics the API reads from Redis at scrape time: the collector against a
real Redis with worklist states written by the real index and store, and the API process
serving them."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, generate_latest
from redis import Redis

from services.api.cluster_metrics import ClusterCollector
from services.listener.dispatch import CeleryPublisher
from spinetriage import __version__, heartbeat, keys
from spinetriage.health import probe_client
from spinetriage.metrics import WORKLIST_PRIORITIES, WORKLIST_STATUSES
from spinetriage.study_index import ReadyStudy
from spinetriage.task_names import TRIAGE_QUEUE
from tests.fixtures_api import ApiProcess
from tests.services.api.seeding import Seeder, epidural, paraspinal
from tests.support import free_port, metric

NOW = 2_000_000_000.0  # the collector's clock in these tests


def scrape(redis: Redis, now: float = NOW) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(ClusterCollector(redis, clock=lambda: now))
    return registry


def studies(registry: CollectorRegistry) -> dict[tuple[str, str], float | None]:
    return {
        (priority, status): registry.get_sample_value(
            "spinetriage_worklist_studies", {"priority": priority, "status": status}
        )
        for priority in WORKLIST_PRIORITIES
        for status in WORKLIST_STATUSES
    }


def test_worklist_studies_count_every_priority_and_status(redis: Redis, seed: Seeder) -> None:
    """Each study counts once under the place it holds on the worklist and its status, a
    dismissed flag counting as routine; every other combination is a zero."""
    seed.receiving("1.1", 1)
    seed.queued("1.2", 2)
    seed.failed("1.3", 3, "analysis failed (KeyError)")
    seed.analysed("1.4", 4)
    seed.analysed("1.5", 5, paraspinal())
    seed.analysed("1.6", 6, epidural("1c"))
    seed.analysed("1.7", 7, epidural("2"))
    seed.analysed("1.8", 8, epidural("3"))
    seed.store.dismiss("1.8", "Dr Adams", "disc bulge")
    version = seed.queued("1.9", 9)
    assert seed.store.begin_analysis("1.9", version) == "analyse"
    expected = {combination: 0.0 for combination in studies(scrape(redis))}
    expected |= {
        ("routine", "receiving"): 1.0,
        ("routine", "queued"): 1.0,
        ("routine", "analyzing"): 1.0,
        ("routine", "failed"): 1.0,
        ("routine", "done"): 2.0,
        ("elevated", "done"): 1.0,
        ("urgent", "done"): 1.0,
        ("critical", "done"): 1.0,
    }
    assert studies(scrape(redis)) == expected


def test_the_oldest_unread_critical_study_gives_the_age(redis: Redis, seed: Seeder) -> None:
    """The age is the time since the oldest critical study that is neither read nor dismissed
    arrived, and 0 when there is none."""
    assert scrape(redis).get_sample_value("spinetriage_oldest_unread_critical_age_seconds") == 0
    seed.analysed("1.1", 40, epidural("3"))
    seed.analysed("1.2", 30, epidural("2"))
    seed.analysed("1.3", 20, epidural("2"))
    seed.analysed("1.4", 10, epidural("2"))
    seed.analysed("1.5", 50, epidural("1c"))
    seed.store.mark_read("1.1", "Dr Adams")
    seed.store.dismiss("1.2", "Dr Adams", "flow artefact")
    arrived = float(redis.hget(keys.study("1.3"), "first_received_at") or 0)
    age = scrape(redis).get_sample_value("spinetriage_oldest_unread_critical_age_seconds")
    assert age == NOW - arrived


def test_queue_length_is_the_broker_queue(redis: Redis, redis_url: str) -> None:
    """The queue length is the number of analysis tasks waiting on the broker's list."""
    publisher = CeleryPublisher(redis_url)
    try:
        for version in (1, 2, 3):
            publisher.send_analysis(ReadyStudy("1.2.3", version, "quiet_period"))
    finally:
        publisher.close()
    length = scrape(redis).get_sample_value("spinetriage_queue_length", {"queue": TRIAGE_QUEUE})
    assert length == redis.llen(TRIAGE_QUEUE) == 3


def test_workers_seen_counts_fresh_heartbeats_only(redis: Redis) -> None:
    """A worker counts while its last beat is within the window; one beat earlier, or one that
    forgot its heartbeat on stopping, does not."""
    heartbeat.beat(redis, "spinetriage-worker@a-1", NOW - 1)
    heartbeat.beat(redis, "spinetriage-worker@b-2", NOW - heartbeat.WINDOW_S)
    heartbeat.beat(redis, "spinetriage-worker@c-3", NOW - heartbeat.WINDOW_S - 1)
    heartbeat.beat(redis, "spinetriage-worker@d-4", NOW)
    heartbeat.forget(redis, "spinetriage-worker@d-4")
    assert scrape(redis).get_sample_value("spinetriage_workers_seen") == 2


def test_without_redis_the_cluster_metrics_are_left_out() -> None:
    """With nothing at the Redis URL a scrape still succeeds, without the cluster's families."""
    client = probe_client(f"redis://127.0.0.1:{free_port()}/0")
    try:
        assert b"spinetriage_" not in generate_latest(scrape(client))
    finally:
        client.close()


def test_the_api_serves_them_beside_its_own(api: ApiProcess, seed: Seeder, redis: Redis) -> None:
    """The API process's `/metrics` carries the cluster metrics, read at the moment of the
    scrape, and the build."""
    seed.analysed("1.1", 5, epidural("2"))
    heartbeat.beat(redis, "spinetriage-worker@a-1", time.time())
    url = f"{api.base_url}/metrics"
    assert metric(url, "spinetriage_worklist_studies", priority="critical", status="done") == 1
    assert metric(url, "spinetriage_workers_seen") == 1
    assert metric(url, "spinetriage_oldest_unread_critical_age_seconds") >= 5 * 60
    assert metric(url, "spinetriage_build_info", version=__version__) == 1
