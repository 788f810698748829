"""Probes and metrics: ``/healthz`` (the process answers), ``/readyz`` (Redis answers too),
``/metrics`` (Prometheus text from this process's own registry)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from services.api.schemas import Health, Readiness
from spinetriage.metrics import ApiMetrics

PING_TIMEOUT_S = 2.0


def health_router(redis: AsyncRedis, metrics: ApiMetrics) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """The process is alive and serving."""
        return Health()

    @router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
    async def readyz() -> JSONResponse:
        """Ready when Redis answers PING; 503 with the reason otherwise."""
        reason = await _redis_problem(redis)
        if reason:
            body = Readiness(status="unavailable", detail=reason)
            return JSONResponse(body.model_dump(), status_code=503)
        return JSONResponse(Readiness(status="ready").model_dump())

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
