"""The study index in Redis and the completion state that lets several listeners share it.

Every write is one Lua script call, so one round trip, atomic against the other listener replicas:
an instance recorded, an association ended, due studies claimed. A claimed study goes to an outbox
with a lease; it leaves the outbox once its task is sent, and is sent again if the lease runs out
first (a listener that died between claiming and sending).

A study joins the worklist (as routine) with its first instance; the status changes the listener
makes (receiving, queued) are published on the worklist's event channel from the same scripts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import NoScriptError

from spinetriage import keys
from spinetriage.triage import order_score

TRIGGER_QUIET = "quiet_period"
TRIGGER_ASSOCIATION_END = "association_end"
COMPLETION_TRIGGERS = (TRIGGER_QUIET, TRIGGER_ASSOCIATION_END)

_RECORD_INSTANCE = """
local is_new = redis.call('HSET', KEYS[4], ARGV[3], ARGV[2])
if is_new == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
  redis.call('HINCRBY', KEYS[1], 'instances', 1)
end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[2], ARGV[2], ARGV[6]) end
redis.call('HSETNX', KEYS[1], 'first_received_at', ARGV[4])
local previous = redis.call('HGET', KEYS[1], 'status')
redis.call('HSET', KEYS[1], 'study_instance_uid', ARGV[1], 'last_received_at', ARGV[4],
           'status', 'receiving', 'completion_trigger', ARGV[9])
if ARGV[7] == '1' then redis.call('HINCRBY', KEYS[1], 'active_associations', 1) end
if tonumber(ARGV[8]) > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 12, 11 + 2 * ARGV[8])) end
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[6], ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[7], 'NX', ARGV[10], ARGV[1])
if previous ~= 'receiving' then
  local event = {study_instance_uid = ARGV[1], change = 'receiving'}
  redis.call('PUBLISH', ARGV[11], cjson.encode(event))
end
return is_new
"""

_ASSOCIATION_ENDED = """
local active = redis.call('HINCRBY', KEYS[1], 'active_associations', -1)
if active <= 0 then
  redis.call('HSET', KEYS[1], 'active_associations', 0)
  if redis.call('ZADD', KEYS[2], 'XX', 'LT', 'CH', ARGV[2], ARGV[1]) == 1 then
    redis.call('HSET', KEYS[1], 'completion_trigger', ARGV[3])
  end
end
return active
"""

_CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local claimed = {}
for _, uid in ipairs(due) do
  redis.call('ZREM', KEYS[1], uid)
  local study = ARGV[4] .. uid
  local version = redis.call('HINCRBY', study, 'version', 1)
  redis.call('HSET', study, 'status', 'queued', 'completed_at', ARGV[1])
  redis.call('PUBLISH', ARGV[5], cjson.encode({study_instance_uid = uid, change = 'queued'}))
  local member = uid .. ' ' .. version
  redis.call('ZADD', KEYS[2], ARGV[2], member)
  table.insert(claimed, member)
  local times = redis.call('HMGET', study, 'first_received_at', 'last_received_at')
  table.insert(claimed, redis.call('HGET', study, 'completion_trigger') or '')
  table.insert(claimed, times[1] or '')
  table.insert(claimed, times[2] or '')
end
return claimed
"""

_RECLAIM_EXPIRED = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(expired) do redis.call('ZADD', KEYS[1], ARGV[2], member) end
return expired
"""


@dataclass(frozen=True, slots=True)
class InstanceRecord:
    """What the index keeps of one stored instance. ``study_fields`` may hold patient data:
    it goes to Redis for the worklist, never to a log line."""

    study_uid: str
    series_uid: str
    sop_uid: str
    calling_ae: str
    study_fields: Mapping[str, str]
    series_fields: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ReadyStudy:
    """A study version whose completion was claimed and whose task must be sent; a fresh
    claim carries when the study's first and last instances arrived (epoch seconds), a claim
    taken back after its lease ran out does not."""

    study_uid: str
    version: int
    trigger: str
    first_received_at: float | None = None
    last_received_at: float | None = None

    @property
    def outbox_member(self) -> str:
        return f"{self.study_uid} {self.version}"


@dataclass(frozen=True, slots=True)
class StudyTimes:
    """When a study's last instance arrived and when it was last found complete (epoch
    seconds; None where the index holds no such time)."""

    last_received_at: float | None
    completed_at: float | None


def study_times(redis: Redis, study_uid: str) -> StudyTimes:
    """The study's arrival and completion times, as the index holds them now."""
    last, completed = redis.hmget(keys.study(study_uid), ["last_received_at", "completed_at"])
    return StudyTimes(_seconds(last), _seconds(completed))


