"""The radiologists' actions over HTTP: claim, release, mark read, dismiss a flag."""

from __future__ import annotations

import json
from contextlib import closing
from typing import Any

import pytest

from tests.fixtures_api import ApiProcess
from tests.services.api.seeding import Seeder, epidural

STUDY = "/api/v1/studies/1.1"


def test_claim_then_release_round_trip(api: ApiProcess, seed: Seeder) -> None:
    """A claim names the radiologist (trimmed) on the item; releasing it clears the name."""
    seed.analysed("1.1", 5, epidural("2"))
    claimed = api.post(f"{STUDY}/claim", {"user": "  Dr Adams  "})
    assert claimed.status == 200
    assert claimed.json()["claimed_by"] == "Dr Adams"
    assert api.get(STUDY).json()["claimed_by"] == "Dr Adams"
    released = api.post(f"{STUDY}/release", {"user": "Dr Adams"})
    assert (released.status, released.json()["claimed_by"]) == (200, None)


@pytest.mark.parametrize("action", ["claim", "release", "read"])
def test_a_study_another_radiologist_holds_is_409_naming_them(
    api: ApiProcess, seed: Seeder, action: str
) -> None:
    """Claiming, releasing or reading a study someone else claimed is refused with a message
    that says who holds it, and changes nothing."""
    seed.analysed("1.1", 5, epidural("2"))
    assert api.post(f"{STUDY}/claim", {"user": "Dr Adams"}).status == 200
    reply = api.post(f"{STUDY}/{action}", {"user": "Dr Baker"})
    assert reply.status == 409
    assert reply.json()["detail"] == "the study is claimed by Dr Adams"
    assert api.get(STUDY).json()["claimed_by"] == "Dr Adams"


def test_marking_read_ends_the_claim(api: ApiProcess, seed: Seeder) -> None:
    """Reading a study records who read it and releases their claim."""
    seed.analysed("1.1", 5, epidural("2"))
    api.post(f"{STUDY}/claim", {"user": "Dr Adams"})
    item = api.post(f"{STUDY}/read", {"user": "Dr Adams"}).json()
    assert (item["read_by"], item["claimed_by"]) == ("Dr Adams", None)
    assert item["read_at"] is not None


def test_a_dismissal_is_kept_and_drops_the_study_to_routine(api: ApiProcess, seed: Seeder) -> None:
    """Dismissing a flag with a reason moves the study behind routine studies that arrived
    earlier, and the study keeps the dismissal with the findings and priority it dismissed."""
    seed.analysed("1.0", 60)
    seed.analysed("1.1", 5, epidural("2"))
    reason = "disc extrusion, not a mass\nchecked with the axial T2"
    reply = api.post(f"{STUDY}/dismiss", {"user": "Dr Adams", "reason": reason})
    assert reply.status == 200
    assert reply.json()["dismissal"]["reason"] == reason
    order = [item["study_instance_uid"] for item in api.get("/api/v1/worklist").json()["items"]]
    assert order == ["1.0", "1.1"]
    (kept,) = api.get(STUDY).json()["dismissals"]
    assert (kept["by"], kept["reason"], kept["priority"]) == ("Dr Adams", reason, "critical")
    assert kept["findings"][0]["bilsky_grade"] == "2"


def test_a_study_without_findings_has_nothing_to_dismiss(api: ApiProcess, seed: Seeder) -> None:
    """Dismissing the flag of a study with no finding is a 409 with a message."""
    seed.analysed("1.1", 5)
    reply = api.post(f"{STUDY}/dismiss", {"user": "Dr Adams", "reason": "no"})
    assert reply.status == 409
    assert "no finding" in reply.json()["detail"]


@pytest.mark.parametrize("action", ["claim", "release", "read", "dismiss"])
def test_an_action_on_an_unknown_study_is_404(api: ApiProcess, seed: Seeder, action: str) -> None:
    """Every action on a UID that is not on the worklist answers 404 with a message."""
    body = {"user": "Dr Adams", **({"reason": "r"} if action == "dismiss" else {})}
    reply = api.post(f"/api/v1/studies/4.4/{action}", body)
    assert reply.status == 404
    assert "no study" in reply.json()["detail"]


@pytest.mark.parametrize(
    ("action", "body", "named"),
    [
        ("claim", {}, "body.user"),
        ("claim", {"user": "   "}, "body.user"),
        ("claim", {"user": "x" * 65}, "body.user"),
        ("claim", {"user": "Dr\nAdams"}, "body.user"),
        ("claim", {"user": 7}, "body.user"),
        ("claim", {"user": "Dr Adams", "role": "admin"}, "body.role"),
        ("read", ["Dr Adams"], "body"),
        ("dismiss", {"user": "Dr Adams"}, "body.reason"),
        ("dismiss", {"user": "Dr Adams", "reason": " "}, "body.reason"),
        ("dismiss", {"user": "Dr Adams", "reason": "r" * 501}, "body.reason"),
    ],
)
def test_bad_action_input_is_422_with_a_message(
    api: ApiProcess, seed: Seeder, action: str, body: Any, named: str
) -> None:
    """A missing, empty, too long or unexpected field is refused with a message naming it."""
    seed.analysed("1.1", 5, epidural("2"))
    reply = api.post(f"{STUDY}/{action}", body)
    assert reply.status == 422
    assert reply.json()["detail"].startswith(named)
    assert api.get(STUDY).json()["claimed_by"] is None


def test_a_body_that_is_not_json_is_422(api: ApiProcess, seed: Seeder) -> None:
    """A body that does not parse is refused with a message, not a server error."""
    seed.analysed("1.1", 5, epidural("2"))
    headers = {**api.auth(), "Content-Type": "application/json"}
    with closing(api.connection()) as connection:
        connection.request("POST", f"{STUDY}/claim", body=b'{"user": "Dr', headers=headers)
        response = connection.getresponse()
        status, body = response.status, json.loads(response.read())
    assert status == 422
    assert body["detail"].startswith("body")
