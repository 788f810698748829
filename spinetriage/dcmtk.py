"""Finding dcmtk's command-line tools, which benchmarks and interoperability tests drive.

pynetdicom installs its own `storescu` and `echoscu` into the virtualenv; with the virtualenv
first on PATH those would shadow dcmtk's, so a tool counts only if it says it is dcmtk."""

from __future__ import annotations

import os
import shutil
import subprocess

VERSION_TIMEOUT_S = 10


def find_tool(name: str) -> str | None:
    """The first `name` on PATH that is dcmtk's, or None."""
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = shutil.which(name, path=directory) if directory else None
        if candidate is not None and _is_dcmtk(candidate):
            return candidate
    return None


def _is_dcmtk(path: str) -> bool:
    try:
        result = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "$dcmtk:" in result.stdout + result.stderr


def loopback_env() -> dict[str, str]:
    """dcmtk's environment for loopback: without TCP_NODELAY it waits on Nagle's algorithm for
    every small PDU and runs many times slower."""
    return {**os.environ, "TCP_NODELAY": "1"}