class StudyIndex:
    def __init__(self, redis: Redis, quiet_s: float, grace_s: float) -> None:
        self._redis = redis
        self._quiet_s = quiet_s
        self._grace_s = grace_s
        self._record = redis.register_script(_RECORD_INSTANCE)
        self._ended = redis.register_script(_ASSOCIATION_ENDED)
        self._claim = redis.register_script(_CLAIM_DUE)
        self._reclaim = redis.register_script(_RECLAIM_EXPIRED)

    def record_instance(
        self,
        record: InstanceRecord,
        now: float,
        first_in_association: bool,
        describe_series: bool = True,
    ) -> bool:
        """Index one stored instance; returns False when it replaced one already indexed.

        The study's fields are written with the first instance an association carries of it,
        the series' with the first of that series: later instances only count and time."""
        script_keys, args = self._record_call(record, now, first_in_association, describe_series)
        return bool(self._record(keys=script_keys, args=args))

    def association_ended(self, study_uid: str, now: float) -> None:
        """The association that carried this study has ended: complete it after the grace period
        unless another association is still sending it."""
        script_keys, args = self._ended_call(study_uid, now)
        self._ended(keys=script_keys, args=args)

    def load_scripts(self) -> None:
        """Make sure Redis holds the scripts ``IndexBatch`` calls by digest."""
        for script in (self._record, self._ended):
            self._redis.script_load(script.script)

    def batch(self) -> IndexBatch:
        """Several writes in order, sent in one round trip by ``IndexBatch.execute``."""
        return IndexBatch(self)

    def _record_call(
        self, record: InstanceRecord, now: float, first_in_association: bool, describe_series: bool
    ) -> tuple[list[str], list[str | int]]:
        uid = record.study_uid
        pairs = dict(record.study_fields) if first_in_association else {}
        if first_in_association and record.calling_ae:
            pairs["calling_ae"] = record.calling_ae
        series = json.dumps(dict(record.series_fields), sort_keys=True) if describe_series else ""
        script_keys = [
            keys.study(uid),
            keys.study_series(uid),
            keys.study_series_counts(uid),
            keys.study_instances(uid),
            keys.STUDIES,
            keys.COMPLETION_PENDING,
            keys.WORKLIST,
        ]
        args: list[str | int] = [
            uid,
            record.series_uid,
            record.sop_uid,
            repr(now),
            repr(now + self._quiet_s),
            series,
            "1" if first_in_association else "0",
            len(pairs),
            TRIGGER_QUIET,
            repr(order_score("routine", now)),
            keys.EVENTS,
            *(item for pair in pairs.items() for item in pair),
        ]
        return script_keys, args

    def _ended_call(self, study_uid: str, now: float) -> tuple[list[str], list[str]]:
        script_keys = [keys.study(study_uid), keys.COMPLETION_PENDING]
        return script_keys, [study_uid, repr(now + self._grace_s), TRIGGER_ASSOCIATION_END]

    def claim_due(self, now: float, lease_s: float, limit: int = 100) -> list[ReadyStudy]:
        """Atomically take the studies whose deadline has passed, each with a new version."""
        flat = self._claim(
            keys=[keys.COMPLETION_PENDING, keys.COMPLETION_OUTBOX],
            args=[repr(now), repr(now + lease_s), limit, keys.study(""), keys.EVENTS],
        )
        return [
            _ready(member, trigger, first, last)
            for member, trigger, first, last in zip(
                flat[::4], flat[1::4], flat[2::4], flat[3::4], strict=True
            )
        ]

    def reclaim_expired(self, now: float, lease_s: float, limit: int = 100) -> list[ReadyStudy]:
        """Take back claimed studies whose task was never confirmed sent (a listener died)."""
        members = self._reclaim(
            keys=[keys.COMPLETION_OUTBOX], args=[repr(now), repr(now + lease_s), limit]
        )
        return [_ready(member, "") for member in members]

    def known_instances(self, study_uid: str) -> set[str]:
        """The SOP instance UIDs the index holds for a study."""
        return {_text(uid) for uid in self._redis.hkeys(keys.study_instances(study_uid))}

    def dispatched(self, ready: ReadyStudy) -> None:
        self._redis.zrem(keys.COMPLETION_OUTBOX, ready.outbox_member)

    def study(self, study_uid: str) -> dict[str, Any]:
        """The indexed state of one study: its fields, the modalities of its series, and each
        series with its description and instance count."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(keys.study(study_uid))
        pipe.hgetall(keys.study_series(study_uid))
        pipe.hgetall(keys.study_series_counts(study_uid))
        study, series, counts = (_decode_map(result) for result in pipe.execute())
        if not study:
            return {}
        described = {
            uid: {**json.loads(info), "instances": int(counts.get(uid, 0))}
            for uid, info in series.items()
        }
        modalities = sorted({info["modality"] for info in described.values() if "modality" in info})
        return {**study, "modalities": modalities, "series": described}


class IndexBatch:
    """Instances recorded and associations ended, written in the order given with one round
    trip; each write is still its own atomic script.

    The scripts are called by digest alone: redis-py would otherwise ask Redis whether they exist
    before every batch, a second round trip. When Redis lost them (a restart), ``execute`` loads
    them and raises, and the caller sends the batch again; no script in it ran."""

    def __init__(self, index: StudyIndex) -> None:
        self._index = index
        self._pipe = index._redis.pipeline(transaction=False)

    def record_instance(
        self, record: InstanceRecord, now: float, first_in_association: bool, describe_series: bool
    ) -> None:
        script_keys, args = self._index._record_call(
            record, now, first_in_association, describe_series
        )
        self._pipe.evalsha(self._index._record.sha, len(script_keys), *script_keys, *args)

    def association_ended(self, study_uid: str, now: float) -> None:
        script_keys, args = self._index._ended_call(study_uid, now)
        self._pipe.evalsha(self._index._ended.sha, len(script_keys), *script_keys, *args)

    def execute(self) -> None:
        try:
            self._pipe.execute()
        except NoScriptError:
            self._index.load_scripts()
            raise


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _ready(
    member: bytes | str, trigger: bytes | str, first: bytes | str = "", last: bytes | str = ""
) -> ReadyStudy:
    uid, version = _text(member).rsplit(" ", 1)
    return ReadyStudy(uid, int(version), _text(trigger), _seconds(first), _seconds(last))


def _seconds(value: bytes | str | None) -> float | None:
    return float(value) if value else None


def _decode_map(raw: Mapping[Any, Any]) -> dict[str, str]:
    return {_text(key): _text(value) for key, value in raw.items()}
