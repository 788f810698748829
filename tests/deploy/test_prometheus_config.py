"""deploy/prometheus and deploy/grafana: promtool accepts the configuration and the rules, the
rules' unit tests pass and cover every alert both ways, and the rules and the dashboard query only
metrics the service serves, with a runbook in docs/operations.md for every alert."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pipeline.prometheus import (
    ALERT_RULES,
    METRICS,
    PROMETHEUS_DIR,
    REPO,
    dashboard,
    dashboard_exprs,
    family_name,
    panels,
    prometheus_tool,
)

CONFIG = PROMETHEUS_DIR / "prometheus.yml"
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
OPERATIONS_GUIDE = REPO / "docs" / "operations.md"
DASHBOARD_UID = "spinetriage-overview"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
CORE_PANEL_TYPES = {"row", "stat", "timeseries", "heatmap"}
SEVERITIES = {"critical", "warning"}
PROMTOOL_TIMEOUT_S = 120

METRIC_NAME = re.compile(r"spinetriage_[a-z_]+")
# level:metric:operation; the word boundary keeps a subquery's [5m:1m] out.
RECORDED_NAME = re.compile(r"\b[a-z_]+(?::[a-z0-9_]+)+")
RULE_START = re.compile(r"^\s*- (alert|record): (\S+)\s*$", re.MULTILINE)
# An expression ends at the rule's next key, the next list item or a comment.
RULE_EXPR = re.compile(r"^\s*expr: (.*?)(?=^\s*(?:[a-z_]+:\s|- |#)|\Z)", re.MULTILINE | re.DOTALL)
UNIT_TEST_CASE = re.compile(r"alertname: (\w+)\s*\n\s*exp_alerts:(.*)$", re.MULTILINE)
HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Rule:
    kind: str  # alert or record
    name: str
    body: str  # the rule's YAML after its first line

    @property
    def expr(self) -> str:
        match = RULE_EXPR.search(self.body)
        assert match, f"rule {self.name} has no expr"
        return match[1]

    def field(self, key: str) -> str | None:
        """A one-line field's value (``severity``, ``runbook``), None when absent."""
        match = re.search(rf"^\s*{key}: (.+)$", self.body, re.MULTILINE)
        return match[1].strip() if match else None


def rules() -> list[Rule]:
    """The rules of alerts.yml, read as text: alerts.yml is written one field a line."""
    text = ALERT_RULES.read_text()
    starts = list(RULE_START.finditer(text))
    ends = [match.start() for match in starts[1:]] + [len(text)]
    return [Rule(m[1], m[2], text[m.end() : end]) for m, end in zip(starts, ends, strict=True)]


def alerts() -> list[Rule]:
    return [rule for rule in rules() if rule.kind == "alert"]


def recorded_names() -> set[str]:
    return {rule.name for rule in rules() if rule.kind == "record"}


def unknown_names(exprs: list[str]) -> dict[str, set[str]]:
    """Per expression, the metric names it uses that the service does not serve and the
    recorded names that alerts.yml does not record."""
    recorded = recorded_names()
    unknown = {}
    for expr in exprs:
        names = {family_name(name) for name in METRIC_NAME.findall(expr)} - METRICS
        names |= set(RECORDED_NAME.findall(expr)) - recorded
        if names:
            unknown[expr] = names
    return unknown


