"""Write base/prometheus-rules.yaml: deploy/prometheus/alerts.yml's groups as a PrometheusRule.

Run it after changing alerts.yml: `python deploy/k8s/make_prometheus_rules.py`. Multi-line
expressions are written as literal blocks: alerts.yml's folded ones with more-indented lines
are read with an extra line break by kustomize's YAML library, and the same by every other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ALERTS = HERE.parent / "prometheus" / "alerts.yml"
TARGET = HERE / "base" / "prometheus-rules.yaml"
HEADER = """\
# Generated from deploy/prometheus/alerts.yml by deploy/k8s/make_prometheus_rules.py: change
# alerts.yml and run it again (tests/deploy/test_kubernetes.py fails while they differ). The
# release label is the usual kube-prometheus-stack rule selector: change it to your Prometheus's.
"""


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    pass


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def prometheus_rule(alerts_text: str) -> str:
    """The PrometheusRule manifest holding the groups of this alerts.yml text."""
    rule: dict[str, Any] = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "spinetriage",
            "labels": {"app.kubernetes.io/name": "spinetriage", "release": "prometheus"},
        },
        "spec": {"groups": yaml.safe_load(alerts_text)["groups"]},
    }
    body: str = yaml.dump(rule, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
    return HEADER + body


if __name__ == "__main__":
    TARGET.write_text(prometheus_rule(ALERTS.read_text()))
