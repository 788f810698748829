"""deploy/k8s: the example overlay renders to objects that the Kubernetes 1.30 schemas accept,
with the probes, limits, isolation, scaling and monitoring a deployment needs.

The manifests are rendered by ``render`` below, a minimal kustomize that knows only the subset
deploy/k8s uses: ``resources`` (files and folders), ``namespace``, ``images``, ``replicas``,
``labels`` (metadata only), ``patches`` by path holding whole objects merged the strategic way
(maps merged, ``containers``/``env``/``volumes``/``volumeMounts`` merged by name, every other
list replaced), and ``secretGenerator``/``configMapGenerator`` from env files or literals with
the name hash disabled. Anything else in a kustomization.yaml fails the render rather than be
ignored. Where ``kubectl`` (whose kustomize is the real one) is installed, a test checks that it
renders the overlay to the same objects."""

from __future__ import annotations

import base64
import copy
import importlib.util
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S_DIR = REPO / "deploy" / "k8s"
OVERLAY = Path("overlays") / "example"
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
KUBERNETES_VERSION = "1.30"
RULES_GENERATOR = K8S_DIR / "make_prometheus_rules.py"
RULES_STALE = "base/prometheus-rules.yaml is stale: run python deploy/k8s/make_prometheus_rules.py"
KUBECTL_TIMEOUT_S = 60

Obj = dict[str, Any]

NAMESPACE = "spinetriage"
PACS_CIDR = "10.20.30.0/24"
ROLES = ("listener", "worker", "api")
JOBS = {"spinetriage-listener", "spinetriage-worker", "spinetriage-api"}
IMAGE = "registry.example.org/spinetriage:0.1.0"
PLACEHOLDER = "CHANGE-ME"

KUSTOMIZATION_KEYS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "images",
    "replicas",
    "labels",
    "patches",
    "generatorOptions",
    "secretGenerator",
    "configMapGenerator",
}
NAME_KEYED_LISTS = {"containers", "initContainers", "env", "volumes", "volumeMounts"}
CLUSTER_SCOPED = {"Namespace"}
WORKLOADS = {"Deployment", "StatefulSet"}


# --- the minimal kustomize -------------------------------------------------------------------


def render(folder: Path) -> list[Obj]:
    """The objects a kustomization folder builds (the subset the module docstring names)."""
    spec = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(spec) - KUSTOMIZATION_KEYS
    if unknown:
        raise NotImplementedError(f"{folder}: the test's renderer does not know {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in spec.get("resources", []):
        path = folder / entry
        objects += render(path) if path.is_dir() else load_all(path)
    objects += generated(folder, spec)
    for entry in spec.get("patches", []):
        if set(entry) != {"path"}:
            raise NotImplementedError(f"{folder}: only patches by path: {entry}")
        for patch in load_all(folder / entry["path"]):
            strategic_merge(find(objects, patch["kind"], patch["metadata"]["name"]), patch)
    transform(objects, spec)
    return objects


def load_all(path: Path) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def generated(folder: Path, spec: Obj) -> list[Obj]:
    generators = spec.get("secretGenerator", []) + spec.get("configMapGenerator", [])
    if generators and not spec.get("generatorOptions", {}).get("disableNameSuffixHash"):
        raise NotImplementedError(f"{folder}: the renderer does not compute name hashes")
    objects = []
    for kind, key in (("Secret", "secretGenerator"), ("ConfigMap", "configMapGenerator")):
        for generator in spec.get(key, []):
            data = dict(line.split("=", 1) for line in generator.get("literals", []))
            for env_file in generator.get("envs", []):
                data |= read_env_file(folder / env_file)
            objects.append(generated_object(kind, generator["name"], data))
    return objects


def read_env_file(path: Path) -> dict[str, str]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def generated_object(kind: str, name: str, data: dict[str, str]) -> Obj:
    if kind == "ConfigMap":
        return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}, "data": data}
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name},
        "type": "Opaque",
        "data": encoded,
    }


def find(objects: list[Obj], kind: str, name: str) -> Obj:
    matches = [obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == name]
    assert len(matches) == 1, f"{len(matches)} objects {kind}/{name}"
    return matches[0]


