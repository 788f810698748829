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
