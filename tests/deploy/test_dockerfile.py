"""docker/Dockerfile and .dockerignore, read statically (no Docker engine here, so the image is
never built by the tests): a multi-stage build whose slim runtime stage runs as a fixed non-root
user, without compilers, with the service's ports, health check and single entry point."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
RUNTIME_BASE = "python:3.11-slim-bookworm"
PORTS = {"11112", "9101", "9180", "8080"}
COMPILERS = re.compile(r"\b(gcc|g\+\+|clang|build-essential|cc|make|gfortran|cargo|rustc)\b")
PACKAGE_INSTALL = re.compile(r"\b(apt-get|apt|apk)\s+(?:\S+\s+)*install\b(.*)")
OCI_LABELS = {
    "org.opencontainers.image.title",
    "org.opencontainers.image.version",
    "org.opencontainers.image.revision",
}


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction: comments dropped, continuation lines joined."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            result.append((keyword.upper(), " ".join(args.split())))
    return result


def dockerfile_stages(path: Path = DOCKERFILE) -> list[Stage]:
    stages: list[Stage] = []
    for keyword, args in instructions(path.read_text()):
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif stages:
            stages[-1].instructions.append((keyword, args))
    return stages


def runtime_user(path: Path = DOCKERFILE) -> str:
    """The USER the image runs as (the final stage's last USER)."""
    users = dockerfile_stages(path)[-1].all("USER")
    assert users, "the final stage sets no USER"
    return users[-1]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not the exec (JSON) form: {args}"
    return [str(item) for item in value]


def ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves `path` out of the context (last matching pattern wins)."""
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        bare = pattern.removeprefix("!").removeprefix("**/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        candidates = (
            prefixes + list(parts) if pattern.removeprefix("!").startswith("**/") else prefixes
        )
        if any(fnmatch.fnmatchcase(candidate, bare) for candidate in candidates):
            verdict = not negated
    return verdict


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return dockerfile_stages()


@pytest.fixture(scope="module")
def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_build_is_multi_stage(stages: list[Stage]) -> None:
    """The image is built in at least two stages, the runtime copying from a named build stage."""
    assert len(stages) >= 2
    names = {stage.name for stage in stages[:-1]}
    copied_from = {
        match[1] for args in stages[-1].all("COPY") if (match := re.search(r"--from=(\S+)", args))
    }
    assert copied_from
    assert copied_from <= names


def test_runtime_is_slim_python_of_the_project(runtime: Stage) -> None:
    """The runtime stage is the slim Debian Python whose minor version pyproject requires."""
    assert runtime.base == RUNTIME_BASE
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert ">=3.11" in requires


def test_wheels_are_built_against_the_lock(stages: list[Stage]) -> None:
    """The build stage makes binary-only wheels under requirements.lock's pins."""
    runs = " ".join(run for stage in stages[:-1] for run in stage.all("RUN"))
    assert "pip wheel" in runs
    assert "-c requirements.lock" in runs
    assert "--only-binary=:all:" in runs


def test_runtime_runs_as_fixed_non_root_user(runtime: Stage) -> None:
    """The final stage switches to a numeric non-root UID (and GID) that it created."""
    user = runtime_user()
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), f"USER {user} is not a numeric UID"
    assert int(uid) != 0, f"USER {user} is root"
    assert not gid or int(gid) != 0
    assert any(f"--uid {uid}" in run for run in runtime.all("RUN"))


def test_runtime_installs_no_compilers(runtime: Stage) -> None:
    """The runtime stage installs no compiler or build tool (the wheels need none)."""
    for run in runtime.all("RUN"):
        for match in PACKAGE_INSTALL.finditer(run):
            assert not COMPILERS.search(match[2]), f"compiler installed at run time: {run}"


def test_runtime_loads_every_decoder_at_build_time(runtime: Stage) -> None:
    """The build fails if a pixel decoder or an entry point cannot load in the runtime image."""
    runs = " ".join(runtime.all("RUN"))
    for module in ("libjpeg", "openjpeg", "rle", "scipy.ndimage", "PIL.Image"):
        assert module in runs
    assert "spinetriage --help" in runs


def test_python_environment(runtime: Stage) -> None:
    """No bytecode is written and output is unbuffered, so logs reach the collector at once."""
    env = " ".join(runtime.all("ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env
    assert "SPINETRIAGE_LOG_FORMAT=json" in env


def test_exposes_the_four_ports(runtime: Stage) -> None:
    """DICOM, listener and worker metrics, and the API are exposed."""
    exposed = {port.split("/")[0] for args in runtime.all("EXPOSE") for port in args.split()}
    assert exposed == PORTS


def test_entry_point_is_spinetriage(runtime: Stage) -> None:
    """One entry point for every role, the listener by default."""
    assert exec_form(runtime.all("ENTRYPOINT")[-1]) == ["spinetriage"]
    assert exec_form(runtime.all("CMD")[-1]) == ["listener"]


def test_health_check_probes_the_default_role(runtime: Stage) -> None:
    """The image's health check asks the listener (the default command) whether it is ready."""
    (check,) = runtime.all("HEALTHCHECK")
    options, _, command = check.partition(" CMD ")
    assert "--timeout=" in options
    assert "9101" in " ".join(exec_form(command))
    assert "/readyz" in " ".join(exec_form(command))


def test_oci_labels(runtime: Stage) -> None:
    """The image carries the OCI labels that name it, its version and its source revision."""
    labels = " ".join(runtime.all("LABEL"))
    keys = {word.split("=")[0] for word in shlex.split(labels)}
    assert keys >= OCI_LABELS


def test_dockerignore_excludes_local_state() -> None:
    """The virtual environment, Git, var/ (spool, embedded Redis), .env and caches stay out."""
    patterns = ignore_patterns()
    for path in (".venv", ".git", "var", ".env", ".pytest_cache", "spinetriage/__pycache__"):
        assert ignored(path, patterns), f"{path} is sent to the build context"


def test_dockerignore_keeps_what_the_build_copies(stages: list[Stage]) -> None:
    """Every file or folder a COPY takes from the context is left in it by .dockerignore."""
    patterns = ignore_patterns()
    for stage in stages:
        for args in stage.all("COPY"):
            if "--from=" in args:
                continue
            *sources, _ = args.split()
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: no such path"
                assert not ignored(source, patterns), f"COPY {source} is excluded by .dockerignore"