def strategic_merge(target: Obj, patch: Obj) -> None:
    for key, value in patch.items():
        if key.startswith("$"):
            raise NotImplementedError(f"patch directive {key}")
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            strategic_merge(target[key], value)
        elif key in NAME_KEYED_LISTS and isinstance(target.get(key), list):
            merge_by_name(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def merge_by_name(target: list[Obj], patch: list[Obj]) -> None:
    by_name = {item["name"]: item for item in target}
    for item in patch:
        if item["name"] in by_name:
            strategic_merge(by_name[item["name"]], item)
        else:
            target.append(copy.deepcopy(item))


def transform(objects: list[Obj], spec: Obj) -> None:
    for obj in objects:
        if "namespace" in spec and obj["kind"] not in CLUSTER_SCOPED:
            obj["metadata"]["namespace"] = spec["namespace"]
        for entry in spec.get("labels", []):
            if entry.get("includeSelectors") or entry.get("includeTemplates"):
                raise NotImplementedError("labels beyond metadata")
            obj["metadata"].setdefault("labels", {}).update(entry["pairs"])
        for entry in spec.get("replicas", []):
            if obj["kind"] in WORKLOADS and obj["metadata"]["name"] == entry["name"]:
                obj["spec"]["replicas"] = entry["count"]
        for container in containers(obj):
            set_image(container, spec.get("images", []))


def set_image(container: Obj, images: list[Obj]) -> None:
    name, _, tag = container["image"].partition(":")
    for image in images:
        if image["name"] == name:
            name = image.get("newName", name)
            tag = image.get("newTag", tag)
    container["image"] = f"{name}:{tag}" if tag else name


# --- reading the rendered objects ------------------------------------------------------------


def pod_spec(obj: Obj) -> Obj | None:
    return obj["spec"]["template"]["spec"] if obj["kind"] in WORKLOADS else None


def containers(obj: Obj) -> list[Obj]:
    spec = pod_spec(obj)
    return [] if spec is None else spec.get("initContainers", []) + spec["containers"]


def workloads(objects: list[Obj]) -> Iterator[Obj]:
    return (obj for obj in objects if obj["kind"] in WORKLOADS)


def by_component(objects: list[Obj], kind: str, component: str) -> list[Obj]:
    return [
        obj
        for obj in objects
        if obj["kind"] == kind
        and obj["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component
    ]


def pod_labels(objects: list[Obj], component: str) -> dict[str, str]:
    (workload,) = [
        obj
        for obj in workloads(objects)
        if obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == component
    ]
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and In/NotIn expressions) matches these labels."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        inside = labels.get(expression["key"]) in expression["values"]
        if inside != (expression["operator"] == "In"):
            return False
    return True


def peers_reaching(objects: list[Obj], labels: dict[str, str], port: int) -> list[Obj]:
    """Every NetworkPolicy peer allowed to reach this port of pods with these labels; an
    ingress rule without ``from`` is everyone, shown as an empty peer."""
    peers: list[Obj] = []
    for policy in (obj for obj in objects if obj["kind"] == "NetworkPolicy"):
        if not selects(policy["spec"]["podSelector"], labels):
            continue
        for rule in policy["spec"].get("ingress", []):
            ports = [entry["port"] for entry in rule.get("ports", [])]
            if not ports or port in ports:
                peers += rule.get("from", [{}])
    return peers


def is_builtin(obj: Obj) -> bool:
    group = obj["apiVersion"].rpartition("/")[0]
    return "/" not in obj["apiVersion"] or "." not in group or group.endswith(".k8s.io")


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def work_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """deploy/k8s copied, with the overlay's token file made from its committed example."""
    copied = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S_DIR, copied, ignore=shutil.ignore_patterns("api-token.env"))
    example = copied / OVERLAY / "api-token.env.example"
    shutil.copy(example, example.with_suffix(""))
    return copied


@pytest.fixture(scope="module")
def overlay(work_copy: Path) -> list[Obj]:
    return render(work_copy / OVERLAY)


@pytest.fixture(scope="module")
def base() -> list[Obj]:
    return render(K8S_DIR / "base")


# --- rendering and schemas -------------------------------------------------------------------


def test_base_is_namespace_agnostic(base: list[Obj]) -> None:
    """The base names no namespace, so any overlay can place it."""
    assert base
    assert [obj["metadata"]["name"] for obj in base if "namespace" in obj["metadata"]] == []
    assert not [obj for obj in base if obj["kind"] in CLUSTER_SCOPED | {"Secret"}]


