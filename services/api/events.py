"""``GET /api/v1/events``: the worklist's changes as server-sent events.

A stream subscribes to the store's event channel, then says ``hello``; a client that re-reads the
worklist on ``hello`` misses nothing. Each change is relayed as ``event: change`` with the
channel's JSON (study UID and what changed, never patient data); a comment keeps idle proxies
from closing the stream. The stream ends when the client goes, when Redis does (the client
reconnects) and when the server stops."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator
from typing import Any

import anyio
from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from services.api.errors import UNAUTHORIZED, UNAVAILABLE, problem
from spinetriage import keys
from spinetriage.logs import get_logger
from spinetriage.metrics import ApiMetrics

log = get_logger(__name__)

KEEPALIVE_S = 15.0
# Each stream holds a Redis connection; a reading room needs a few dozen at most.
MAX_STREAMS = 200
# How often a quiet stream checks whether the server is stopping.
POLL_S = 1.0
HELLO = b'event: hello\ndata: {"channel": "worklist"}\n\n'
KEEPALIVE = b": keepalive\n\n"


def frame(event: str, data: str) -> bytes:
    """One event in the wire format; each line of ``data`` gets its own ``data:`` field."""
    fields = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {event}\n{fields}\n".encode()


class EventStreams:
    """Streams of worklist changes, one Redis subscription each."""

    def __init__(
        self,
        redis: AsyncRedis,
        metrics: ApiMetrics,
        stopping: threading.Event,
        keepalive_s: float = KEEPALIVE_S,
    ) -> None:
        self._redis = redis
        self._metrics = metrics
        self._stopping = stopping
        self._keepalive_s = keepalive_s
        self._open = 0

    @property
    def full(self) -> bool:
        return self._open >= MAX_STREAMS

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """Hello once subscribed, then the changes, with keepalive comments when quiet."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._open += 1
        self._metrics.event_streams.inc()
        try:
            await pubsub.subscribe(keys.EVENTS)
            yield HELLO
            async for chunk in self._relay(pubsub):
                yield chunk
        except RedisError as exc:
            log.warning("event_stream_redis_lost", error=type(exc).__name__)
        finally:
            self._open -= 1
            self._metrics.event_streams.dec()
            # The client may be gone and this task cancelled; closing must still happen.
            with anyio.CancelScope(shield=True):
                await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py

    async def _relay(self, pubsub: PubSub) -> AsyncGenerator[bytes, None]:
        last_sent = time.monotonic()
        while not self._stopping.is_set():
            message = await pubsub.get_message(timeout=POLL_S)
            if message is not None and message["type"] == "message":
                self._metrics.events_relayed.inc()
                yield frame("change", _text(message["data"]))
                last_sent = time.monotonic()
            elif time.monotonic() - last_sent >= self._keepalive_s:
                yield KEEPALIVE
                last_sent = time.monotonic()


class EventStreamResponse(StreamingResponse):
    """A stream of server-sent events, written by ``EventStreams``."""

    media_type = "text/event-stream"


def events_router(streams: EventStreams, dependencies: list[Any]) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["events"], dependencies=dependencies)

    @router.get(
        "/events",
        response_class=EventStreamResponse,
        responses={
            200: {
                "description": "`event: hello` once subscribed, then `event: change` with "
                '`data: {"study_instance_uid": ..., "change": ...}` per worklist change, and '
                "a `: keepalive` comment every 15 s when quiet.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            **UNAUTHORIZED,
            **UNAVAILABLE,
        },
    )
    async def events() -> Response:
        """Live worklist changes as server-sent events; re-read the worklist on each."""
        if streams.full:
            return problem(503, "too many open event streams; try again later")
        # Proxies such as nginx would otherwise hold the events back in a buffer.
        return EventStreamResponse(streams.stream(), headers={"X-Accel-Buffering": "no"})

    return router


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
