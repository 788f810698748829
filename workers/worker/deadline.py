"""The soft time limit as an exception the analysis cannot swallow.

Celery stops a task softly by signalling its process, whose handler raises
``SoftTimeLimitExceeded``, an ``Exception``. The loader and the heuristics rightly catch
``Exception`` around one file or one series (one bad series must not cost the study), so inside
them the limit would cost a series and let the study pass as done, read in part. While the
analysis runs, the same signal raises ``AnalysisDeadline`` instead: a ``BaseException``, which
those handlers let through."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from billiard.pool import SIG_SOFT_TIMEOUT


class AnalysisDeadline(BaseException):
    """The soft time limit struck while the study was being analysed."""


@contextmanager
def soft_limit_as_deadline() -> Iterator[None]:
    """Within the block, the soft time limit raises ``AnalysisDeadline``. Signal handlers
    belong to the main thread; elsewhere (a thread pool) the block changes nothing."""
    if SIG_SOFT_TIMEOUT is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(SIG_SOFT_TIMEOUT, _raise_deadline)
    try:
        yield
    finally:
        signal.signal(SIG_SOFT_TIMEOUT, previous)


def _raise_deadline(_signum: int, _frame: FrameType | None) -> None:
    raise AnalysisDeadline
