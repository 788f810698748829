"""A phantom study written once per session, and real worker processes (``start_worker``),
each on a metrics port of its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from workers.phantom import named_case, write_case
from workers.phantom.truth import DICOM_DIR, StudyTruth

# Epidural mass T4-T6 (Bilsky 1c) and a left paraspinal mass: two findings, a few seconds to
# write, under a second to analyse.
PHANTOM_CASE = "sickle_t4_t6"


@dataclass(frozen=True)
class PhantomStudy:
    folder: Path
    truth: StudyTruth

    @property
    def files(self) -> list[Path]:
        return sorted(self.folder.iterdir())


@pytest.fixture(scope="session")
def phantom_study(tmp_path_factory: pytest.TempPathFactory) -> PhantomStudy:
    case_dir = tmp_path_factory.mktemp("worker_phantom") / PHANTOM_CASE
    truth = write_case(named_case(PHANTOM_CASE), case_dir)
    return PhantomStudy(case_dir / DICOM_DIR, truth)