def test_overlay_places_everything_in_its_namespace_with_the_pinned_image(
    overlay: list[Obj],
) -> None:
    """The overlay puts every namespaced object in its namespace and runs the pinned image."""
    assert find(overlay, "Namespace", NAMESPACE)
    namespaced = [obj for obj in overlay if obj["kind"] not in CLUSTER_SCOPED]
    assert {obj["metadata"]["namespace"] for obj in namespaced} == {NAMESPACE}
    images = {
        c["image"] for obj in workloads(overlay) for c in containers(obj) if c["name"] in ROLES
    }
    assert images == {IMAGE}
    for obj in workloads(overlay):
        assert all(re.search(r":[\w.-]+$", c["image"]) for c in containers(obj))
        assert not any(c["image"].endswith(":latest") for c in containers(obj))


def test_builtin_objects_validate_strictly_against_the_kubernetes_schemas(
    overlay: list[Obj],
) -> None:
    """Every built-in object is valid for Kubernetes 1.30, unknown fields included."""
    builtin = [obj for obj in overlay if is_builtin(obj)]
    assert len(builtin) >= 20
    failures = []
    for obj in builtin:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message}")
    assert failures == []


CRD_SCHEMAS: dict[tuple[str, str], Obj] = {
    ("keda.sh/v1alpha1", "ScaledObject"): {
        "type": "object",
        "required": ["scaleTargetRef", "triggers"],
        "properties": {
            "scaleTargetRef": {"type": "object", "required": ["name"]},
            "minReplicaCount": {"type": "integer", "minimum": 0},
            "maxReplicaCount": {"type": "integer", "minimum": 1},
            "pollingInterval": {"type": "integer"},
            "cooldownPeriod": {"type": "integer"},
            "triggers": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["type", "metadata"],
                    "properties": {
                        "metadata": {"type": "object", "additionalProperties": {"type": "string"}}
                    },
                },
            },
        },
    },
    ("monitoring.coreos.com/v1", "ServiceMonitor"): {
        "type": "object",
        "required": ["selector", "endpoints"],
        "properties": {
            "selector": {"type": "object"},
            "endpoints": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object", "required": ["port"]},
            },
        },
    },
    ("monitoring.coreos.com/v1", "PrometheusRule"): {
        "type": "object",
        "required": ["groups"],
        "properties": {
            "groups": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name", "rules"],
                    "properties": {
                        "rules": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["expr"],
                                "oneOf": [{"required": ["record"]}, {"required": ["alert"]}],
                            },
                        }
                    },
                },
            }
        },
    },
}


def test_custom_resources_are_known_kinds_with_their_required_fields(overlay: list[Obj]) -> None:
    """KEDA and Prometheus Operator objects have the fields their CRDs require."""
    custom = [obj for obj in overlay if not is_builtin(obj)]
    assert {obj["kind"] for obj in custom} == {"ScaledObject", "ServiceMonitor", "PrometheusRule"}
    for obj in custom:
        schema = CRD_SCHEMAS[(obj["apiVersion"], obj["kind"])]
        assert set(obj) == {"apiVersion", "kind", "metadata", "spec"}
        assert obj["metadata"]["name"]
        jsonschema.validate(obj["spec"], schema)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) not installed")
