"""`GET /api/v1/events`: worklist changes as server-sent events, read off a real socket."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis as AsyncRedis

from services.api.events import HELLO, KEEPALIVE, EventStreams, frame
from spinetriage.metrics import ApiMetrics
from tests.fixtures_api import ApiProcess
from tests.services.api.seeding import Seeder, epidural
from tests.support import metric, wait_for

EVENT_WITHIN_S = 10.0


class EventReader:
    """Events as they come off the response: (event type, data); a comment has type ""."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self._response = response
        self._buffer = b""

    def next(self) -> tuple[str, str]:
        deadline = time.monotonic() + EVENT_WITHIN_S
        while b"\n\n" not in self._buffer:
            assert time.monotonic() < deadline, "no event in time"
            chunk = self._response.read1(4096)  # the socket's timeout bounds each wait
            assert chunk, "the stream ended"
            self._buffer += chunk
        block, self._buffer = self._buffer.split(b"\n\n", 1)
        fields = [line.partition(": ") for line in block.decode().splitlines()]
        kind = next((value for name, _, value in fields if name == "event"), "")
        return kind, "\n".join(value for name, _, value in fields if name == "data")

    def next_change(self) -> dict[str, str]:
        while True:
            kind, data = self.next()
            if kind == "change":
                return dict(json.loads(data))


@contextmanager
def events(api: ApiProcess) -> Iterator[EventReader]:
    with closing(api.connection(timeout_s=EVENT_WITHIN_S)) as connection:
        connection.request("GET", "/api/v1/events", headers=api.auth())
        response = connection.getresponse()
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


def test_a_store_write_reaches_the_stream_as_a_change_event(api: ApiProcess, seed: Seeder) -> None:
    """After `hello`, each change the store publishes arrives as `event: change` with the study
    UID and what changed, and nothing else."""
    seed.analysed("1.1", 5, epidural("2"))
    with events(api) as stream:
        assert stream.next() == ("hello", '{"channel": "worklist"}')
        seed.store.claim("1.1", "Dr Adams")
        assert stream.next_change() == {"study_instance_uid": "1.1", "change": "claimed"}
        seed.queued("1.2", 1)
        assert stream.next_change() == {"study_instance_uid": "1.2", "change": "receiving"}
        assert stream.next_change() == {"study_instance_uid": "1.2", "change": "queued"}


def test_an_action_over_http_is_an_event_for_every_open_stream(
    api: ApiProcess, seed: Seeder
) -> None:
    """Two open pages both hear of a claim made through the API."""
    seed.analysed("1.1", 5, epidural("2"))
    with events(api) as first, events(api) as second:
        assert first.next()[0] == second.next()[0] == "hello"
        assert api.post("/api/v1/studies/1.1/claim", {"user": "Dr Adams"}).status == 200
        expected = {"study_instance_uid": "1.1", "change": "claimed"}
        assert first.next_change() == second.next_change() == expected


def test_a_stream_ends_when_its_client_goes(api: ApiProcess, seed: Seeder) -> None:
    """The open-streams gauge counts a connected client and drops back once it disconnects."""
    streams = f"{api.base_url}/metrics"
    with events(api) as stream:
        assert stream.next()[0] == "hello"
        wait_for(lambda: metric(streams, "spinetriage_api_event_streams") == 1)
    wait_for(lambda: metric(streams, "spinetriage_api_event_streams") == 0)


async def _first_chunks(redis_url: str, count: int, stopping: threading.Event) -> list[bytes]:
    client = AsyncRedis.from_url(redis_url)
    streams = EventStreams(client, ApiMetrics(CollectorRegistry()), stopping, keepalive_s=0.1)
    stream = streams.stream()
    try:
        chunks = []
        async for chunk in stream:
            chunks.append(chunk)
            if len(chunks) == count:
                break
        return chunks
    finally:
        await stream.aclose()
        await client.aclose()


def test_a_quiet_stream_sends_keepalive_comments(redis_url: str) -> None:
    """With no change to relay, the stream says hello and then keeps the connection alive with
    a comment line."""
    chunks = asyncio.run(_first_chunks(redis_url, 2, threading.Event()))
    assert chunks == [HELLO, KEEPALIVE]
    assert KEEPALIVE == b": keepalive\n\n"


def test_a_stopping_server_ends_its_streams(redis_url: str) -> None:
    """Once the server is stopping, an open stream ends by itself after its hello."""
    stopping = threading.Event()
    stopping.set()
    assert asyncio.run(_first_chunks(redis_url, 5, stopping)) == [HELLO]


def test_a_multi_line_payload_becomes_one_data_field_per_line() -> None:
    """An event's data is never cut short by a line break inside it."""
    assert frame("change", '{"a": 1}') == b'event: change\ndata: {"a": 1}\n\n'
    assert frame("change", "one\ntwo") == b"event: change\ndata: one\ndata: two\n\n"
