"""Cases written once per test session: each is a few seconds of rendering, shared by the tests
that read files. Seeds have five digits so that a leaked seed would be recognisable."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import FileDataset

from workers.phantom import case_for, write_case
from workers.phantom.case_spec import CaseSpec
from workers.phantom.truth import DICOM_DIR, StudyTruth

MR_EPIDURAL_SEED = 10002  # MR, cervicothoracic, epidural and paraspinal masses
MR_ENHANCED_SEED = 10082  # MR, an Enhanced MR multi-frame series, RLE lossless
MR_J2K_SEED = 10001  # MR, JPEG 2000 lossless, a three-plane localizer, disc bulges
CT_SEED = 10387  # CT, signed pixels, scout, screenshot and dose report


@dataclass(frozen=True)
class Written:
    spec: CaseSpec
    truth: StudyTruth
    case_dir: Path

    @property
    def files(self) -> list[Path]:
        return sorted((self.case_dir / DICOM_DIR).iterdir())

    def series(self) -> dict[str, list[FileDataset]]:
        """Every file read back, grouped by series instance UID."""
        grouped: dict[str, list[FileDataset]] = defaultdict(list)
        for path in self.files:
            ds = pydicom.dcmread(path)
            grouped[str(ds.SeriesInstanceUID)].append(ds)
        return dict(grouped)


def _write(root: Path, seed: int) -> Written:
    spec = case_for(seed)
    case_dir = root / spec.case_id
    return Written(spec, write_case(spec, case_dir), case_dir)


@pytest.fixture(scope="session")
def mr_epidural(tmp_path_factory: pytest.TempPathFactory) -> Written:
    return _write(tmp_path_factory.mktemp("mr_epidural"), MR_EPIDURAL_SEED)


@pytest.fixture(scope="session")
def mr_enhanced(tmp_path_factory: pytest.TempPathFactory) -> Written:
    return _write(tmp_path_factory.mktemp("mr_enhanced"), MR_ENHANCED_SEED)


@pytest.fixture(scope="session")
def mr_j2k(tmp_path_factory: pytest.TempPathFactory) -> Written:
    return _write(tmp_path_factory.mktemp("mr_j2k"), MR_J2K_SEED)


@pytest.fixture(scope="session")
def ct(tmp_path_factory: pytest.TempPathFactory) -> Written:
    return _write(tmp_path_factory.mktemp("ct"), CT_SEED)


@pytest.fixture(scope="session")
def written(
    mr_epidural: Written, mr_enhanced: Written, mr_j2k: Written, ct: Written
) -> list[Written]:
    return [mr_epidural, mr_enhanced, mr_j2k, ct]
