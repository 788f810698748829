"""The worklist store in Redis: every study in the order radiologists should read it, what the
analysis found, and what the radiologists did with it.

The listener adds a study (routine, receiving) with its first instance and marks it queued when
it is complete (``study_index``). A worker then records its analysis with the study version it
analysed: an outcome for a version older than the index holds is dropped, since a newer one is
queued, and one for a version already recorded changes nothing, so a task run twice leaves the
same worklist. Every change is published on ``keys.EVENTS``; each write and its event are one
script call, atomic against the other processes."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from redis import Redis
from redis.client import Pipeline

from spinetriage import keys
from spinetriage.triage import TriageResult, order_score
from spinetriage.worklist_item import Status, WorklistItem, event_message, item_from_hash

Begin = Literal["analyse", "stale", "recorded", "unknown"]
# Unfinished analyses are counted for a day after the last one began; a study version is
# analysed within seconds, or given up on long before that.
ATTEMPTS_KEPT_S = 24 * 3600

_BEGIN = """
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return 'unknown' end
if version ~= ARGV[1] then return 'stale' end
if redis.call('HGET', KEYS[1], 'analyzed_version') == ARGV[1] then return 'recorded' end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'queued' or status == 'analyzing' then
  redis.call('HSET', KEYS[1], 'status', 'analyzing', 'analysis_started_at', ARGV[2])
  redis.call('PUBLISH', ARGV[3], ARGV[4])
end
return 'analyse'
"""

_RECORD = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'analyzed_version') == ARGV[1] then return 0 end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'queued' or status == 'analyzing' then
  redis.call('HSET', KEYS[1], 'status', ARGV[2])
end
redis.call('HSET', KEYS[1], 'analyzed_version', ARGV[1], 'result', ARGV[3], 'reason', ARGV[4],
           'analyzed_at', ARGV[5])
redis.call('HDEL', KEYS[1], 'dismissed_by', 'dismissed_at', 'dismissal_reason')
local received = tonumber(redis.call('HGET', KEYS[1], 'first_received_at'))
redis.call('ZADD', KEYS[2], tonumber(ARGV[6]) + received, ARGV[8])
redis.call('DEL', KEYS[3])
if #ARGV > 8 then redis.call('HSET', KEYS[3], unpack(ARGV, 9)) end
redis.call('PUBLISH', ARGV[7], cjson.encode({study_instance_uid = ARGV[8], change = ARGV[2]}))
return 1
"""

