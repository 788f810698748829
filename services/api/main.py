"""The worklist API process: ``spinetriage api``."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from types import FrameType

import uvicorn

from services.api.app import create_app
from services.api.auth import api_token
from spinetriage.commands import Command
from spinetriage.config import Settings, SettingsError, load_settings
from spinetriage.logs import configure_logging, get_logger
from spinetriage.redis_client import connect
from spinetriage.worklist import WorklistStore

log = get_logger(__name__)

# Open requests get this long to finish once the server is told to stop; event streams end
# within a second of it.
GRACEFUL_STOP_S = 5


class _Server(uvicorn.Server):
    """Uvicorn, which also tells the app's event streams to end when a stop signal comes."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event) -> None:
        super().__init__(config)
        self._stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._stopping.set()
        super().handle_exit(sig, frame)


def serve(settings: Settings) -> None:
    """Serve the worklist API and page until SIGTERM or SIGINT."""
    if settings.redis_url is None:
        raise SettingsError(
            "SPINETRIAGE_REDIS_URL: not set; `spinetriage up` starts an embedded Redis for you"
        )
    api_token(settings)  # refuse before connecting to anything
    redis = connect(settings.redis_url)
    stopping = threading.Event()
    app = create_app(settings, WorklistStore(redis), settings.redis_url, stopping)
    config = uvicorn.Config(
        app,
        host=settings.api_bind,
        port=settings.api_port,
        log_config=None,  # uvicorn's records go through the structlog handler
        access_log=False,  # requests are logged by route template, at debug level
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_STOP_S,
    )
    log.info(
        "api_starting",
        address=f"{settings.api_bind}:{settings.api_port}",
        open_listing=settings.api_open_listing,
    )
    try:
        _Server(config, stopping).run()
    finally:
        redis.close()


def run(_args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level, settings.log_format)
    if settings.log_level != "debug":
        logging.getLogger("uvicorn").setLevel(logging.WARNING)
    serve(settings)
    return 0


def main() -> int:
    """``python -m services.api.main``: the same as ``spinetriage api``."""
    try:
        return run(argparse.Namespace(), load_settings())
    except SettingsError as exc:
        print(f"spinetriage: {exc}", file=sys.stderr)
        return 2


COMMAND = Command(help="serve the worklist API and the radiologists' page", run=run)

if __name__ == "__main__":
    sys.exit(main())
