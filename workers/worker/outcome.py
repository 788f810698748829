"""One study folder analysed into the outcome the worklist records: done with the result and key
images, not applicable with the analysis's reason, or failed with a reason free of patient data.

Transient errors (Redis, the disk) are not outcomes: they propagate, and the task is retried."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from spinetriage.logs import get_logger
from spinetriage.worklist import AnalysisOutcome
from workers.analysis.study import NotAnalysableError, analyze_folder
from workers.worker.deadline import AnalysisDeadline, soft_limit_as_deadline
from workers.worker.finding_images import key_images_for

log = get_logger(__name__)

# Worth trying again: Redis unreachable or slow, the disk failing to read or write.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, OSError)
FOLDER_MISSING = "the study's files are not in the spool"


@dataclass(frozen=True)
class StudyJob:
    """One study version to analyse, and where its files are."""

    study_uid: str
    version: int
    folder: Path


def too_slow(limit_s: float) -> str:
    return f"analysis took longer than {limit_s:g} s"


def crashed(error: BaseException) -> str:
    return f"analysis failed ({type(error).__name__})"


def analyse(job: StudyJob, soft_time_limit_s: float) -> AnalysisOutcome:
    """The outcome of analysing the job's folder; transient errors propagate."""
    if not job.folder.is_dir():
        return _failed(job, FOLDER_MISSING)
    try:
        with soft_limit_as_deadline():
            return _analysed(job)
    except NotAnalysableError as error:
        return AnalysisOutcome(job.study_uid, job.version, "not_applicable", None, str(error))
    except (AnalysisDeadline, SoftTimeLimitExceeded):
        return _failed(job, too_slow(soft_time_limit_s))
    except TRANSIENT_ERRORS:
        raise
    # The analysis is many heuristics on untrusted images; any other error is this study's
    # failure, recorded as such, never a worker's.
    except Exception as error:
        _log_crash(job, error)
        return _failed(job, crashed(error))


def _analysed(job: StudyJob) -> AnalysisOutcome:
    started = time.perf_counter()
    result = analyze_folder(job.folder)
    images = key_images_for(job.folder, result)
    log.info(
        "study_analysed",
        study=job.study_uid,
        version=job.version,
        priority=result.priority,
        findings=len(result.findings),
        key_images=len(images),
        cpu_ms=result.timings_ms.get("cpu"),
        wall_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return AnalysisOutcome(job.study_uid, job.version, "done", result, key_images=images)


def _failed(job: StudyJob, reason: str) -> AnalysisOutcome:
    log.warning("study_analysis_failed", study=job.study_uid, version=job.version, reason=reason)
    return AnalysisOutcome(job.study_uid, job.version, "failed", None, reason)


def _log_crash(job: StudyJob, error: Exception) -> None:
    """Where it happened, without the message: an exception's text may quote a header value."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    log.error(
        "study_analysis_crashed",
        study=job.study_uid,
        version=job.version,
        error=type(error).__name__,
        where=where,
    )
