"""The spool: ``<root>/<study>/<series>/<sop>.dcm``, each file written under a temporary name,
fsynced, renamed into place, and its directory fsynced, so a success answer means it is on disk.

Each listener process writes its temporary files in a folder of its own under ``.incoming``, so
several processes, pods or machines can share one spool: a process starting never touches the
files another is receiving, only partial files untouched for ``STALE_INCOMING_S`` (a file being
received is written to at least once per network timeout).

The flushes run on a small thread pool, so the caller can parse the header while the data goes to
disk and write the index while the new name does."""

from __future__ import annotations

import math
import os
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

INCOMING = ".incoming"
# A partial file nobody wrote to for this long was left by a process that died.
STALE_INCOMING_S = 600.0
# fsyncs in flight at once; each association has at most one instance being committed.
SYNC_THREADS = 8


class Spool:
    def __init__(self, root: Path, min_free_bytes: int, owner: str) -> None:
        """``owner`` names this process among those sharing the spool (host and process ID)."""
        self.root = root
        self.incoming = root / INCOMING / owner
        self.min_free_bytes = min_free_bytes
        self._syncer = ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="spool-fsync")

    def prepare(self, now: float | None = None) -> None:
        """Create the spool and this process's incoming folder, and clear the partial files
        that processes which died left behind: any in this process's folder (a name reused),
        and those in another's untouched for ``STALE_INCOMING_S``."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        stale_before = (time.time() if now is None else now) - STALE_INCOMING_S
        for entry in self.incoming.parent.iterdir():
            if entry == self.incoming:
                _remove_older(entry, math.inf)
            elif entry.is_dir():
                # Another's folder stays, even empty: its process may be alive and idle.
                _remove_older(entry, stale_before)
            elif _written_before(entry, stale_before):
                entry.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.root).free

    def capacity_bytes(self) -> int:
        """The size of the spool's file system."""
        return shutil.disk_usage(self.root).total

    def has_room(self) -> bool:
        return self.free_bytes() >= self.min_free_bytes

    def study_dirs(self) -> list[Path]:
        """Every study folder in the spool."""
        return [path for path in self.root.iterdir() if path.is_dir() and path.name != INCOMING]

    def path_for(self, study_uid: str, series_uid: str, sop_uid: str) -> Path:
        return self.root / study_uid / series_uid / f"{sop_uid}.dcm"

    def start_sync(self, temporary: Path) -> Future[None]:
        """Begin flushing a received file to disk, so the caller can parse it meanwhile."""
        return self._syncer.submit(_fsync_file, temporary)

    def place(
        self, temporary: Path, synced: Future[None], study_uid: str, series_uid: str, sop_uid: str
    ) -> Future[bool]:
        """Wait until the data is on disk (`synced`, from start_sync), then move the file to its
        final name in the background; the returned future completes once the name is durable too,
        with True when a file already there for the same SOP instance was replaced."""
        synced.result()
        final = self.path_for(study_uid, series_uid, sop_uid)
        return self._syncer.submit(_rename_durably, temporary, final)

    def close(self) -> None:
        self._syncer.shutdown(wait=True)


def _rename_durably(temporary: Path, final: Path) -> bool:
    _ensure_dir(final.parent)
    replaced = final.exists()
    os.replace(temporary, final)
    _fsync_dir(final.parent)
    return replaced


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_dir(directory: Path) -> None:
    """Create a series directory and make its entry durable in the study directory too."""
    if directory.is_dir():
        return
    directory.mkdir(parents=True, exist_ok=True)
    _fsync_dir(directory.parent)
    _fsync_dir(directory.parent.parent)


def _remove_older(folder: Path, before: float) -> None:
    """Remove the files in ``folder`` last written before ``before`` (seconds since the epoch)."""
    for leftover in folder.iterdir():
        if _written_before(leftover, before):
            leftover.unlink(missing_ok=True)


def _written_before(path: Path, before: float) -> bool:
    """False for a file gone meanwhile (renamed into place by its process)."""
    try:
        return path.stat().st_mtime < before
    except FileNotFoundError:
        return False
