"""Event handlers bound to the AE: they persist instances and record what arrived, nothing more.

pynetdicom writes each received dataset to a temporary Part 10 file in the spool's incoming
directory as its fragments arrive (``STORE_RECV_CHUNKED_DATASET``), so memory does not grow with
the size of an instance; the C-STORE handler only parses the header and commits the file, then
hands the study index its part (``IndexWriter``) and answers."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from pydicom import Dataset
from pynetdicom import evt
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.events import Event, EventHandlerType

from services.listener import statuses
from services.listener.index_writer import IndexWriter
from services.listener.instance import BadUidsError, UndecodableInstanceError, read_instance
from services.listener.spool import Spool
from spinetriage.logs import get_logger
from spinetriage.metrics import ListenerMetrics
from spinetriage.study_index import InstanceRecord

log = get_logger(__name__)

_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
Status = int | Dataset


@dataclass
class _Carried:
    """What one open association has carried so far: enough to describe each study and series
    to the index once, and to know which studies to complete when it ends."""

    studies: set[str] = field(default_factory=set)
    series: set[str] = field(default_factory=set)


class ListenerHandlers:
    """Holds, per open association, only the UIDs of the studies and series it has carried."""

    def __init__(
        self,
        spool: Spool,
        index_writer: IndexWriter,
        metrics: ListenerMetrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._spool = spool
        self._index_writer = index_writer
        self._metrics = metrics
        self._clock = clock
        self._carried: dict[int, _Carried] = {}
        self._lock = threading.Lock()

    def bindings(self) -> list[EventHandlerType]:
        return [
            (evt.EVT_C_STORE, self.on_c_store),
            (evt.EVT_ACCEPTED, self.on_accepted),
            (evt.EVT_REJECTED, self.on_rejected),
            (evt.EVT_CONN_CLOSE, self.on_connection_closed),
        ]

    def on_c_store(self, event: Event) -> Status:
        started = time.perf_counter()
        outcome, status = self._store(event, Path(event.dataset_path))
        self._metrics.instances.labels(outcome).inc()
        self._metrics.store_duration.observe(time.perf_counter() - started)
        return status

    def on_accepted(self, event: Event) -> None:
        self._metrics.associations.labels("accepted").inc()
        with self._lock:
            self._carried[id(event.assoc)] = _Carried()
        log.info("association_accepted", calling_ae=_calling_ae(event), peer=_peer(event))

    def on_rejected(self, event: Event) -> None:
        self._metrics.associations.labels("rejected").inc()
        log.warning("association_rejected", calling_ae=_calling_ae(event), peer=_peer(event))

    def on_connection_closed(self, event: Event) -> None:
        """Start the short grace period for every study this association carried."""
        with self._lock:
            carried = self._carried.pop(id(event.assoc), _Carried())
        self._index_writer.association_ended(carried.studies, self._clock())

    def _store(self, event: Event, temporary: Path) -> tuple[str, Status]:
        calling_ae = _calling_ae(event)
        if not self._spool.has_room():
            return _refused(
                "out_of_resources",
                statuses.OUT_OF_RESOURCES,
                "spool disk below its free-space watermark",
                reason="spool_below_watermark",
                calling_ae=calling_ae,
            )
        if not self._index_writer.available:
            # Stored files must reach the index before completion can see them; the sender keeps
            # this one and sends it again.
            return _refused(
                "index_unavailable",
                statuses.OUT_OF_RESOURCES,
                "study index unavailable, send again later",
                reason="index_unavailable",
                calling_ae=calling_ae,
            )
        # The disk flush runs while the header is parsed; the file is renamed only after both.
        synced = self._spool.start_sync(temporary)
        sop_uid = str(cast(C_STORE, event.request).AffectedSOPInstanceUID)
        try:
            record = read_instance(temporary, sop_uid, calling_ae)
        except UndecodableInstanceError as exc:
            return _refused(
                "cannot_understand",
                statuses.CANNOT_UNDERSTAND,
                "dataset could not be decoded",
                reason="undecodable",
                error=str(exc),
                calling_ae=calling_ae,
            )
        except BadUidsError as exc:
            return _refused(
                "cannot_understand",
                statuses.CANNOT_UNDERSTAND_UIDS,
                str(exc),
                reason="bad_uids",
                calling_ae=calling_ae,
            )
        return self._persist(event, temporary, synced, record)

    def _persist(
        self, event: Event, temporary: Path, synced: Future[None], record: InstanceRecord
    ) -> tuple[str, Status]:
        """Answer success once the data and its final name are durable; the index follows."""
        size = temporary.stat().st_size
        try:
            replaced = self._spool.place(
                temporary, synced, record.study_uid, record.series_uid, record.sop_uid
            ).result()
        except OSError as exc:
            if exc.errno not in _DISK_FULL_ERRNOS:
                raise
            return _refused(
                "out_of_resources",
                statuses.OUT_OF_RESOURCES,
                "spool disk full",
                level="error",
                reason="disk_full",
                study=record.study_uid,
            )
        self._index_instance(event, record)
        self._metrics.received_bytes.inc(size)
        log.debug("instance_stored", study=record.study_uid, series=record.series_uid, bytes=size)
        return ("replaced" if replaced else "stored"), statuses.SUCCESS

    def _index_instance(self, event: Event, record: InstanceRecord) -> None:
        """Queue the instance for the index, describing its study and series only the first
        time this association carries them."""
        with self._lock:
            carried = self._carried.setdefault(id(event.assoc), _Carried())
            first_of_study = record.study_uid not in carried.studies
            first_of_series = record.series_uid not in carried.series
            carried.studies.add(record.study_uid)
            carried.series.add(record.series_uid)
        self._index_writer.instance_stored(record, self._clock(), first_of_study, first_of_series)


def _refused(
    outcome: str, status: int, comment: str, level: str = "warning", **context: str
) -> tuple[str, Status]:
    """Log why an instance was refused and build the status that tells the sender."""
    getattr(log, level)("instance_refused", **context)
    return outcome, statuses.failure(status, comment)


def _calling_ae(event: Event) -> str:
    return str(event.assoc.requestor.ae_title).strip()


def _peer(event: Event) -> str:
    requestor = event.assoc.requestor
    return f"{requestor.address}:{requestor.port}"
