"""The soft time limit during an analysis raises an exception that ``except Exception`` (the
loader's and the heuristics' per-series guards) does not catch."""

from __future__ import annotations

import os
import signal

import pytest
from billiard.pool import SIG_SOFT_TIMEOUT

from workers.worker.deadline import AnalysisDeadline, soft_limit_as_deadline


def signal_inside_a_guard(signum: int) -> bool:
    """Signal this process inside ``except Exception``; whether the guard caught something."""
    try:
        os.kill(os.getpid(), signum)
    except Exception:
        return True
    return False


def test_the_soft_limit_passes_through_a_per_series_guard() -> None:
    """The soft-timeout signal inside the block raises AnalysisDeadline past `except Exception`,
    and the previous handler is back afterwards."""
    assert SIG_SOFT_TIMEOUT is not None
    previous = signal.getsignal(SIG_SOFT_TIMEOUT)
    with soft_limit_as_deadline(), pytest.raises(AnalysisDeadline):
        signal_inside_a_guard(SIG_SOFT_TIMEOUT)
    assert signal.getsignal(SIG_SOFT_TIMEOUT) is previous
