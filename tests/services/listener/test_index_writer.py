"""The index writer behind the answers, against a real Redis that forgets scripts and goes away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from services.listener.index_writer import IndexWriter
from spinetriage import keys
from spinetriage.embedded_redis import EmbeddedRedis
from spinetriage.study_index import InstanceRecord, StudyIndex
from tests.support import free_port, wait_for


def record(sop: str, study: str = "1.2.3") -> InstanceRecord:
    return InstanceRecord(
        study_uid=study,
        series_uid=f"{study}.1",
        sop_uid=sop,
        calling_ae="PACS",
        study_fields={"modality": "MR"},
        series_fields={"modality": "MR", "description": "SAG T2"},
    )


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis of this test's own, so the test may stop and restart it."""
    server = EmbeddedRedis(tmp_path / "redis", free_port())
    server.start()
    yield server
    server.stop()


def test_writes_arrive_in_order_and_end_the_association(redis: Redis) -> None:
    """Instances queued by several associations are indexed, and the ended association starts
    the study's grace period after them."""
    index = StudyIndex(redis, quiet_s=60.0, grace_s=1.0)
    writer = IndexWriter(index)
    writer.start()
    for n in range(300):
        writer.instance_stored(record(f"1.2.3.1.{n}"), 100.0, n == 0, n == 0)
    writer.association_ended(["1.2.3"], 101.0)
    writer.close(timeout_s=10.0)

    study = index.study("1.2.3")
    assert study["instances"] == "300"
    assert study["active_associations"] == "0"
    assert study["series"]["1.2.3.1"]["instances"] == 300
    assert redis.zscore(keys.COMPLETION_PENDING, "1.2.3") == pytest.approx(102.0)
    assert writer.backlog == 0


def test_redis_forgetting_its_scripts_loses_nothing(redis: Redis) -> None:
    """After SCRIPT FLUSH (as after a Redis restart) the next batch loads the scripts again."""
    index = StudyIndex(redis, quiet_s=60.0, grace_s=1.0)
    writer = IndexWriter(index)
    writer.start()
    writer.instance_stored(record("1.2.3.1.1"), 100.0, True, True)
    wait_for(lambda: index.study("1.2.3").get("instances") == "1")
    redis.script_flush()
    writer.instance_stored(record("1.2.3.1.2"), 100.5, False, False)
    writer.close(timeout_s=10.0)

    assert index.study("1.2.3")["instances"] == "2"
    assert writer.available


def test_unreachable_redis_makes_the_writer_unavailable_until_it_returns(
    own_redis: EmbeddedRedis,
) -> None:
    """While Redis is down the writer reports itself unavailable and keeps what it holds; once
    Redis is back every queued write lands."""
    client = Redis.from_url(own_redis.url, socket_timeout=1.0)
    index = StudyIndex(client, quiet_s=60.0, grace_s=1.0)
    writer = IndexWriter(index)
    writer.start()
    writer.instance_stored(record("1.2.3.1.1"), 100.0, True, True)
    wait_for(lambda: index.study("1.2.3").get("instances") == "1")

    own_redis.stop()
    writer.instance_stored(record("1.2.3.1.2"), 101.0, False, False)
    wait_for(lambda: not writer.available)
    assert writer.backlog == 0  # the write is held by the retrying thread, not dropped

    own_redis.start()
    wait_for(lambda: writer.available, timeout_s=15.0)
    writer.close(timeout_s=10.0)
    assert index.study("1.2.3")["instances"] == "2"
    client.close()