# Claim and release check who holds the study and change it in one step.
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
local holder = redis.call('HGET', KEYS[1], 'claimed_by')
if holder and holder ~= ARGV[1] then return holder end
redis.call('HSET', KEYS[1], 'claimed_by', ARGV[1], 'claimed_at', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 'ok'
"""

_RELEASE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
local holder = redis.call('HGET', KEYS[1], 'claimed_by')
if holder and holder ~= ARGV[1] then return holder end
redis.call('HDEL', KEYS[1], 'claimed_by', 'claimed_at')
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 'ok'
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class StudyNotFoundError(LookupError):
    """No study with this UID is on the worklist."""


class ClaimedByOtherError(Exception):
    """Another radiologist holds the study; the message names who."""


class NothingToDismissError(Exception):
    """The study carries no flag (no finding) to dismiss."""


@dataclass(frozen=True)
class AnalysisOutcome:
    """What a worker recorded for one study version. ``result`` is None when the study could
    not be analysed; ``reason`` then says why, without patient data."""

    study_uid: str
    version: int
    status: Status
    result: TriageResult | None
    reason: str = ""
    key_images: Mapping[int, bytes] = field(default_factory=dict)


class WorklistStore:
    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock
        self._begin = redis.register_script(_BEGIN)
        self._record = redis.register_script(_RECORD)
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)
        self._unlock = redis.register_script(_UNLOCK)

    # The workers' side.

    def begin_analysis(self, study_uid: str, version: int) -> Begin:
        """Mark a study version as being analysed, unless it is stale or already recorded."""
        answer = self._begin(
            keys=[keys.study(study_uid)],
            args=[version, repr(self._clock()), keys.EVENTS, event_message(study_uid, "analyzing")],
        )
        return _text(answer)  # type: ignore[return-value]

    def record(self, outcome: AnalysisOutcome) -> bool:
        """Store an analysis outcome and move the study to its place; False when the version is
        stale or was recorded before (nothing changed)."""
        result = outcome.result
        priority = result.priority if result is not None else "routine"
        images = [part for index, png in outcome.key_images.items() for part in (index, png)]
        args: list[Any] = [
            outcome.version,
            outcome.status,
            result.model_dump_json() if result is not None else "",
            outcome.reason,
            repr(self._clock()),
            repr(order_score(priority, 0.0)),
            keys.EVENTS,
            outcome.study_uid,
            *images,
        ]
        script_keys = [
            keys.study(outcome.study_uid),
            keys.WORKLIST,
            keys.study_key_images(outcome.study_uid),
        ]
        return bool(self._record(keys=script_keys, args=args))

    def lock(self, study_uid: str, ttl_s: float) -> str | None:
        """Take the study's analysis lock for ``ttl_s``; its token, or None when another
        worker holds it."""
        token = secrets.token_hex(16)
        taken = self._redis.set(keys.study_lock(study_uid), token, nx=True, px=int(ttl_s * 1000))
        return token if taken else None

    def begin_attempt(self, study_uid: str, version: int) -> int:
        """Count one analysis of the version begun; returns how many begun before it never
        finished (their process died: out of memory, killed)."""
        key = keys.study_attempts(study_uid)
        pipe = self._redis.pipeline()
        pipe.hincrby(key, str(version), 1)
        pipe.expire(key, ATTEMPTS_KEPT_S)
        begun, _ = pipe.execute()
        return int(begun) - 1

    def end_attempt(self, study_uid: str, version: int) -> None:
        """The analysis begun last finished, whatever its outcome."""
        self._redis.hincrby(keys.study_attempts(study_uid), str(version), -1)

    def unlock(self, study_uid: str, token: str) -> None:
        """Give the lock back if it is still ours (it may have expired and been taken since)."""
        self._unlock(keys=[keys.study_lock(study_uid)], args=[token])

    # The radiologists' side.

    def claim(self, study_uid: str, user: str) -> WorklistItem:
        self._held(self._claim, study_uid, [user, repr(self._clock())], "claimed")
        return self.item_or_raise(study_uid)

    def release(self, study_uid: str, user: str) -> WorklistItem:
        self._held(self._release, study_uid, [user], "released")
        return self.item_or_raise(study_uid)

    def mark_read(self, study_uid: str, user: str) -> WorklistItem:
        """Read by ``user``: the claim ends with it. A study another radiologist holds is
        theirs to read."""

        def write(pipe: Pipeline) -> None:
            self._check_not_held(pipe, study_uid, user)
            pipe.multi()
            pipe.hset(
                keys.study(study_uid), mapping={"read_by": user, "read_at": repr(self._clock())}
            )
            pipe.hdel(keys.study(study_uid), "claimed_by", "claimed_at")
            pipe.publish(keys.EVENTS, event_message(study_uid, "read"))

        self._redis.transaction(write, keys.study(study_uid))
        return self.item_or_raise(study_uid)

    def dismiss(self, study_uid: str, user: str, reason: str) -> WorklistItem:
        """The flag was wrong: the study drops to routine, and the dismissal is kept, with the
        findings it dismissed, as the field's measure of precision. A study another
        radiologist holds is theirs to dismiss."""

        def write(pipe: Pipeline) -> None:
            self._check_not_held(pipe, study_uid, user)
            item = self.item_or_raise(study_uid)
            if not item.findings:
                raise NothingToDismissError("the study has no finding to dismiss")
            now = self._clock()
            kept = {
                "by": user,
                "reason": reason,
                "at": now,
                "priority": item.priority,
                "findings": [finding.model_dump(mode="json") for finding in item.findings],
            }
            routine = order_score("routine", item.received_at.timestamp())
            pipe.multi()
            pipe.hset(
                keys.study(study_uid),
                mapping={
                    "dismissed_by": user,
                    "dismissal_reason": reason,
                    "dismissed_at": repr(now),
                },
            )
            pipe.rpush(keys.study_dismissals(study_uid), json.dumps(kept))
            pipe.zadd(keys.WORKLIST, {study_uid: routine})
            pipe.publish(keys.EVENTS, event_message(study_uid, "dismissed"))

        self._redis.transaction(write, keys.study(study_uid))
        return self.item_or_raise(study_uid)

    @staticmethod
    def _check_not_held(pipe: Pipeline, study_uid: str, user: str) -> None:
        """Under the study's WATCH: it exists and nobody but ``user`` holds it (a claim made
        before the write commits makes the transaction run again, and refuse)."""
        if not pipe.exists(keys.study(study_uid)):
            raise StudyNotFoundError(study_uid)
        holder = pipe.hget(keys.study(study_uid), "claimed_by")
        if holder is not None and _text(holder) != user:
            raise ClaimedByOtherError(f"claimed by {_text(holder)}")

    def dismissals(self, study_uid: str) -> list[dict[str, Any]]:
        """Every dismissal of the study's flags, oldest first."""
        kept = self._redis.lrange(keys.study_dismissals(study_uid), 0, -1)
        return [json.loads(raw) for raw in kept]

    # Reading.

    def items(self, limit: int = 500) -> list[WorklistItem]:
        """The worklist in display order: most urgent first, oldest first within a priority."""
        uids = [_text(uid) for uid in self._redis.zrange(keys.WORKLIST, 0, limit - 1)]  # type: ignore[arg-type]
        return [item for item in self._items(uids) if item is not None]

    def item(self, study_uid: str) -> WorklistItem | None:
        return self._items([study_uid])[0]

    def item_or_raise(self, study_uid: str) -> WorklistItem:
        item = self.item(study_uid)
        if item is None:
            raise StudyNotFoundError(study_uid)
        return item

    def key_image(self, study_uid: str, finding_index: int) -> bytes | None:
        png = self._redis.hget(keys.study_key_images(study_uid), finding_index)
        return png if isinstance(png, bytes) else None

    def _items(self, uids: list[str]) -> list[WorklistItem | None]:
        pipe = self._redis.pipeline(transaction=False)
        for uid in uids:
            pipe.hgetall(keys.study(uid))
            pipe.hvals(keys.study_series(uid))
        replies = pipe.execute()
        return [
            _item(study, series) for study, series in zip(replies[::2], replies[1::2], strict=True)
        ]

    def _held(self, script: Any, study_uid: str, args: list[str], change: str) -> None:
        answer = _text(
            script(
                keys=[keys.study(study_uid)],
                args=[*args, keys.EVENTS, event_message(study_uid, change)],
            )
        )
        if answer == "unknown":
            raise StudyNotFoundError(study_uid)
        if answer != "ok":
            raise ClaimedByOtherError(f"claimed by {answer}")


def _item(raw_study: Mapping[bytes, bytes], raw_series: list[bytes]) -> WorklistItem | None:
    study = {_text(key): _text(value) for key, value in raw_study.items()}
    if "first_received_at" not in study:
        return None
    modalities = [json.loads(info).get("modality", "") for info in raw_series]
    return item_from_hash(study, [modality for modality in modalities if modality])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
