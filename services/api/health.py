"""Probes and metrics: ``/healthz`` (the process answers), ``/readyz`` (Redis answers; whether a
worker is consuming is reported too), ``/metrics`` (Prometheus text from this process's own
registry, which includes the cluster-wide metrics read from Redis at scrape time)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from services.api.schemas import Health, Readiness
from spinetriage import heartbeat
from spinetriage.metrics import ApiMetrics

PING_TIMEOUT_S = 2.0
Check = Literal["redis", "workers"]


def health_router(
    redis: AsyncRedis, metrics: ApiMetrics, workers_seen: Callable[[], int]
) -> APIRouter:
    """``workers_seen`` counts the workers with a fresh heartbeat (it blocks: run in a
    thread)."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """The process is alive and serving."""
        return Health()

    @router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
    async def readyz() -> JSONResponse:
        """Ready when Redis answers PING; 503 naming Redis otherwise. Without a worker
        heartbeat in the window the API is still ready, "degraded" and naming the workers:
        taking the API out of service would hide the worklist, the studies already analysed
        included, when the workers are what failed (their alert pages the operator)."""
        problem = await _redis_problem(redis)
        failed: tuple[Check, str] | None = (
            ("redis", problem) if problem else await _workers_problem(workers_seen)
        )
        if failed is None:
            return JSONResponse(Readiness(status="ready").model_dump())
        check, reason = failed
        degraded = check == "workers"
        body = Readiness(
            status="degraded" if degraded else "unavailable",
            detail=f"{check}: {reason}",
            failed=[check],
        )
        return JSONResponse(body.model_dump(), status_code=200 if degraded else 503)

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    def prometheus() -> Response:
        """This process's metrics in the Prometheus text format."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def _redis_problem(redis: AsyncRedis) -> str:
    """Why Redis is not usable, or "" when it answers."""
    try:
        async with asyncio.timeout(PING_TIMEOUT_S):
            await redis.ping()
    except TimeoutError:
        return f"Redis did not answer PING within {PING_TIMEOUT_S:.0f} s"
    except (RedisError, OSError) as exc:
        return f"Redis did not answer PING ({type(exc).__name__})"
    return ""


async def _workers_problem(workers_seen: Callable[[], int]) -> tuple[Check, str] | None:
    """The failed check and why, or None when a worker was seen."""
    try:
        seen = await asyncio.to_thread(workers_seen)
    except (RedisError, OSError) as exc:
        return "redis", f"Redis did not answer ({type(exc).__name__})"
    if seen:
        return None
    return "workers", f"no worker heartbeat within {heartbeat.WINDOW_S:.0f} s"
