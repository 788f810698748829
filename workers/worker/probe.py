"""``spinetriage worker --probe``: asks the worker on this machine whether it is ready, for a
Kubernetes exec probe. Exit status 0 when its ``/readyz`` says ready, 1 with the reason on
standard error otherwise (not ready, or not answering)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

from spinetriage.config import Settings

# Above the worker's own checks (a second each at most), within a probe's usual timeout.
PROBE_TIMEOUT_S = 5.0


def readyz_url(settings: Settings) -> str:
    """Where the worker on this machine answers, given where it binds."""
    bind = settings.metrics_bind
    if bind in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif bind == "::":
        host = "[::1]"
    else:
        host = f"[{bind}]" if ":" in bind else bind
    return f"http://{host}:{settings.worker_metrics_port}/readyz"


def probe(settings: Settings) -> int:
    if settings.worker_metrics_port == 0:
        return _not_ready("SPINETRIAGE_WORKER_METRICS_PORT is 0: the worker's port is not known")
    url = readyz_url(settings)
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S):
            return 0
    except urllib.error.HTTPError as exc:
        return _not_ready(_detail(exc.read()) or f"{url} answered {exc.code}")
    except OSError as exc:
        cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return _not_ready(f"no answer from {url} ({type(cause).__name__})")


def _detail(body: bytes) -> str:
    try:
        return str(json.loads(body).get("detail", ""))
    except (ValueError, AttributeError):
        return ""


def _not_ready(reason: str) -> int:
    print(f"spinetriage worker not ready: {reason}", file=sys.stderr)
    return 1
