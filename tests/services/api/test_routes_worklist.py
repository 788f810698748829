"""Reading the worklist over HTTP: display order, filters, one study, key images."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.fixtures_api import ApiProcess, Reply
from tests.services.api.seeding import Seeder, epidural, paraspinal


def uids(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [item["study_instance_uid"] for item in reply.json()["items"]]


def test_the_worklist_is_most_urgent_first_then_oldest_first(api: ApiProcess, seed: Seeder) -> None:
    """Critical before urgent before elevated before routine; within a priority the oldest
    study comes first."""
    seed.analysed("1.1", 50)
    seed.analysed("1.2", 40, epidural("1c"))
    seed.analysed("1.3", 10, epidural("2"))
    seed.analysed("1.4", 30, epidural("3"))
    seed.analysed("1.5", 20, paraspinal())
    items = api.get("/api/v1/worklist").json()["items"]
    assert [(item["study_instance_uid"], item["priority"]) for item in items] == [
        ("1.4", "critical"),
        ("1.3", "critical"),
        ("1.2", "urgent"),
        ("1.5", "elevated"),
        ("1.1", "routine"),
    ]


def test_an_item_carries_the_contract_fields_and_the_finding_in_words(
    api: ApiProcess, seed: Seeder
) -> None:
    """An analysed study shows its patient, study, status, priority, compression flag, and each
    finding with its levels, grade and a sentence a radiologist reads."""
    seed.analysed("1.1", 12, epidural("2"), patient="Roe^Richard")
    (item,) = api.get("/api/v1/worklist").json()["items"]
    assert (item["patient_name"], item["accession_number"], item["modality"]) == (
        "Roe, Richard",
        "ACC-1.1",
        "MR",
    )
    assert (item["status"], item["priority"], item["suspected_compression"]) == (
        "done",
        "critical",
        True,
    )
    (finding,) = item["findings"]
    assert (finding["from_level"], finding["to_level"], finding["bilsky_grade"]) == (
        "C5",
        "T2",
        "2",
    )
    assert item["summary"] == ["Epidural mass C5\u2013T2, Bilsky 2, canal 60% compromised"]
    assert item["received_at"] < item["analyzed_at"]


def test_a_study_that_failed_keeps_its_place_and_says_why(api: ApiProcess, seed: Seeder) -> None:
    """A study the worker could not analyse stays on the list as routine, failed, with the
    reason."""
    seed.failed("1.1", 5, "no sagittal or axial series to read")
    (item,) = api.get("/api/v1/worklist").json()["items"]
    assert (item["status"], item["priority"], item["reason"]) == (
        "failed",
        "routine",
        "no sagittal or axial series to read",
    )


def test_status_and_priority_filter_and_repeat(api: ApiProcess, seed: Seeder) -> None:
    """`status` and `priority` each filter the list, may repeat, combine, and keep the order;
    `limit` cuts it."""
    seed.receiving("2.1", 5)
    seed.queued("2.2", 6)
    seed.failed("2.3", 7, "unreadable")
    seed.analysed("2.4", 8, epidural("2"))
    seed.analysed("2.5", 9, epidural("1b"))
    assert uids(api.get("/api/v1/worklist?status=receiving&status=failed")) == ["2.3", "2.1"]
    assert uids(api.get("/api/v1/worklist?priority=critical&priority=urgent")) == ["2.4", "2.5"]
    assert uids(api.get("/api/v1/worklist?status=done&priority=urgent")) == ["2.5"]
    assert uids(api.get("/api/v1/worklist?status=queued")) == ["2.2"]
    assert uids(api.get("/api/v1/worklist?limit=2")) == ["2.4", "2.5"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=finished", "query.status"),
        ("priority=high", "query.priority"),
        ("status=done&priority=urgent&priority=whenever", "query.priority"),
        ("limit=0", "query.limit"),
        ("limit=lots", "query.limit"),
    ],
)
def test_an_unknown_filter_value_is_refused_with_a_message(
    api: ApiProcess, query: str, named: str
) -> None:
    """A filter value outside the known ones is a 422 whose message names the parameter and
    what it accepts."""
    reply = api.get(f"/api/v1/worklist?{query}")
    assert reply.status == 422
    assert reply.json()["detail"].startswith(named)
    assert reply.json()["errors"]


def test_one_study_with_its_findings(api: ApiProcess, seed: Seeder) -> None:
    """A study is served by its UID with its findings and an empty list of dismissals."""
    seed.analysed("1.2.840.1", 3, epidural("1c"), paraspinal())
    reply = api.get("/api/v1/studies/1.2.840.1")
    assert reply.status == 200
    study = reply.json()
    assert [f["type"] for f in study["findings"]] == ["epidural_mass", "paraspinal_mass"]
    assert study["dismissals"] == []


def test_an_unknown_study_is_404_with_a_message(api: ApiProcess, seed: Seeder) -> None:
    """A UID that is not on the worklist answers 404 with a detail message."""
    reply = api.get("/api/v1/studies/9.9.9")
    assert reply.status == 404
    assert "no study" in reply.json()["detail"]


def test_a_key_image_is_served_as_png(api: ApiProcess, seed: Seeder) -> None:
    """A finding's key image is the stored PNG, served as image/png."""
    seed.analysed("1.1", 3, epidural("2"), paraspinal())
    reply = api.get("/api/v1/studies/1.1/key-images/1")
    assert reply.status == 200
    assert reply.headers["content-type"] == "image/png"
    assert reply.body == seed.store.key_image("1.1", 1)
    with Image.open(io.BytesIO(reply.body)) as image:
        assert image.format == "PNG"


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/v1/studies/1.1/key-images/5", 404, "no key image for finding 5"),
        ("/api/v1/studies/7.7/key-images/0", 404, "no study"),
        ("/api/v1/studies/1.1/key-images/-1", 422, "path.finding_index"),
        ("/api/v1/studies/1.1/key-images/first", 422, "path.finding_index"),
    ],
)
def test_a_missing_key_image_is_refused_with_a_message(
    api: ApiProcess, seed: Seeder, path: str, status: int, words: str
) -> None:
    """No image for that finding, an unknown study, or a bad index each get a JSON message."""
    seed.analysed("1.1", 3, epidural("2"))
    reply = api.get(path)
    assert reply.status == status
    assert words in reply.json()["detail"]
