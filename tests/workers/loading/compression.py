"""A smooth test series and a way to compare a compressed copy of it with the original."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tests.workers.loading.builders import SeriesSpec, WrittenSeries, write_series
from workers.loading import load_study

# Big enough for JPEG 2000's default five decompositions (32 pixels a side), small enough to
# stay fast.
ROWS, COLUMNS, SLICES = 48, 40, 4


def smooth_pixels(spec: SeriesSpec) -> NDArray[np.int32]:
    """Anatomy-like smooth values (lossy codecs are meant for those, not for noise), with
    each slice distinct so that a mix-up shows."""
    k, y, x = np.mgrid[0 : spec.slices, 0 : spec.rows, 0 : spec.columns]
    wave = np.sin(x / 5.0) * np.cos(y / 7.0)
    top = 240 if spec.bits == 8 else 4000
    values = top * (0.5 + 0.3 * wave + 0.04 * k)
    pixels: NDArray[np.int32] = np.clip(np.rint(values), 0, top).astype(np.int32)
    return pixels


def write_smooth_series(folder: Path, bits: int, **tags: object) -> WrittenSeries:
    spec = SeriesSpec(slices=SLICES, rows=ROWS, columns=COLUMNS, bits=bits).with_tags(**tags)
    return write_series(folder, spec, pixels=smooth_pixels(spec))


def loaded_voxels(folder: Path) -> NDArray[np.float32]:
    study = load_study(folder)
    assert len(study.series) == 1, study.uses
    return study.series[0].volume.voxels


def relative_error(voxels: NDArray[np.float32], original: NDArray[np.int32]) -> tuple[float, float]:
    """Mean and largest absolute difference, as fractions of the original's range."""
    difference = np.abs(voxels.astype(np.float64) - original)
    span = float(np.ptp(original))
    return float(difference.mean()) / span, float(difference.max()) / span
