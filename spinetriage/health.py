"""Readiness checks the processes share: Redis answers, the spool takes a file. Each check
returns "" when all is well, or the problem in words (never an exception's text, which may
quote a path or a URL with a password)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

# A probe must answer within the orchestrator's timeout (Kubernetes: 1 s by default).
PROBE_TIMEOUT_S = 1.0
PROBE_FILE_PREFIX = ".readyz-"

Check = Callable[[], str]


def probe_client(url: str) -> Redis:
    """A client for probes: short timeouts and no retries, so that a Redis that is gone is
    reported within the probe's time rather than after the usual retries."""
    return Redis.from_url(
        url, socket_timeout=PROBE_TIMEOUT_S, socket_connect_timeout=PROBE_TIMEOUT_S
    )


def redis_problem(redis: Redis) -> str:
    try:
        redis.ping()
    except (RedisError, OSError) as exc:
        return f"Redis did not answer PING ({type(exc).__name__})"
    return ""


def spool_problem(root: Path) -> str:
    """Whether a file can be created and deleted in the spool."""
    try:
        fd, name = tempfile.mkstemp(prefix=PROBE_FILE_PREFIX, dir=root)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return f"the spool does not take a file ({type(exc).__name__})"
    return ""


def readiness(checks: Mapping[str, Check]) -> tuple[int, dict[str, Any]]:
    """Run every check: HTTP status 200 and ``{"status": "ready"}``, or 503 with the failed
    checks' names and what each found."""
    problems = {name: problem for name, check in checks.items() if (problem := check())}
    if not problems:
        return 200, {"status": "ready"}
    detail = "; ".join(f"{name}: {problem}" for name, problem in problems.items())
    return 503, {"status": "unavailable", "detail": detail, "failed": list(problems)}