def slug(heading: str) -> str:
    """A Markdown heading's anchor, as GitHub makes it."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [prometheus_tool("promtool"), *args],
        capture_output=True,
        text=True,
        timeout=PROMTOOL_TIMEOUT_S,
        cwd=REPO,
        check=False,
    )


def assert_promtool_passes(*args: str) -> None:
    result = promtool(*args)
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"


def test_promtool_accepts_the_prometheus_configuration() -> None:
    """promtool checks prometheus.yml, with the rule files it names, and finds it valid."""
    assert_promtool_passes("check", "config", str(CONFIG))


def test_promtool_accepts_the_rules() -> None:
    """promtool checks alerts.yml and finds every rule valid."""
    assert_promtool_passes("check", "rules", str(ALERT_RULES))


def test_the_rules_pass_their_unit_tests() -> None:
    """Every promtool unit test of the rules passes: alerts fire, and stay quiet, where the
    tests say."""
    assert RULE_TESTS
    assert_promtool_passes("test", "rules", *map(str, RULE_TESTS))


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    """Each alert is expected to fire in at least one unit test and to stay quiet in
    another."""
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for name, rest in UNIT_TEST_CASE.findall(path.read_text()):
            (quiet if rest.strip() == "[]" else firing).add(name)
    names = {rule.name for rule in alerts()}
    assert (names - firing, names - quiet) == (set(), set())


def test_every_alert_has_a_severity_summary_and_description() -> None:
    """Each alert carries a severity label that routing knows, and says what happened."""
    incomplete = [
        rule.name
        for rule in alerts()
        if rule.field("severity") not in SEVERITIES
        or not re.search(r"^\s*summary:", rule.body, re.MULTILINE)
        or not re.search(r"^\s*description:", rule.body, re.MULTILINE)
    ]
    assert incomplete == []


def test_every_alert_has_a_runbook_in_the_operators_guide() -> None:
    """Each alert's runbook annotation points to a section of docs/operations.md that
    exists."""
    anchors = {slug(heading) for heading in HEADING.findall(OPERATIONS_GUIDE.read_text())}
    runbooks = {rule.name: rule.field("runbook") for rule in alerts()}
    broken = {
        name: runbook
        for name, runbook in runbooks.items()
        if runbook is None
        or not runbook.startswith("docs/operations.md#")
        or runbook.partition("#")[2] not in anchors
    }
    assert broken == {}


def test_the_rules_use_only_metrics_the_service_serves() -> None:
    """Every metric name in the rules' expressions is one the service serves, and every
    recorded name they use is recorded."""
    assert unknown_names([rule.expr for rule in rules()]) == {}


def test_the_dashboard_is_provisionable_without_plugins() -> None:
    """The dashboard is JSON with its fixed uid, a Prometheus data source variable that every
    panel and query uses, unique panel ids and only Grafana's own panel types."""
    board = dashboard()
    variables = {var["name"]: var for var in board["templating"]["list"]}
    all_panels = list(panels(board))
    ids = [panel["id"] for panel in all_panels]
    assert board["uid"] == DASHBOARD_UID
    assert (variables["datasource"]["type"], variables["datasource"]["query"]) == (
        "datasource",
        "prometheus",
    )
    assert {panel["type"] for panel in all_panels} <= CORE_PANEL_TYPES
    assert len(ids) == len(set(ids))
    queried = [panel for panel in all_panels if panel["type"] != "row"]
    assert all(panel["datasource"] == DATASOURCE for panel in queried)
    assert all(t["datasource"] == DATASOURCE for panel in queried for t in panel["targets"])
    assert all(panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24 for panel in all_panels)


def test_the_dashboard_queries_only_metrics_the_service_serves() -> None:
    """Every metric name in the dashboard's queries is one the service serves, and every
    recorded name it uses is recorded by alerts.yml."""
    exprs = dashboard_exprs(dashboard())
    assert exprs
    assert unknown_names(exprs) == {}


def test_the_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Every dashboard query parses as PromQL (promtool checks them as recording rules, with
    Grafana's $__rate_interval replaced by a duration)."""
    exprs = dashboard_exprs(dashboard(), rate_interval="5m")
    records = [{"record": f"dashboard:query:{n}", "expr": expr} for n, expr in enumerate(exprs)]
    rules_file = tmp_path / "dashboard-queries.yml"
    rules_file.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": records}]}))
    assert_promtool_passes("check", "rules", str(rules_file))


def test_the_dashboard_draws_the_objective() -> None:
    """A time series panel draws the recorded p95 of last image to worklist with a threshold
    line at the 5 s objective."""
    drawn = [
        panel
        for panel in panels(dashboard())
        if panel["type"] == "timeseries"
        and any(
            "job:spinetriage_time_to_worklist_seconds:p95_15m" in target["expr"]
            for target in panel["targets"]
        )
    ]
    lines = {
        (step["value"], panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"])
        for panel in drawn
        for step in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    }
    assert (5, "line") in lines


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_the_operators_guide_explains_every_metric(metric: str) -> None:
    """docs/operations.md has a line for each metric the service serves."""
    assert re.search(rf"`{metric}[`{{]", OPERATIONS_GUIDE.read_text())
