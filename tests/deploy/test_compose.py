"""docker-compose.yml: docker-compose renders it with the example settings and refuses it without
a secret, naming the variable; it is valid against the Compose Specification's schema; and it
has the shape a deployment needs (one non-root image with a health check per role, workers that
scale, a shared spool, start-up in order of health). No Docker engine runs here: nothing is
started."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.test_dockerfile import DOCKERFILE, dockerfile_stages, runtime_user

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
EXAMPLE_ENV = REPO / "deploy" / "compose" / "example.env"
VENDORED_SCHEMA = REPO / "deploy" / "compose" / "compose-spec.json"
APP_SERVICES = ("listener", "worker", "api")
SECRETS = ("SPINETRIAGE_API_TOKEN", "GRAFANA_ADMIN_PASSWORD")
SPOOL_VOLUME = "spool"
COMPOSE_TIMEOUT_S = 60
INTERPOLATED = re.compile(r"\$\{([A-Z0-9_]+)")
# What the tests pass to docker-compose themselves; the rest of the environment is dropped.
FOREIGN_VARIABLES = re.compile(r"^(SPINETRIAGE_|GRAFANA_|PROMETHEUS_|COMPOSE_|DOCKER_)")


def docker_compose() -> str:
    """Path of docker-compose (1.29, Debian's package); skipped where it is missing, failing
    under CI, which must have installed it (scripts/system-deps)."""
    path = shutil.which("docker-compose")
    if path is None:
        reason = "docker-compose not on PATH (scripts/system-deps installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


def run_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    """``docker-compose config`` with only ``env_file``'s settings (none from this shell)."""
    env = {key: value for key, value in os.environ.items() if not FOREIGN_VARIABLES.match(key)}
    command = [docker_compose(), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config"]
    return subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMPOSE_TIMEOUT_S,
        check=False,
    )


def installed_schema() -> Path | None:
    """compose_spec.json inside the installed docker-compose package, found through the
    interpreter its script runs on; None when docker-compose is not installed."""
    script = shutil.which("docker-compose")
    if script is None:
        return None
    shebang = Path(script).read_text(errors="replace").splitlines()[0]
    if not shebang.startswith("#!"):
        return None
    locate = "import compose.config, os; print(os.path.dirname(compose.config.__file__))"
    found = subprocess.run(
        [*shebang[2:].split(), "-c", locate],
        capture_output=True,
        text=True,
        timeout=COMPOSE_TIMEOUT_S,
        check=False,
    )
    schema = Path(found.stdout.strip()) / "compose_spec.json"
    return schema if found.returncode == 0 and schema.is_file() else None


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    result = run_config(EXAMPLE_ENV)
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    path = installed_schema() or VENDORED_SCHEMA
    document = json.loads(path.read_text())
    assert isinstance(document, dict)
    return document


def schema_errors(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    # docker-compose 1.29's copy names its draft as http://...#, which jsonschema does not know.
    draft = str(schema.get("$schema", ""))
    if "2019-09" in draft:
        validator: jsonschema.protocols.Validator = jsonschema.Draft201909Validator(schema)
    elif "2020-12" in draft:
        validator = jsonschema.Draft202012Validator(schema)
    else:
        validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_config_renders_with_the_example_settings(rendered: dict[str, Any]) -> None:
    """docker-compose accepts the file with the example settings and renders every service."""
    assert set(rendered["services"]) == {*APP_SERVICES, "redis", "prometheus", "grafana"}
    api_environment = rendered["services"]["api"]["environment"]
    assert api_environment["SPINETRIAGE_API_TOKEN"].startswith("REPLACE")


@pytest.mark.parametrize("secret", SECRETS)
def test_config_refuses_a_missing_secret_naming_it(secret: str, tmp_path: Path) -> None:
    """Without a secret in the settings, docker-compose stops with a message naming it."""
    lines = EXAMPLE_ENV.read_text().splitlines()
    env_file = tmp_path / "without-secret.env"
    env_file.write_text("\n".join(line for line in lines if not line.startswith(f"{secret}=")))
    result = run_config(env_file)
    assert result.returncode != 0
    assert f"{secret} must be set" in result.stderr


def test_file_is_valid_against_the_compose_specification(
    compose: dict[str, Any], schema: dict[str, Any]
) -> None:
    """The file as written is valid against the Compose Specification's JSON schema."""
    assert schema_errors(compose, schema) == []


def test_rendered_file_is_valid_against_the_compose_specification(
    rendered: dict[str, Any], schema: dict[str, Any]
) -> None:
    """The file with the example settings filled in is valid against the schema too."""
    assert schema_errors(rendered, schema) == []


def test_vendored_schema_names_its_source() -> None:
    """The vendored schema, used where docker-compose is absent, says where it came from."""
    vendored = json.loads(VENDORED_SCHEMA.read_text())
    assert "docker-compose 1.29.2" in vendored["$comment"]
    assert vendored["title"] == "Compose Specification"


def test_no_top_level_name(compose: dict[str, Any]) -> None:
    """Only top-level keys that docker-compose 1.29 and Compose v2 both accept are used."""
    assert set(compose) - {"services", "volumes"} <= {key for key in compose if key[:2] == "x-"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_the_one_image_as_its_user(name: str, services: dict[str, Any]) -> None:
    """Listener, worker and API run the one image built from docker/Dockerfile, as its user."""
    service = services[name]
    images = {services[other]["image"] for other in APP_SERVICES}
    assert images == {service["image"]}
    assert service["build"]["dockerfile"] == str(DOCKERFILE.relative_to(REPO))
    assert service["user"] == runtime_user()
    assert service["command"] == [name]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_log_json_and_wait_for_redis(name: str, services: dict[str, Any]) -> None:
    """Every role logs JSON and starts only once Redis answers its health check."""
    service = services[name]
    assert service["environment"]["SPINETRIAGE_LOG_FORMAT"] == "json"
    assert service["environment"]["SPINETRIAGE_REDIS_URL"].startswith("redis://redis:")
    assert service["depends_on"]["redis"] == {"condition": "service_healthy"}


@pytest.mark.parametrize(
    ("name", "probe"),
    [
        ("listener", "http://127.0.0.1:9101/readyz"),
        ("worker", "spinetriage worker --probe"),
        ("api", "http://127.0.0.1:8080/readyz"),
    ],
)
def test_app_services_check_their_own_readiness(
    name: str, probe: str, services: dict[str, Any]
) -> None:
    """Each role has a health check that asks that role's own readiness probe."""
    test = services[name]["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert probe in " ".join(test[1:])


def test_every_service_restarts_has_limits_and_a_health_check(services: dict[str, Any]) -> None:
    """Every service restarts on failure, has CPU and memory limits, and a health check."""
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        assert set(service["deploy"]["resources"]["limits"]) == {"cpus", "memory"}, name
        assert service["healthcheck"]["test"][0] == "CMD", name


def test_worker_can_be_scaled(services: dict[str, Any]) -> None:
    """The worker has no fixed container name, published port or replica count."""
    worker = services["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "replicas" not in worker.get("deploy", {})


def test_spool_is_shared_by_listener_and_workers(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    """Listener and workers mount the one named spool volume where the image keeps its spool."""
    assert SPOOL_VOLUME in compose["volumes"]
    env = " ".join(args for args in dockerfile_stages()[-1].all("ENV"))
    spool_dir = re.search(r"SPINETRIAGE_SPOOL_DIR=(\S+)", env)
    assert spool_dir
    for name in ("listener", "worker"):
        assert f"{SPOOL_VOLUME}:{spool_dir[1]}" in services[name]["volumes"], name
    assert "volumes" not in services["api"]


def test_secrets_are_required(compose: dict[str, Any]) -> None:
    """Each secret is interpolated with ``:?`` (no default) and never written in the file."""
    text = COMPOSE_FILE.read_text()
    for secret in SECRETS:
        uses = re.findall(rf"\$\{{{secret}([^}}]*)\}}", text)
        assert uses, f"{secret} is not used"
        assert all(use.startswith(":?") for use in uses), f"{secret} has a default"


def test_monitoring_mounts_the_deploy_folders(services: dict[str, Any]) -> None:
    """Prometheus gets deploy/prometheus whole; Grafana its provisioning and dashboards."""
    assert "./deploy/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    grafana = services["grafana"]["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards/spinetriage:ro" in grafana
    assert services["grafana"]["depends_on"]["prometheus"] == {"condition": "service_healthy"}


def test_redis_keeps_an_append_only_file(services: dict[str, Any]) -> None:
    """Redis 7 writes its append-only file to a named volume and has a health check."""
    redis = services["redis"]
    assert redis["image"].startswith("redis:7")
    assert "--appendonly" in redis["command"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_example_env_documents_every_variable() -> None:
    """Every variable the compose file reads is set in the example settings, after a comment."""
    used = set(INTERPOLATED.findall(COMPOSE_FILE.read_text()))
    lines = EXAMPLE_ENV.read_text().splitlines()
    assigned = {line.split("=")[0] for line in lines if re.match(r"^[A-Z0-9_]+=", line)}
    assert used == assigned
    assert any(line.startswith("#") for line in lines)
