"""A real Prometheus server, from Debian's ``prometheus`` package, that scrapes the test's own
processes and evaluates the rules in deploy/prometheus; the package's tools (``prometheus``,
``promtool``); and the metric names the rules and the dashboard may rely on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import POLL_TIMEOUT_S, free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
ALERT_RULES = PROMETHEUS_DIR / "alerts.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "spinetriage.json"
SCRAPE_INTERVAL = "1s"
QUERY_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 30.0

# Every metric the service serves, as the rules and the dashboard may name it (histograms
# without their _bucket, _sum and _count series).
METRICS = frozenset(
    {
        "spinetriage_build_info",
        # the DICOM listener
        "spinetriage_dicom_associations_total",
        "spinetriage_dicom_instances_total",
        "spinetriage_dicom_received_bytes_total",
        "spinetriage_dicom_store_duration_seconds",
        "spinetriage_studies_completed_total",
        "spinetriage_completion_dispatch_failures_total",
        "spinetriage_spool_free_bytes",
        "spinetriage_spool_capacity_bytes",
        "spinetriage_spool_used_bytes",
        "spinetriage_study_index_backlog",
        "spinetriage_study_receive_duration_seconds",
        # the workers
        "spinetriage_tasks_total",
        "spinetriage_task_duration_seconds",
        "spinetriage_task_retries_total",
        "spinetriage_analysis_wait_seconds",
        "spinetriage_time_to_worklist_seconds",
        "spinetriage_worker_heartbeat_timestamp_seconds",
        # the worklist API, and the cluster-wide gauges it reads from Redis
        "spinetriage_api_requests_total",
        "spinetriage_api_event_streams",
        "spinetriage_api_events_relayed_total",
        "spinetriage_api_actions_total",
        "spinetriage_queue_length",
        "spinetriage_worklist_studies",
        "spinetriage_oldest_unread_critical_age_seconds",
        "spinetriage_workers_seen",
    }
)
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def family_name(series_name: str) -> str:
    """The metric a series belongs to: a histogram's ``_bucket``, ``_sum`` and ``_count``
    series belong to the histogram."""
    for suffix in HISTOGRAM_SUFFIXES:
        if series_name.endswith(suffix):
            return series_name.removesuffix(suffix)
    return series_name


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel of a Grafana dashboard, those inside collapsed rows too."""
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs(board: dict[str, Any], rate_interval: str | None = None) -> list[str]:
    """Every query of the dashboard, its panels' and its annotations'; with ``rate_interval``,
    Grafana's ``$__rate_interval`` replaced by that duration."""
    queries = [target["expr"] for panel in panels(board) for target in panel.get("targets", [])]
    queries += [note["expr"] for note in board["annotations"]["list"] if "expr" in note]
    if rate_interval is None:
        return queries
    return [expr.replace("$__rate_interval", rate_interval) for expr in queries]


def prometheus_tool(name: str) -> str:
    """The path of a tool of Debian's prometheus package (``prometheus``, ``promtool``); the
    test is skipped without it, and fails under CI, which installs it."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed (Debian package prometheus)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return path


class PrometheusQueryError(Exception):
    """Prometheus answered a query with an error; the message is Prometheus's."""


@dataclass(frozen=True)
class Prometheus:
    base_url: str
    log_path: Path

    def api(self, path: str, **params: str) -> Any:
        """The ``data`` of a GET to ``/api/v1/<path>``."""
        url = f"{self.base_url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=QUERY_TIMEOUT_S) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            body = json.load(exc)
        if body.get("status") != "success":
            raise PrometheusQueryError(f"{path} {params}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's samples: each a ``metric`` (labels) and a ``value``."""
        result: list[dict[str, Any]] = self.api("query", query=expr)["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The value of a query that gives one sample, None when it gives none."""
        samples = self.query(expr)
        assert len(samples) <= 1, f"{expr} gives {len(samples)} samples: {samples}"
        return float(samples[0]["value"][1]) if samples else None

    def values(self, exprs: Mapping[str, object]) -> dict[str, float | None]:
        return {expr: self.value(expr) for expr in exprs}

    def settled(
        self, expected: Mapping[str, float], timeout_s: float = POLL_TIMEOUT_S
    ) -> dict[str, float | None]:
        """The queries' values once they all equal ``expected``, or as they stand when a
        bounded wait runs out (so that a failed comparison shows every query at once)."""
        deadline = time.monotonic() + timeout_s
        observed = self.values(expected)
        while observed != expected and time.monotonic() < deadline:
            time.sleep(0.25)
            observed = self.values(expected)
        return observed

    def rules(self) -> list[dict[str, Any]]:
        """Every loaded rule, with its group's name, health and last error."""
        groups = self.api("rules")["groups"]
        return [{**rule, "group": group["name"]} for group in groups for rule in group["rules"]]


def scrape_config(
    jobs: Mapping[str, Sequence[str]], rule_files: Sequence[Path]
) -> dict[str, object]:
    """A configuration that scrapes each job's ``host:port`` targets every second."""
    return {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "scrape_timeout": SCRAPE_INTERVAL,
            "evaluation_interval": SCRAPE_INTERVAL,
        },
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": list(targets)}]}
            for job, targets in jobs.items()
        ],
    }


@contextmanager
def running_prometheus(
    workdir: Path,
    jobs: Mapping[str, Sequence[str]],
    rule_files: Sequence[Path] = (ALERT_RULES,),
) -> Iterator[Prometheus]:
    """Prometheus on a free loopback port, its data in ``workdir``, scraping ``jobs`` (job name
    to ``host:port`` targets) and evaluating ``rule_files``."""
    binary = prometheus_tool("prometheus")
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(json.dumps(scrape_config(jobs, rule_files), indent=2))  # JSON is YAML
    port = free_port()
    server = Prometheus(f"http://127.0.0.1:{port}", workdir / "prometheus.log")
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: _ready(server, process))
        yield server
    finally:
        process.terminate()
        process.wait(timeout=STOP_TIMEOUT_S)


def _ready(server: Prometheus, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, f"Prometheus exited:\n{server.log_path.read_text()}"
    try:
        with urllib.request.urlopen(f"{server.base_url}/-/ready", timeout=QUERY_TIMEOUT_S):
            return True
    except OSError:
        return False
