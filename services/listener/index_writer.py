"""Writes the study index behind the answers: one thread, in the order things happened.

An instance is answered as soon as its file is durable in the spool; recording it in Redis
happens afterwards, off the association's critical path, and whatever piled up meanwhile goes in
one round trip. Nothing is lost if the process dies before a write: start-up recovery indexes
every spooled instance the index does not hold. While Redis cannot be reached the writer keeps
retrying what it holds, and the handlers refuse new instances with out-of-resources so the
sender keeps them until the index is back."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from redis.exceptions import NoScriptError, RedisError

from spinetriage.logs import get_logger
from spinetriage.study_index import IndexBatch, InstanceRecord, StudyIndex

log = get_logger(__name__)

MAX_BATCH = 256
MAX_BACKLOG = 10_000
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 2.0


@dataclass(frozen=True, slots=True)
class _InstanceStored:
    record: InstanceRecord
    at: float
    first_of_study: bool
    first_of_series: bool

    def add_to(self, batch: IndexBatch) -> None:
        batch.record_instance(self.record, self.at, self.first_of_study, self.first_of_series)


@dataclass(frozen=True, slots=True)
class _AssociationEnded:
    study_uid: str
    at: float

    def add_to(self, batch: IndexBatch) -> None:
        batch.association_ended(self.study_uid, self.at)


_Write = _InstanceStored | _AssociationEnded


class IndexWriter:
    def __init__(self, index: StudyIndex) -> None:
        self._index = index
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._failing = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def available(self) -> bool:
        """False while Redis refuses writes or too much is waiting: new instances must wait."""
        return not self._failing.is_set() and self._queue.qsize() < MAX_BACKLOG

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def instance_stored(
        self, record: InstanceRecord, at: float, first_of_study: bool, first_of_series: bool
    ) -> None:
        self._queue.put(_InstanceStored(record, at, first_of_study, first_of_series))

    def association_ended(self, study_uids: Iterable[str], at: float) -> None:
        for study_uid in study_uids:
            self._queue.put(_AssociationEnded(study_uid, at))

    def close(self, timeout_s: float) -> None:
        """Write what is queued, waiting at most `timeout_s` for Redis; what is left is indexed
        by the recovery scan of the next start."""
        self._queue.put(None)
        self._thread.join(timeout_s)
        self._stopping.set()
        self._thread.join(RETRY_MAX_S)

    def _run(self) -> None:
        try:
            self._drain()
        except Exception:
            # Refuse from now on rather than answer instances the index will never hold.
            self._failing.set()
            log.exception("index_writer_failed")
            raise

    def _drain(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            writes = [write for write in batch if write is not None]
            if writes and not self._write(writes):
                return
            if len(writes) < len(batch):
                return

    def _write(self, writes: list[_Write]) -> bool:
        """Write in one round trip, retrying with backoff until it succeeds (True) or the
        writer is stopped (False)."""
        delay = RETRY_FIRST_S
        reloaded = False
        while True:
            batch = self._index.batch()
            for write in writes:
                write.add_to(batch)
            try:
                batch.execute()
            except RedisError as exc:
                if isinstance(exc, NoScriptError) and not reloaded:
                    reloaded = True  # Redis restarted and forgot the scripts; now loaded again
                    continue
                if not self._failing.is_set():
                    log.error("study_index_unavailable", error=type(exc).__name__)
                    self._failing.set()
                if self._stopping.wait(delay):
                    left = len(writes) + self._queue.qsize()
                    log.warning("index_writes_left_for_recovery", writes=left)
                    return False
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if self._failing.is_set():
                log.warning("study_index_available_again")
                self._failing.clear()
            return True
