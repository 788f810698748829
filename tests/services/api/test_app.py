"""The app as clients discover it: the published schema and the page's files."""

from __future__ import annotations

from tests.fixtures_api import ApiProcess

ROUTES = {
    "/api/v1/worklist": {"get"},
    "/api/v1/studies/{study_instance_uid}": {"get"},
    "/api/v1/studies/{study_instance_uid}/key-images/{finding_index}": {"get"},
    "/api/v1/studies/{study_instance_uid}/claim": {"post"},
    "/api/v1/studies/{study_instance_uid}/release": {"post"},
    "/api/v1/studies/{study_instance_uid}/read": {"post"},
    "/api/v1/studies/{study_instance_uid}/dismiss": {"post"},
    "/api/v1/events": {"get"},
    "/healthz": {"get"},
    "/readyz": {"get"},
    "/metrics": {"get"},
}


def test_the_schema_lists_every_route_with_its_models(api: ApiProcess) -> None:
    """`/openapi.json` documents each versioned route and probe, the item model, the bearer
    scheme, and the error bodies clients get."""
    schema = api.get("/openapi.json", authorized=False).json()
    assert {path: set(methods) for path, methods in schema["paths"].items()} == ROUTES
    models = schema["components"]["schemas"]
    assert {"WorklistItem", "WorklistPage", "StudyDetail", "Finding", "Problem"} <= set(models)
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    claim = schema["paths"]["/api/v1/studies/{study_instance_uid}/claim"]["post"]
    assert {"200", "401", "404", "409", "422"} <= set(claim["responses"])
    events = schema["paths"]["/api/v1/events"]["get"]["responses"]["200"]["content"]
    assert "text/event-stream" in events


def test_the_page_and_its_files_are_served_locally(api: ApiProcess) -> None:
    """`/` is the worklist page; its script and style come from this server, not a CDN, and
    the interactive docs (which would load a CDN) are off."""
    page = api.get("/", authorized=False)
    assert page.headers["content-type"].startswith("text/html")
    html = page.body.decode()
    assert "/static/worklist.js" in html
    assert "/static/worklist.css" in html
    assert "http" not in html.replace("http-equiv", "")
    for name in ("worklist.js", "api.js", "events.js", "render.js", "worklist.css"):
        assert api.get(f"/static/{name}", authorized=False).status == 200
    assert api.get("/docs", authorized=False).status == 404
