"""What one delivery of the analysis task does for a study version.

Take the study's lock, so two workers never analyse it at once (the same task can arrive twice:
a resend, a redelivery after a lost worker); ask the worklist whether this version still needs
analysing (a newer one may be queued, or this one recorded already); analyse; record; give the
lock back. Recording is versioned by the store, so a run repeated leaves the same worklist."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from redis import Redis
from redis.exceptions import RedisError

from spinetriage.logs import get_logger
from spinetriage.metrics import WorkerMetrics
from spinetriage.spool_layout import study_dir
from spinetriage.study_index import StudyTimes, study_times
from spinetriage.worklist import AnalysisOutcome, WorklistStore
from spinetriage.worklist_item import Status
from workers.worker.outcome import StudyJob, analyse

log = get_logger(__name__)

# The lock outlives the hard time limit by this much, so it only ever expires on a worker that
# is gone (killed, or its process stopped by the limit).
LOCK_MARGIN_S = 1.0

# Analyses of one study version whose process died before they finished; at this many the
# study is recorded failed instead of analysed again.
MAX_LOST_ANALYSES = 3

RunOutcome = Literal["recorded", "unchanged", "skipped", "busy"]


@dataclass(frozen=True)
class RunReport:
    """How one run went; ``status`` is the analysis's outcome when the study was analysed."""

    outcome: RunOutcome
    status: Status | None = None


@dataclass
class StudyAnalysis:
    """Everything a task needs, built once by ``create_celery_app``. The Redis client (and the
    store on it) is made on first use in each process, so that every worker process has its
    own connection."""

    spool_root: Path
    soft_time_limit_s: float
    time_limit_s: float
    redis_factory: Callable[[], Redis]
    metrics: WorkerMetrics
    _connected: tuple[Redis, WorklistStore] | None = field(default=None, init=False, repr=False)
    _pid: int = field(default=0, init=False, repr=False)

    @property
    def redis(self) -> Redis:
        return self._connection()[0]

    @property
    def store(self) -> WorklistStore:
        return self._connection()[1]

    def _connection(self) -> tuple[Redis, WorklistStore]:
        if self._connected is None or self._pid != os.getpid():
            redis = self.redis_factory()
            self._connected, self._pid = (redis, WorklistStore(redis)), os.getpid()
        return self._connected

    def run(self, study_uid: str, version: int) -> RunReport:
        """Analyse the version unless another worker holds the study ("busy": try again later)
        or the worklist says it needs no analysis ("skipped")."""
        token = self.store.lock(study_uid, self.time_limit_s + LOCK_MARGIN_S)
        if token is None:
            return RunReport("busy")
        try:
            begun = self.store.begin_analysis(study_uid, version)
            if begun != "analyse":
                log.info("analysis_skipped", study=study_uid, version=version, reason=begun)
                return RunReport("skipped")
            lost = self.store.begin_attempt(study_uid, version)
            if lost >= MAX_LOST_ANALYSES:
                return self._give_up_lost(study_uid, version, lost)
            try:
                return self._analyse(study_uid, version)
            finally:
                self.store.end_attempt(study_uid, version)
        finally:
            self._unlock(study_uid, token)

    def _analyse(self, study_uid: str, version: int) -> RunReport:
        times = study_times(self.redis, study_uid)
        log.info("study_analysis_started", study=study_uid, version=version)
        job = StudyJob(study_uid, version, study_dir(self.spool_root, study_uid))
        outcome = analyse(job, self.soft_time_limit_s)
        recorded = self._record(outcome)
        if recorded == "recorded":
            self._observe(outcome, times)
        return RunReport(recorded, outcome.status)

    def _give_up_lost(self, study_uid: str, version: int, lost: int) -> RunReport:
        """The study's analysis took its process down every time (a worker lost mid-task has
        its task put back on the queue): record it failed rather than take down the next."""
        log.error("analysis_lost_too_often", study=study_uid, version=version, lost=lost)
        self.record_failure(study_uid, version, lost_too_often(lost))
        return RunReport("recorded", "failed")

    def record_failure(self, study_uid: str, version: int, reason: str) -> None:
        """Record that the task gave up on the version; if even that fails, say so in the log
        (the study keeps its status until a newer version is analysed)."""
        outcome = AnalysisOutcome(study_uid, version, "failed", None, reason)
        try:
            self._record(outcome)
        except RedisError as error:
            log.error(
                "failure_not_recorded", study=study_uid, version=version, error=type(error).__name__
            )

    def _record(self, outcome: AnalysisOutcome) -> RunOutcome:
        recorded = self.store.record(outcome)
        log.info(
            "analysis_recorded" if recorded else "analysis_not_recorded",
            study=outcome.study_uid,
            version=outcome.version,
            status=outcome.status,
        )
        return "recorded" if recorded else "unchanged"

    def _observe(self, outcome: AnalysisOutcome, times: StudyTimes) -> None:
        """The result is on the worklist now: how long after the study's last instance (by the
        priority it got) and after its completion. The times come from the listener's clock;
        a clock behind the worker's counts as no time rather than a negative one."""
        now = time.time()
        priority = outcome.result.priority if outcome.result is not None else "routine"
        if times.last_received_at is not None:
            since_received_s = max(0.0, now - times.last_received_at)
            self.metrics.time_to_worklist.labels(priority).observe(since_received_s)
        if times.completed_at is not None:
            self.metrics.analysis_wait.observe(max(0.0, now - times.completed_at))

    def _unlock(self, study_uid: str, token: str) -> None:
        try:
            self.store.unlock(study_uid, token)
        except RedisError as error:  # it expires on its own; a retry waits for that
            log.warning("study_unlock_failed", study=study_uid, error=type(error).__name__)


def lost_too_often(lost: int) -> str:
    """The reason given for a study whose analysis kept taking its worker process down."""
    return f"the analysis stopped its worker process {lost} times (out of memory?); not tried again"
