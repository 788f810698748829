"""`spinetriage send` and `spinetriage demo` against a real listener over loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from redis import Redis

from spinetriage import keys
from spinetriage.dicom_send import AssociationRefusedError, send_folder
from tests.conftest import DemoStudy, ListenerProcess
from tests.support import study_uid_of, wait_for

StartListener = Callable[..., ListenerProcess]


def test_send_stores_every_dicom_file_and_skips_the_rest(
    start_listener: StartListener, demo_studies: list[DemoStudy], tmp_path: Path, redis: Redis
) -> None:
    """Every DICOM file under the folder is stored, each as it was written (JPEG 2000 included);
    a file that is not DICOM is skipped and counted."""
    folder = tmp_path / "study"
    shutil.copytree(demo_studies[0].folder, folder / "dicom")
    (folder / "README.txt").write_text("not DICOM")
    listener = start_listener()
    report = send_folder(folder, "127.0.0.1", listener.port, "SPINETRIAGE")
    sent = sorted((folder / "dicom").iterdir())
    assert (report.sent, report.failed, report.skipped) == (len(sent), [], [folder / "README.txt"])
    assert len(listener.spooled_files()) == len(sent)
    assert report.last_response_at > 0


def test_send_names_a_node_that_refuses(
    start_listener: StartListener, demo_studies: list[DemoStudy]
) -> None:
    """A node that refuses the association is reported as such, not as a silent success."""
    listener = start_listener(dicom_allowed_calling_aes="PACS")
    with pytest.raises(AssociationRefusedError, match="refused"):
        send_folder(demo_studies[0].folder, "127.0.0.1", listener.port, "SPINETRIAGE")


def test_demo_sends_its_three_studies(
    start_listener: StartListener, demo_studies: list[DemoStudy], redis: Redis
) -> None:
    """`spinetriage demo` sends the routine studies, then the critical one, to the listener."""
    listener = start_listener()
    root = demo_studies[0].folder.parent.parent
    env = {**os.environ, "SPINETRIAGE_LOG_LEVEL": "warning"}
    command = ["demo", "--port", str(listener.port), "--out", str(root)]
    done = subprocess.run(
        [sys.executable, "-m", "spinetriage", *command],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    uids = [study_uid_of(sorted(study.folder.iterdir())) for study in demo_studies]
    wait_for(lambda: all(redis.exists(keys.study(uid)) for uid in uids))
    assert done.stdout.count("sent ") == 3
    assert "made critical" in done.stdout.splitlines()[2]
