"""The one place that names Redis keys. Every other module asks here."""

from __future__ import annotations

PREFIX = "spinetriage"

# Sorted set: study UID scored by its completion deadline (epoch seconds).
COMPLETION_PENDING = f"{PREFIX}:completion:pending"
# Sorted set: "<study UID> <version>" scored by when its dispatch lease runs out.
COMPLETION_OUTBOX = f"{PREFIX}:completion:outbox"
# Sorted set: every study UID the listener has seen, scored by its last received time.
STUDIES = f"{PREFIX}:studies"


def study(study_uid: str) -> str:
    """Hash: identifying tags, modality, times, calling AE, counts, version, status."""
    return f"{PREFIX}:study:{study_uid}"


def study_series(study_uid: str) -> str:
    """Hash: series UID to a JSON object of the series' modality, number and description."""
    return f"{PREFIX}:study:{study_uid}:series"


def study_series_counts(study_uid: str) -> str:
    """Hash: series UID to its number of distinct instances."""
    return f"{PREFIX}:study:{study_uid}:series_counts"


def study_instances(study_uid: str) -> str:
    """Hash: SOP instance UID to its series UID; what makes a resend replace, not add."""
    return f"{PREFIX}:study:{study_uid}:instances"


# Sorted set: every study on the worklist, scored by display order (``worklist.order_score``).
WORKLIST = f"{PREFIX}:worklist"
# Pub/sub channel: one JSON message per worklist change (study UID and new status, no patient data).
EVENTS = f"{PREFIX}:events"


def study_key_images(study_uid: str) -> str:
    """Hash: finding index to the PNG of that finding's key image."""
    return f"{PREFIX}:study:{study_uid}:key_images"


def study_dismissals(study_uid: str) -> str:
    """List: every flag dismissal of the study (who, when, why), oldest first; kept for good."""
    return f"{PREFIX}:study:{study_uid}:dismissals"


def study_attempts(study_uid: str) -> str:
    """Hash: study version to the number of its analyses begun and not finished (a worker
    process that died mid-analysis leaves its one counted)."""
    return f"{PREFIX}:study:{study_uid}:attempts"


def study_lock(study_uid: str) -> str:
    """String: the token of the worker analysing the study now, with an expiry."""
    return f"{PREFIX}:study:{study_uid}:lock"


# Sorted set: each worker's Celery hostname, scored by when it last showed its consumer running
# (seconds since the epoch).
WORKER_HEARTBEATS = f"{PREFIX}:worker_heartbeats"