def test_the_real_kustomize_renders_the_same_objects(work_copy: Path, overlay: list[Obj]) -> None:
    """kubectl's kustomize builds the overlay to exactly the objects this module's renderer does."""
    built = subprocess.run(
        ["kubectl", "kustomize", str(work_copy / OVERLAY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=KUBECTL_TIMEOUT_S,
    )
    key = lambda obj: (obj["kind"], obj["metadata"]["name"])  # noqa: E731
    real = sorted((doc for doc in yaml.safe_load_all(built.stdout) if doc), key=key)
    assert real == sorted(overlay, key=key)


# --- pods ------------------------------------------------------------------------------------


def test_every_container_has_probes_requests_and_limits(overlay: list[Obj]) -> None:
    """Every container has liveness and readiness probes and CPU and memory requests and limits."""
    for obj in workloads(overlay):
        for container in containers(obj):
            assert {"livenessProbe", "readinessProbe"} <= set(container), container["name"]
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, container["name"]


@pytest.mark.parametrize(
    ("role", "port", "paths"),
    [
        ("listener", "metrics", {"/healthz", "/readyz"}),
        ("worker", "metrics", {"/healthz", "/readyz"}),
        ("api", "http", {"/healthz", "/readyz"}),
    ],
)
def test_roles_probe_their_health_endpoints(
    overlay: list[Obj], role: str, port: str, paths: set[str]
) -> None:
    """Each role is probed on its own port: liveness on /healthz, readiness on /readyz."""
    (deployment,) = by_component(overlay, "Deployment", role)
    (container,) = containers(deployment)
    assert container["args"] == [role]
    live, ready = container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]
    assert (live["path"], ready["path"]) == ("/healthz", "/readyz")
    assert live["port"] == ready["port"] == port
    assert port in {p["name"] for p in container["ports"]}


def test_every_container_runs_unprivileged_on_a_read_only_root(overlay: list[Obj]) -> None:
    """Every pod runs as non-root with RuntimeDefault seccomp; every container drops all
    capabilities, cannot escalate and has a read-only root with a writable /tmp."""
    for obj in workloads(overlay):
        spec = pod_spec(obj)
        assert spec is not None
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        tmp_volumes = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in containers(obj):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in tmp_volumes


def test_spinetriage_pods_run_as_the_image_user_without_service_links(overlay: list[Obj]) -> None:
    """The three roles run as UID 10001, and no Service link can set a SPINETRIAGE_ variable."""
    for role in ROLES:
        (deployment,) = by_component(overlay, "Deployment", role)
        spec = pod_spec(deployment)
        assert spec is not None
        assert spec["securityContext"]["runAsUser"] == 10001
        assert spec["enableServiceLinks"] is False


def test_workers_run_one_analysis_process_per_pod_within_about_a_cpu(overlay: list[Obj]) -> None:
    """A worker pod runs one analysis process, asks for one CPU and up to about 1.5 GiB."""
    (deployment,) = by_component(overlay, "Deployment", "worker")
    (container,) = containers(deployment)
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["SPINETRIAGE_WORKER_CONCURRENCY"] == "1"
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert container["resources"]["limits"]["memory"] == "1536Mi"
    spec = pod_spec(deployment)
    assert spec is not None
    hard_time_limit_s = int(
        find(overlay, "ConfigMap", "spinetriage-settings")["data"]["SPINETRIAGE_TASK_TIME_LIMIT_S"]
    )
    assert spec["terminationGracePeriodSeconds"] > hard_time_limit_s


def test_only_the_api_gets_the_token_from_the_generated_secret(overlay: list[Obj]) -> None:
    """The API's token comes from the overlay's generated Secret, and only the API has it."""
    secret = find(overlay, "Secret", "spinetriage-api-token")
    for role in ROLES:
        (deployment,) = by_component(overlay, "Deployment", role)
        (container,) = containers(deployment)
        refs = [
            item["valueFrom"]["secretKeyRef"]
            for item in container.get("env", [])
            if "secretKeyRef" in item.get("valueFrom", {})
        ]
        expected = [{"name": "spinetriage-api-token", "key": "SPINETRIAGE_API_TOKEN"}]
        assert refs == (expected if role == "api" else [])
    assert set(secret["data"]) == {"SPINETRIAGE_API_TOKEN"}


# --- storage and services --------------------------------------------------------------------


def test_spool_is_read_write_many_and_mounted_by_listener_and_worker(overlay: list[Obj]) -> None:
    """The spool claim is ReadWriteMany and mounted at the image's spool path by the listener and
    the workers, and by no one else."""
    claim = find(overlay, "PersistentVolumeClaim", "spinetriage-spool")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    spool_dir = find(overlay, "ConfigMap", "spinetriage-settings")["data"]["SPINETRIAGE_SPOOL_DIR"]
    mounted_by = set()
    for obj in workloads(overlay):
        spec = pod_spec(obj)
        assert spec is not None
        volumes = {
            v["name"]
            for v in spec.get("volumes", [])
            if v.get("persistentVolumeClaim", {}).get("claimName") == "spinetriage-spool"
        }
        for container in containers(obj):
            for mount in container.get("volumeMounts", []):
                if mount["name"] in volumes:
                    assert mount["mountPath"] == spool_dir
                    mounted_by.add(container["name"])
    assert mounted_by == {"listener", "worker"}


def test_dicom_service_exposes_11112_outside_the_cluster_keeping_the_source_address(
    overlay: list[Obj],
) -> None:
    """The DICOM Service is reachable from the hospital network on 11112, keeps the PACS's
    address for the NetworkPolicy and accepts only the PACS network."""
    service = find(overlay, "Service", "spinetriage-dicom")
    assert service["spec"]["type"] in {"LoadBalancer", "NodePort"}
    assert service["spec"]["externalTrafficPolicy"] == "Local"
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(11112, "dicom")]
    assert service["spec"]["loadBalancerSourceRanges"] == [PACS_CIDR]
    (deployment,) = by_component(overlay, "Deployment", "listener")
    (container,) = containers(deployment)
    assert {"name": "dicom", "containerPort": 11112} in container["ports"]


