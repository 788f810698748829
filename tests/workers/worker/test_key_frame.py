"""One stored frame read back for a key image (``workers.loading.key_frame``): the same pixels
the analysis saw for that slice, and which way the patient's head lies on it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.workers.worker.conftest import PhantomStudy
from workers.loading import LoadedStudy, LoaderError, load_study
from workers.loading.key_frame import key_frame


@pytest.fixture(scope="module")
def loaded(phantom_study: PhantomStudy) -> LoadedStudy:
    return load_study(phantom_study.folder)


@pytest.mark.parametrize(("plane", "head"), [("sagittal", "top"), ("axial", "across")])
def test_the_frame_is_the_slice_the_analysis_loaded(
    phantom_study: PhantomStudy, loaded: LoadedStudy, plane: str, head: str
) -> None:
    """The frame of a slice's instance equals that slice of the loaded volume, rescaled the
    same way; sagittal images have the head at the top, axial ones across."""
    series = next(s for s in loaded.series if s.plane == plane)
    index = len(series.slice_sources) // 2
    sop_uid, frame_number = series.slice_sources[index]
    frame = key_frame(phantom_study.folder, sop_uid, frame_number)
    np.testing.assert_array_equal(frame.pixels, series.volume.voxels[index])
    assert frame.head == head


def test_an_instance_not_in_the_folder_is_a_loader_error(phantom_study: PhantomStudy) -> None:
    """A SOP instance UID no file carries raises LoaderError."""
    with pytest.raises(LoaderError, match="not in the folder"):
        key_frame(phantom_study.folder, "1.2.3.4", None)


def test_a_frame_beyond_the_instance_is_a_loader_error(
    phantom_study: PhantomStudy, loaded: LoadedStudy
) -> None:
    """Frame 2 of a single-frame instance raises LoaderError."""
    sop_uid, _ = loaded.series[0].slice_sources[0]
    with pytest.raises(LoaderError, match="frame 2"):
        key_frame(phantom_study.folder, sop_uid, 2)


def test_files_need_not_be_named_after_their_instance(
    phantom_study: PhantomStudy, loaded: LoadedStudy
) -> None:
    """Outside the spool (any file names) the instance is found by its header."""
    sop_uid, frame_number = loaded.series[0].slice_sources[0]
    assert not any(p.name == f"{sop_uid}.dcm" for p in phantom_study.files)
    assert key_frame(phantom_study.folder, sop_uid, frame_number).pixels.ndim == 2
