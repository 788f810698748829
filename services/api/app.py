"""``create_app``: the worklist API and the page, built from one Settings and one store."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from starlette.routing import Mount, Route

from services.api.auth import TokenCheck, action_access, api_token, listing_access
from services.api.cluster_metrics import ClusterCollector
from services.api.errors import install_error_handlers
from services.api.events import EventStreams, events_router
from services.api.health import PING_TIMEOUT_S, health_router
from services.api.middleware import RequestMetrics, SecurityHeaders
from services.api.routes_actions import actions_router
from services.api.routes_worklist import key_image_router, worklist_router
from spinetriage import __version__
from spinetriage.config import Settings
from spinetriage.health import probe_client
from spinetriage.heartbeat import workers_seen
from spinetriage.logs import get_logger
from spinetriage.metrics import ApiMetrics
from spinetriage.worklist import WorklistStore

log = get_logger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"
DESCRIPTION = (
    "The spine triage worklist: studies in reading order (suspected cord compression first), "
    "their findings, and the radiologists' actions on them. Send `Authorization: Bearer <token>`."
)


def create_app(
    settings: Settings,
    store: WorklistStore,
    redis_url: str,
    stopping: threading.Event | None = None,
) -> FastAPI:
    """The app; ``stopping``, once set, ends the open event streams so the server can stop."""
    check = TokenCheck(api_token(settings))
    metrics = ApiMetrics(CollectorRegistry())
    # Event streams and the readiness probe wait on Redis, so they get an asyncio client.
    events_redis = AsyncRedis.from_url(
        redis_url, socket_connect_timeout=PING_TIMEOUT_S, health_check_interval=30
    )
    # Scrapes and the heartbeat count run in threads: a client with a probe's short timeouts.
    cluster_redis = probe_client(redis_url)
    metrics.registry.register(ClusterCollector(cluster_redis))
    app = FastAPI(
        title="spinetriage worklist",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # the interactive docs load scripts from a CDN
        redoc_url=None,
        lifespan=_closing(events_redis, cluster_redis),
    )
    streams = EventStreams(events_redis, metrics, stopping or threading.Event())
    reading = listing_access(settings, check)
    app.include_router(worklist_router(store, reading))
    app.include_router(key_image_router(store, reading))
    app.include_router(actions_router(store, metrics, action_access(check)))
    app.include_router(events_router(streams, reading))
    app.include_router(
        health_router(events_redis, metrics, lambda: workers_seen(cluster_redis, time.time()))
    )
    _add_page(app)
    install_error_handlers(app)
    metrics.declare_routes(_route_templates(app))
    app.add_middleware(RequestMetrics, metrics=metrics, mounts=(STATIC_PATH,))
    app.add_middleware(SecurityHeaders)
    return app


def _closing(
    client: AsyncRedis, sync_client: Redis
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that closes the clients when the app stops."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()
        sync_client.close()
        log.info("api_stopped")

    return lifespan


def _add_page(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")


def _route_templates(app: FastAPI) -> list[str]:
    """Every route's template: the schema's paths, and the app's own routes (page, static
    files, schema) that the schema leaves out."""
    own = [route.path for route in app.routes if isinstance(route, Route | Mount)]
    return [*app.openapi()["paths"], *own]
