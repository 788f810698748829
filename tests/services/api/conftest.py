"""The API under test runs as its own process against a real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from tests.fixtures_api import ApiProcess, launch_api
from tests.services.api.seeding import Seeder


@pytest.fixture(scope="module")
def api(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiProcess]:
    """One API process for a module's tests: it keeps no state of its own, and each test starts
    from a flushed Redis (``seed`` or ``redis``)."""
    process = launch_api(redis_url, tmp_path_factory.mktemp("api"))
    yield process
    process.stop()


@pytest.fixture
def seed(redis: Redis) -> Seeder:
    return Seeder(redis)
