"""A real PACS in front of the service: Orthanc receives the studies from a modality (dcmtk's
storescu) and forwards each stable study to the listener by itself; the workers put them on the
worklist, the study with cord compression first."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from redis import Redis

from spinetriage import keys
from spinetriage.worklist import WorklistStore
from spinetriage.worklist_item import OUTCOMES, WorklistItem
from tests.conftest import DemoStudy, ListenerProcess
from tests.pipeline.orthanc import AE_TITLE, orthanc_binary, running_orthanc
from tests.support import dcmtk_tools, wait_for

TOOLS = dcmtk_tools("storescu")
orthanc_binary()
pytestmark = pytest.mark.dcmtk
ANALYSED_WITHIN_S = 90.0


def analysed(store: WorklistStore, count: int) -> list[WorklistItem] | None:
    items = store.items()
    finished = [item for item in items if item.status in OUTCOMES]
    return items if len(finished) == count else None


def test_orthanc_forwards_stable_studies_to_the_worklist(
    start_listener: Callable[..., ListenerProcess],
    start_worker: Callable[..., object],
    demo_studies: list[DemoStudy],
    redis: Redis,
    tmp_path: Path,
) -> None:
    """Studies sent to Orthanc reach the worklist through Orthanc's own forwarding, analysed,
    with the compressing study first and its levels named."""
    listener = start_listener()
    start_worker(spool_dir=listener.spool)
    with running_orthanc(tmp_path / "orthanc", listener.port, "SPINETRIAGE") as orthanc:
        for study in demo_studies:
            subprocess.run(
                [TOOLS["storescu"], "-aec", AE_TITLE, "-xv", "+sd", "127.0.0.1",
                 str(orthanc.dicom_port), str(study.folder)],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
        assert len(orthanc.studies()) == len(demo_studies)
        items = wait_for(lambda: analysed(WorklistStore(redis), 3), ANALYSED_WITHIN_S)
    first, *others = items
    assert (first.status, first.priority, first.suspected_compression) == ("done", "critical", True)
    epidural = first.findings[0]
    assert (epidural.type, epidural.from_level, epidural.to_level) == ("epidural_mass", "T3", "T8")
    assert [item.priority for item in others] == ["routine", "routine"]
    senders = {redis.hget(keys.study(item.study_instance_uid), "calling_ae") for item in items}
    assert senders == {AE_TITLE.encode()}
