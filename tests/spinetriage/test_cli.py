"""`spinetriage up`: everything on one machine, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from spinetriage.sample_study import SeriesSpec, write_mr_series
from tests.support import free_port, listening, spawn, wait_for


def test_up_runs_embedded_redis_and_listener_until_ctrl_c(tmp_path: Path) -> None:
    """`up` without a Redis URL starts an embedded Redis and the listener, which stores a study;
    SIGINT stops both and leaves Redis's append-only file on disk."""
    dicom_port, redis_port, metrics_port = free_port(), free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SPINETRIAGE_")}
    env.update(
        SPINETRIAGE_DATA_DIR=str(tmp_path / "var"),
        SPINETRIAGE_DICOM_BIND="127.0.0.1",
        SPINETRIAGE_DICOM_PORT=str(dicom_port),
        SPINETRIAGE_EMBEDDED_REDIS_PORT=str(redis_port),
        SPINETRIAGE_LISTENER_METRICS_PORT=str(metrics_port),
        SPINETRIAGE_SPOOL_MIN_FREE_BYTES="0",
    )
    log_path = tmp_path / "up.log"
    up = spawn("up", env, log_path)
    try:
        wait_for(lambda: listening(dicom_port))
        assert listening(redis_port)
        ae = AE(ae_title="PACS")
        ae.add_requested_context(Verification)
        ae.add_requested_context("1.2.840.10008.5.1.4.1.1.4")
        assoc = ae.associate("127.0.0.1", dicom_port, ae_title="SPINETRIAGE")
        (path,) = write_mr_series(tmp_path / "s", SeriesSpec(instances=1, rows=16, columns=16))
        assert int(assoc.send_c_store(path).Status) == 0
        assoc.release()
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    text = log_path.read_text()
    assert f"SPINETRIAGE@127.0.0.1:{dicom_port}" in text
    assert up.returncode == 128 + signal.SIGINT
    assert not listening(dicom_port)
    assert not listening(redis_port)
    assert list((tmp_path / "var" / "spool").rglob("*.dcm"))
    assert list((tmp_path / "var" / "redis").rglob("*.aof*"))
