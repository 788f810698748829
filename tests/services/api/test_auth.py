"""The bearer token: what needs it, what answers without it, and how a refusal reads."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from redis import Redis

from spinetriage import heartbeat
from tests.fixtures_api import ApiProcess
from tests.services.api.seeding import Seeder, epidural

READS = [
    "/api/v1/worklist",
    "/api/v1/studies/1.1",
    "/api/v1/studies/1.1/key-images/0",
    "/api/v1/events",
]
ACTIONS = ["claim", "release", "read", "dismiss"]
OPEN = ["/", "/static/worklist.js", "/healthz", "/readyz", "/metrics", "/openapi.json"]


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer "]
)
def test_reading_without_the_token_is_401(
    api: ApiProcess, seed: Seeder, path: str, authorization: str | None
) -> None:
    """The worklist, a study, a key image and the event stream answer 401 with a Bearer
    challenge and a message when the token is missing or wrong."""
    seed.analysed("1.1", 5, epidural("2"))
    headers = {"Authorization": authorization} if authorization else {}
    reply = api.get(path, authorized=False, headers=headers)
    assert reply.status == 401
    assert reply.headers["www-authenticate"] == "Bearer"
    assert "bearer token" in reply.json()["detail"]


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_without_the_token_is_401_and_changes_nothing(
    api: ApiProcess, seed: Seeder, action: str
) -> None:
    """Claim, release, read and dismiss need the token; without it the study is unchanged."""
    seed.analysed("1.1", 5, epidural("2"))
    body = {"user": "Dr Adams", "reason": "r"} if action == "dismiss" else {"user": "Dr Adams"}
    reply = api.post(f"/api/v1/studies/1.1/{action}", body, authorized=False)
    assert reply.status == 401
    item = api.get("/api/v1/studies/1.1").json()
    assert (item["claimed_by"], item["read_by"], item["dismissal"]) == (None, None, None)


@pytest.mark.parametrize("path", OPEN)
def test_the_page_probes_metrics_and_schema_need_no_token(
    api: ApiProcess, redis: Redis, path: str
) -> None:
    """The page and its files, the health probes, metrics and the schema carry no patient data
    and answer without a token (with a worker seen, so that `/readyz` is ready)."""
    heartbeat.beat(redis, "spinetriage-worker@a-1", time.time())
    assert api.get(path, authorized=False).status == 200


def test_an_open_listing_reads_without_the_token_but_actions_still_need_it(
    start_api: Callable[..., ApiProcess], seed: Seeder
) -> None:
    """With SPINETRIAGE_API_OPEN_LISTING the worklist and studies answer without a token, while
    every action still needs it."""
    api = start_api(api_open_listing=True)
    seed.analysed("1.1", 5, epidural("2"))
    assert api.get("/api/v1/worklist", authorized=False).status == 200
    assert api.get("/api/v1/studies/1.1/key-images/0", authorized=False).status == 200
    claim = api.post("/api/v1/studies/1.1/claim", {"user": "Dr Adams"}, authorized=False)
    assert claim.status == 401
