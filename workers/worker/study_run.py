"""What one delivery of the analysis task does for a study version.

Take the study's lock, so two workers never analyse it at once (the same task can arrive twice:
a resend, a redelivery after a lost worker); ask the worklist whether this version still needs
analysing (a newer one may be queued, or this one recorded already); analyse; record; give the
lock back. Recording is versioned by the store, so a run repeated leaves the same worklist."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from redis.exceptions import RedisError

from spinetriage.logs import get_logger
from spinetriage.spool_layout import study_dir
from spinetriage.worklist import AnalysisOutcome, WorklistStore
from workers.worker.outcome import StudyJob, analyse

log = get_logger(__name__)

# The lock outlives the hard time limit by this much, so it only ever expires on a worker that
# is gone (killed, or its process stopped by the limit).
LOCK_MARGIN_S = 1.0

RunOutcome = Literal["recorded", "unchanged", "skipped", "busy"]


@dataclass
class StudyAnalysis:
    """Everything a task needs, built once by ``create_celery_app``. The store is made on first
    use in each process, so that every worker process has its own Redis connection."""

    spool_root: Path
    soft_time_limit_s: float
    time_limit_s: float
    store_factory: Callable[[], WorklistStore]
    _store: WorklistStore | None = field(default=None, init=False, repr=False)
    _store_pid: int = field(default=0, init=False, repr=False)

    @property
    def store(self) -> WorklistStore:
        if self._store is None or self._store_pid != os.getpid():
            self._store, self._store_pid = self.store_factory(), os.getpid()
        return self._store

    def run(self, study_uid: str, version: int) -> RunOutcome:
        """Analyse the version unless another worker holds the study ("busy": try again later)
        or the worklist says it needs no analysis ("skipped")."""
        token = self.store.lock(study_uid, self.time_limit_s + LOCK_MARGIN_S)
        if token is None:
            return "busy"
        try:
            begun = self.store.begin_analysis(study_uid, version)
            if begun != "analyse":
                log.info("analysis_skipped", study=study_uid, version=version, reason=begun)
                return "skipped"
            log.info("study_analysis_started", study=study_uid, version=version)
            job = StudyJob(study_uid, version, study_dir(self.spool_root, study_uid))
            return self._record(analyse(job, self.soft_time_limit_s))
        finally:
            self._unlock(study_uid, token)

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

    def _unlock(self, study_uid: str, token: str) -> None:
        try:
            self.store.unlock(study_uid, token)
        except RedisError as error:  # it expires on its own; a retry waits for that
            log.warning("study_unlock_failed", study=study_uid, error=type(error).__name__)
