"""The per-voxel canal score: how much a voxel looks like the middle of the canal's CSF band.

In fluid contrast (CSF high) the canal is brighter than the tissue a centimetre in front and
behind it (vertebral bodies; laminae and muscle) and than the same place a centimetre and a half
to either side (pedicles, foramina). The score adds both contrasts of a band of the canal's
middle, after a little smoothing against noise. Every step is a filter along z or y, so a block
of rows and columns scores as the whole image does away from its edges (``score_reach_px``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

Floats = NDArray[np.float64]

IN_PLANE_SMOOTHING_MM = 1.0  # noise down, a 2 mm CSF rim still stands out
ALONG_SMOOTHING_MM = 1.5
BAND_HALF_MM = 4.0  # the sac is about 8-14 mm deep: score a band of its middle
FLANK_MM = (6.0, 12.0)  # bone in front of the canal, laminae and muscle behind it
LATERAL_OFFSET_MM = 15.0  # beyond the sac's half-width: pedicles and foramina
GAUSSIAN_TRUNCATE = 4.0  # scipy's default: a Gaussian kernel reaches this many sigmas
FAR_SCORE = -1e3  # below any score: where the canal may not be


def band_mean(image: NDArray[np.float32], low_mm: float, high_mm: float, dy_mm: float) -> Floats:
    """Mean of ``image`` over y offsets from ``low_mm`` to ``high_mm`` around every voxel."""
    first, last = round(low_mm / dy_mm), round(high_mm / dy_mm)
    mean = ndimage.uniform_filter1d(image, last - first + 1, axis=1, mode="nearest")
    shifted: Floats = np.roll(mean, -(first + last) // 2, axis=1)
    return shifted


def contrast(
    fluid: NDArray[np.float32], dy_mm: float, dx_mm: float, columns: NDArray[np.intp]
) -> Floats:
    """Unsmoothed canal contrast on the slices ``columns`` of ``fluid`` (z, y, x in fluid
    contrast): a band's mean against its front/back flanks plus against the same band on the
    slices a lateral offset away (the edge slice standing in beyond the edges)."""
    centres = band_mean(fluid, -BAND_HALF_MM, BAND_HALF_MM, dy_mm)
    searched = fluid[:, :, columns]
    front = band_mean(searched, -FLANK_MM[1], -FLANK_MM[0], dy_mm)
    back = band_mean(searched, FLANK_MM[0], FLANK_MM[1], dy_mm)
    offset = max(1, round(LATERAL_OFFSET_MM / dx_mm))
    last = fluid.shape[2] - 1
    left = centres[:, :, np.clip(columns - offset, 0, last)]
    right = centres[:, :, np.clip(columns + offset, 0, last)]
    centre = centres[:, :, columns]
    result: Floats = (centre - 0.5 * (front + back)) + (centre - 0.5 * (left + right))
    return result


def canal_score(
    fluid: NDArray[np.float32],
    spacing_mm: tuple[float, float, float],
    columns: NDArray[np.intp],
    y_range: slice = slice(None),
) -> Floats:
    """Canal likeness on the slices ``columns`` of ``fluid`` and its y positions ``y_range``
    (whose ends are not exact within the in-plane smoothing's reach): the contrast of the
    smoothed image. Every step is a linear filter along z, along y or across slices, so the
    smoothing is applied last, to the fewer contrast values (the same but near the edges)."""
    dz, dy, dx = spacing_mm
    values = contrast(fluid, dy, dx, columns)[:, y_range]
    smooth: Floats = ndimage.gaussian_filter(
        values, (ALONG_SMOOTHING_MM / dz, IN_PLANE_SMOOTHING_MM / dy, 0)
    )
    return smooth


def smoothing_reach_px(spacing_mm: tuple[float, float, float]) -> tuple[int, int]:
    """Rows and columns (z, y) beyond a voxel that its smoothing reads."""
    dz, dy, _ = spacing_mm
    rows = int(GAUSSIAN_TRUNCATE * ALONG_SMOOTHING_MM / dz + 0.5)
    return rows, int(GAUSSIAN_TRUNCATE * IN_PLANE_SMOOTHING_MM / dy + 0.5)


def score_reach_px(spacing_mm: tuple[float, float, float]) -> tuple[int, int]:
    """Rows and columns (z, y) beyond a voxel whose fluid contrast its score depends on."""
    rows, smoothing = smoothing_reach_px(spacing_mm)
    return rows, smoothing + round(FLANK_MM[1] / spacing_mm[1]) + 2
