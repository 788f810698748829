"""JPEG 2000 (which dcmtk cannot write) and multi-frame compressed files, encoded by pydicom's
own encoders, decode to the original voxels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import JPEG2000, UID, JPEG2000Lossless, RLELossless

from tests.workers.loading.builders import SeriesSpec
from tests.workers.loading.compression import (
    COLUMNS,
    ROWS,
    loaded_voxels,
    relative_error,
    write_smooth_series,
)
from tests.workers.loading.enhanced import STIR_MACROS, write_enhanced

# Lossy JPEG 2000 at a 50 dB target: mean error under 1 % and none over 5 % of the range.
LOSSY_MEAN, LOSSY_MAX = 0.01, 0.05


def compress_in_place(paths: list[Path], syntax: UID, psnr_db: float | None = None) -> None:
    """Compress each file in place; ``psnr_db`` makes JPEG 2000 lossy at that quality."""
    for path in paths:
        ds = dcmread(path)
        if psnr_db is None:
            ds.compress(syntax)
        else:
            ds.compress(syntax, j2k_psnr=[psnr_db])
        ds.save_as(path)


@pytest.mark.parametrize("syntax", [JPEG2000Lossless, RLELossless])
def test_lossless_pydicom_encodings_decode_exactly(tmp_path: Path, syntax: UID) -> None:
    """JPEG 2000 lossless and RLE copies load to exactly the stored values."""
    written = write_smooth_series(tmp_path, 16, BitsStored=12, HighBit=11)
    compress_in_place(written.paths, syntax)
    np.testing.assert_array_equal(loaded_voxels(tmp_path), written.pixels)


def test_lossy_jpeg_2000_decodes_nearly_exactly(tmp_path: Path) -> None:
    """A lossy JPEG 2000 copy loads within a small fraction of the original's range."""
    written = write_smooth_series(tmp_path, 16, BitsStored=12, HighBit=11)
    compress_in_place(written.paths, JPEG2000, psnr_db=50.0)
    mean, largest = relative_error(loaded_voxels(tmp_path), written.pixels)
    assert mean < LOSSY_MEAN
    assert largest < LOSSY_MAX


@pytest.mark.parametrize("syntax", [JPEG2000Lossless, RLELossless])
def test_compressed_multi_frame_decodes_frame_by_frame(tmp_path: Path, syntax: UID) -> None:
    """Every frame of a compressed enhanced MR file lands in its position's slot."""
    spec = SeriesSpec(slices=5, rows=ROWS, columns=COLUMNS, bits=16)
    written = write_enhanced(tmp_path, spec, STIR_MACROS, frame_order=[4, 2, 0, 3, 1])
    compress_in_place([written.path], syntax)
    np.testing.assert_array_equal(loaded_voxels(tmp_path), written.pixels)
