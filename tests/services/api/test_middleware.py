"""What every request leaves behind: a count by route template, headers, and log lines that
carry no patient data."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.fixtures_api import ApiProcess
from tests.services.api.seeding import Seeder, epidural
from tests.support import metric, wait_for

REQUESTS = "spinetriage_api_requests_total"


def test_requests_are_counted_by_route_template_and_status_class(
    start_api: Callable[..., ApiProcess], seed: Seeder
) -> None:
    """`/metrics` counts each answer under its route template, never a study UID, with every
    route's series present from start-up; actions are counted by kind."""
    api = start_api()
    seed.analysed("1.2.840.99", 5, epidural("2"))
    api.get("/api/v1/worklist")
    api.get("/api/v1/worklist")
    api.get("/api/v1/worklist", authorized=False)
    api.get("/api/v1/studies/1.2.840.99")
    api.get("/api/v1/studies/7.7.7")
    api.post("/api/v1/studies/1.2.840.99/claim", {"user": "Dr Adams"})
    api.get("/no/such/page", authorized=False)
    url = f"{api.base_url}/metrics"
    study = "/api/v1/studies/{study_instance_uid}"
    assert metric(url, REQUESTS, route="/api/v1/worklist", status_class="2xx") == 2
    assert metric(url, REQUESTS, route="/api/v1/worklist", status_class="4xx") == 1
    assert metric(url, REQUESTS, route=study, status_class="2xx") == 1
    assert metric(url, REQUESTS, route=study, status_class="4xx") == 1
    assert metric(url, REQUESTS, route=f"{study}/claim", status_class="2xx") == 1
    assert metric(url, REQUESTS, route="other", status_class="4xx") == 1
    assert metric(url, "spinetriage_api_actions_total", action="claim") == 1
    assert metric(url, "spinetriage_api_actions_total", action="dismiss") == 0
    assert metric(url, "spinetriage_api_event_streams") == 0
    text = api.get("/metrics").body.decode()
    assert f'route="{study}/dismiss",status_class="5xx"' in text
    assert "1.2.840.99" not in text
    assert "7.7.7" not in text


def test_answers_carry_security_headers_and_api_answers_are_not_cached(
    api: ApiProcess, seed: Seeder
) -> None:
    """Every answer forbids framing and sniffing and the page allows only its own scripts; an
    API answer (patient data) is marked no-store."""
    page = api.get("/", authorized=False)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert api.get("/api/v1/worklist").headers["cache-control"] == "no-store"
    assert api.get("/api/v1/studies/none").headers["cache-control"] == "no-store"


def test_no_log_line_carries_patient_data(api: ApiProcess, seed: Seeder) -> None:
    """Reading, claiming, reading and dismissing a study, bad requests included, log nothing
    of the patient's name, ID or accession number, even at debug level."""
    seed.analysed("1.1", 5, epidural("2"), patient="Zebedee^Quentin")
    api.get("/api/v1/worklist?status=done")
    api.get("/api/v1/studies/1.1")
    api.post("/api/v1/studies/1.1/claim", {"user": "Dr Adams"})
    api.post("/api/v1/studies/1.1/read", {"user": "Dr Adams"})
    api.post("/api/v1/studies/1.1/dismiss", {"user": "Dr Adams", "reason": "disc"})
    api.post("/api/v1/studies/1.1/claim", {"user": ""})
    wait_for(lambda: '"action": "dismiss"' in api.log_text())
    lines = [json.loads(line) for line in api.log_text().splitlines() if line.startswith("{")]
    assert any(line["event"] == "worklist_action" for line in lines)
    text = api.log_text()
    for secret in ("Zebedee", "Quentin", "PID-1.1", "ACC-1.1"):
        assert secret not in text
