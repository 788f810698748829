"""How many bytes the spool folder holds: every file's size added up by a walk of the whole
folder, repeated every ``spool_usage_interval_s`` (a minute by default) in the background, so
that a scrape only reads the last sum."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from prometheus_client import Gauge

from spinetriage.logs import get_logger

log = get_logger(__name__)


def folder_bytes(root: Path) -> int:
    """The sizes of every file under ``root``; files and folders that vanish meanwhile (a
    study cleaned up, a partial file renamed) are skipped."""
    total = 0
    pending = [str(root)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    total += _entry_bytes(entry, pending)
        except FileNotFoundError:
            continue
    return total


def _entry_bytes(entry: os.DirEntry[str], pending: list[str]) -> int:
    try:
        if entry.is_dir(follow_symlinks=False):
            pending.append(entry.path)
            return 0
        return entry.stat(follow_symlinks=False).st_size
    except FileNotFoundError:
        return 0


def measure_until(root: Path, gauge: Gauge, interval_s: float, stop: threading.Event) -> None:
    """Set ``gauge`` to the spool's bytes now and every ``interval_s`` until ``stop``."""
    while True:
        try:
            gauge.set(folder_bytes(root))
        except OSError as exc:
            log.warning("spool_usage_failed", error=type(exc).__name__)
        if stop.wait(interval_s):
            return


def start_measuring(
    root: Path, gauge: Gauge, interval_s: float, stop: threading.Event
) -> threading.Thread:
    thread = threading.Thread(
        target=measure_until, args=(root, gauge, interval_s, stop), name="spool-usage", daemon=True
    )
    thread.start()
    return thread