def test_metrics_and_api_services_stay_inside_the_cluster(overlay: list[Obj]) -> None:
    """Every Service but DICOM's is internal, and every Service selects pods that exist and
    names ports they have."""
    templates = [obj["spec"]["template"] for obj in workloads(overlay)]
    for service in (obj for obj in overlay if obj["kind"] == "Service"):
        if service["metadata"]["name"] != "spinetriage-dicom":
            assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
        (template,) = [
            t
            for t in templates
            if selects({"matchLabels": service["spec"]["selector"]}, t["metadata"]["labels"])
        ]
        port_names = {p["name"] for c in template["spec"]["containers"] for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names


def test_ingress_serves_the_api_for_server_sent_events(overlay: list[Obj]) -> None:
    """The Ingress sends the site's host to the API without buffering, with a long read timeout,
    and names a TLS Secret that the repository does not hold."""
    ingress = find(overlay, "Ingress", "spinetriage-api")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": "spinetriage-api", "port": {"name": "http"}}
    (tls,) = ingress["spec"]["tls"]
    assert tls["hosts"] == [rule["host"]]
    assert not [
        obj
        for obj in overlay
        if obj["kind"] == "Secret" and obj["metadata"]["name"] == tls["secretName"]
    ]


def test_disruption_budgets_cover_the_three_roles(overlay: list[Obj]) -> None:
    """Each role has a PodDisruptionBudget selecting its pods, and the API always keeps one."""
    for role in ROLES:
        (budget,) = by_component(overlay, "PodDisruptionBudget", role)
        assert selects(budget["spec"]["selector"], pod_labels(overlay, role))
    (api_budget,) = by_component(overlay, "PodDisruptionBudget", "api")
    assert api_budget["spec"]["minAvailable"] == 1


def test_redis_keeps_an_append_only_file_on_its_own_volume(overlay: list[Obj]) -> None:
    """Redis 7 runs with the append-only file on a persistent volume claim."""
    redis = find(overlay, "StatefulSet", "spinetriage-redis")
    (container,) = containers(redis)
    assert container["image"].startswith("redis:7")
    args = container["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--dir") + 1] == "/data"
    (template,) = redis["spec"]["volumeClaimTemplates"]
    assert {"name": template["metadata"]["name"], "mountPath": "/data"} in container["volumeMounts"]


# --- network policies ------------------------------------------------------------------------


def test_every_pod_is_isolated_for_ingress(overlay: list[Obj]) -> None:
    """A policy selects every pod, so only what the policies allow reaches it."""
    for obj in workloads(overlay):
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert any(
            selects(policy["spec"]["podSelector"], labels)
            and "Ingress" in policy["spec"]["policyTypes"]
            for policy in overlay
            if policy["kind"] == "NetworkPolicy"
        ), obj["metadata"]["name"]


def test_only_the_pacs_network_reaches_the_dicom_port(overlay: list[Obj]) -> None:
    """DICOM reaches the listener from the PACS's CIDR and from nowhere else."""
    peers = peers_reaching(overlay, pod_labels(overlay, "listener"), 11112)
    assert peers == [{"ipBlock": {"cidr": PACS_CIDR}}]


def test_only_the_three_roles_and_keda_reach_redis(overlay: list[Obj]) -> None:
    """Redis is reached by the listener, worker and API pods of its namespace, and by KEDA's
    operator (which reads the queue length), never by any other pod or address."""
    redis_labels = pod_labels(overlay, "redis")
    peers = peers_reaching(overlay, redis_labels, 6379)
    in_namespace = [peer for peer in peers if set(peer) == {"podSelector"}]
    allowed = {
        role
        for role in ROLES
        if any(selects(p["podSelector"], pod_labels(overlay, role)) for p in in_namespace)
    }
    assert allowed == set(ROLES)
    assert not any(
        selects(p["podSelector"], redis_labels | {"app.kubernetes.io/component": "other"})
        for p in in_namespace
    )
    others = [peer for peer in peers if peer not in in_namespace]
    assert others == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}},
            "podSelector": {"matchLabels": {"app": "keda-operator"}},
        }
    ]


