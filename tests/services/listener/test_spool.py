"""The spool's incoming folders: one per listener process, so processes sharing a spool never
clear each other's files in flight."""

from __future__ import annotations

import os
from pathlib import Path

from services.listener.spool import INCOMING, STALE_INCOMING_S, Spool

NOW = 1_800_000_000.0


def partial(path: Path, age_s: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"partial")
    os.utime(path, (NOW - age_s, NOW - age_s))
    return path


def test_starting_clears_its_own_leftovers_and_only_stale_files_of_others(tmp_path: Path) -> None:
    """A process starting removes every partial file in its own folder (a reused name), and in
    other processes' folders only those untouched for the stale age; fresh ones, being received
    by a live process, stay, and so does the live process's folder."""
    incoming = tmp_path / INCOMING
    own = partial(incoming / "host-a-1" / "tmp1", age_s=1)
    fresh = partial(incoming / "host-b-7" / "tmp2", age_s=5)
    stale = partial(incoming / "host-c-9" / "tmp3", age_s=STALE_INCOMING_S + 1)
    old_layout = partial(incoming / "tmp4", age_s=STALE_INCOMING_S + 1)
    spool = Spool(tmp_path, min_free_bytes=0, owner="host-a-1")
    spool.prepare(now=NOW)
    assert spool.incoming == incoming / "host-a-1"
    assert spool.incoming.is_dir()
    assert [path.exists() for path in (own, fresh, stale, old_layout)] == [
        False,
        True,
        False,
        False,
    ]
    assert (incoming / "host-b-7").is_dir()
    assert (incoming / "host-c-9").is_dir()
    spool.close()