@pytest.mark.parametrize(("role", "port"), [("listener", 9101), ("worker", 9180), ("api", 8080)])
def test_prometheus_reaches_the_metrics_ports(overlay: list[Obj], role: str, port: int) -> None:
    """Prometheus's namespace reaches each role's metrics port; only the ingress controller
    reaches the API besides it."""
    peers = peers_reaching(overlay, pod_labels(overlay, role), port)
    namespaces = [
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in peers
    ]
    assert set(p for peer in peers for p in peer) == {"namespaceSelector"}
    assert sorted(namespaces) == (
        ["ingress-nginx", "monitoring"] if role == "api" else ["monitoring"]
    )


# --- autoscaling and monitoring --------------------------------------------------------------


def test_scaled_object_scales_the_workers_on_the_triage_queue(overlay: list[Obj]) -> None:
    """KEDA scales the worker Deployment on the Redis list triage, at this namespace's Redis,
    never below one worker."""
    scaled = find(overlay, "ScaledObject", "spinetriage-worker")
    target = scaled["spec"]["scaleTargetRef"]
    assert (target.get("kind", "Deployment"), target["name"]) == (
        "Deployment",
        "spinetriage-worker",
    )
    assert find(overlay, "Deployment", target["name"])
    assert scaled["spec"]["minReplicaCount"] >= 1
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == "triage"
    redis_url = find(overlay, "ConfigMap", "spinetriage-settings")["data"]["SPINETRIAGE_REDIS_URL"]
    assert redis_url == "redis://spinetriage-redis:6379/0"
    expected = f"spinetriage-redis.{NAMESPACE}.svc.cluster.local:6379"
    assert trigger["metadata"]["address"] == expected
    assert trigger["metadata"]["databaseIndex"] == "0"


def test_prometheus_rule_holds_exactly_the_alert_rules_of_alerts_yml(overlay: list[Obj]) -> None:
    """The PrometheusRule's groups are deploy/prometheus/alerts.yml's, rule for rule."""
    rule = find(overlay, "PrometheusRule", "spinetriage")
    expected = yaml.safe_load(ALERTS.read_text())["groups"]
    assert rule["spec"]["groups"] == expected, RULES_STALE


def test_prometheus_rule_file_is_what_its_generator_writes() -> None:
    """base/prometheus-rules.yaml is what make_prometheus_rules.py writes from alerts.yml."""
    spec = importlib.util.spec_from_file_location("make_prometheus_rules", RULES_GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    rules_file = K8S_DIR / "base" / "prometheus-rules.yaml"
    assert rules_file.read_text() == generator.prometheus_rule(ALERTS.read_text()), RULES_STALE


def test_service_monitor_scrapes_the_jobs_the_alerts_expect(overlay: list[Obj]) -> None:
    """The ServiceMonitor selects exactly the three metrics Services, whose names are the job
    labels alerts.yml and prometheus.yml use, on ports each of them has."""
    monitor = find(overlay, "ServiceMonitor", "spinetriage")
    services = [
        obj
        for obj in overlay
        if obj["kind"] == "Service"
        and selects(monitor["spec"]["selector"], obj["metadata"]["labels"])
    ]
    assert {service["metadata"]["name"] for service in services} == JOBS
    assert set(re.findall(r'job="(spinetriage-[a-z]+)"', ALERTS.read_text())) == JOBS
    endpoint_ports = {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]}
    for service in services:
        assert {p["name"] for p in service["spec"]["ports"]} & endpoint_ports


# --- secrets ---------------------------------------------------------------------------------


def test_the_repository_holds_no_secret_value(overlay: list[Obj]) -> None:
    """No committed manifest is a Secret, the token file is git-ignored, and the committed
    example holds only a placeholder, which is what the rendered Secret carries."""
    committed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "deploy/k8s"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in committed:
        if name.endswith((".yaml", ".yml")):
            assert all(doc.get("kind") != "Secret" for doc in load_all(REPO / name)), name
    assert not any(name.endswith("api-token.env") for name in committed)
    token_file = K8S_DIR / OVERLAY / "api-token.env"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(token_file)], cwd=REPO, check=False)
    assert ignored.returncode == 0
    example = read_env_file(K8S_DIR / OVERLAY / "api-token.env.example")
    assert set(example) == {"SPINETRIAGE_API_TOKEN"}
    assert all(value.startswith(PLACEHOLDER) for value in example.values())
    secret = find(overlay, "Secret", "spinetriage-api-token")
    token = base64.b64decode(secret["data"]["SPINETRIAGE_API_TOKEN"]).decode()
    assert token.startswith(PLACEHOLDER)
