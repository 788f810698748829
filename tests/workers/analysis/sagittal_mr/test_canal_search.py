"""The canal search's shortcuts (coarse grid, full-resolution band, block-wise scores) and the
vectorised row measures, checked against the plain computations they stand for."""

from __future__ import annotations

import numpy as np
import pytest

from tests.workers.analysis.sagittal_mr import synthetic
from workers.analysis.sagittal_mr.canal import (
    REFINE_HALF_PX,
    block_means,
    fluid_factor,
    refined_band,
    search_slices,
)
from workers.analysis.sagittal_mr.canal_score import FAR_SCORE, canal_score
from workers.analysis.sagittal_mr.sections import measure_rows
from workers.analysis.sagittal_mr.straighten import Straightened


def test_band_scores_equal_the_whole_image_scores() -> None:
    """Scores computed block by block in the band equal those of the whole slab there."""
    voxels = synthetic.spine()
    factor = fluid_factor(voxels, "T2")
    search = search_slices(voxels.shape[2], synthetic.SPACING_MM[2])
    first_y = np.full(voxels.shape[0], synthetic.CANAL_Y - REFINE_HALF_PX, dtype=np.intp)
    band = refined_band(voxels, factor, synthetic.SPACING_MM, search, first_y)
    slab = (voxels[:, :, search.first : search.stop] * np.float32(factor)).astype(np.float32)
    whole = canal_score(slab, synthetic.SPACING_MM, search.relative)
    expected = whole[:, synthetic.CANAL_Y - REFINE_HALF_PX : synthetic.CANAL_Y + REFINE_HALF_PX + 1]
    assert np.all(band > FAR_SCORE)
    assert np.allclose(band, expected, atol=1e-4)


@pytest.mark.parametrize("shape", [(4, 6, 2), (5, 7, 3)])
def test_block_means_average_two_by_two_pixels(shape: tuple[int, int, int]) -> None:
    """Each coarse pixel is the mean of its 2x2 in-plane pixels; odd ends are left out."""
    voxels = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    rows, columns = shape[0] // 2, shape[1] // 2
    expected = voxels[: 2 * rows, : 2 * columns].reshape(rows, 2, columns, 2, shape[2])
    assert np.allclose(block_means(voxels), expected.mean(axis=(1, 3)))


def straightened(rows: list[str]) -> Straightened:
    """Rows drawn as text: 'C' CSF, 'd' dark, '.' tissue in between, 0.5 mm per sample."""
    signal = {"C": 1.0, "d": 0.1, ".": 0.5}
    values = np.array([[signal[c] for c in row] for row in rows])
    u_mm = (np.arange(values.shape[1]) - values.shape[1] // 2) * 0.5
    return Straightened(values=values, u_mm=u_mm)


@pytest.mark.parametrize(
    ("row", "cord_mm"),
    [
        ("dd..CCCC........CCCC..dd", (-2.0, 1.5)),  # the cord between two CSF runs
        ("dd..CCCCCCCCCCCCCCCC..dd", None),  # one unbroken run: no cord
        ("dd..CC..CCC......CCC..dd", (-0.5, 2.0)),  # the longest gap, not the first
        ("dd..CCCC.CCCCCCCCCCC..dd", None),  # a gap shorter than a cord
    ],
)
def test_cord_is_the_longest_gap_inside_the_sac(
    row: str, cord_mm: tuple[float, float] | None
) -> None:
    """The cord is the longest non-CSF stretch between the sac's first and last CSF samples."""
    straight = straightened([row] * 3)
    measures = measure_rows(straight, np.ones(3), dz_mm=1.0)
    found = (float(measures.cord_front[1]), float(measures.cord_back[1]))
    if cord_mm is None:
        assert np.isnan(found).all()
    else:
        assert found == cord_mm


def test_walls_are_the_first_dark_samples_outside_the_sac() -> None:
    """The walls are the nearest dark samples beyond the sac's ends, NaN with none in reach."""
    straight = straightened(["d...CCCC....CCCC........", "........................"])
    measures = measure_rows(straight, np.ones(2), dz_mm=100.0)
    assert (measures.sac_front[0], measures.sac_back[0]) == (-4.0, 1.5)
    assert measures.wall_front[0] == -6.0
    assert np.isnan(measures.wall_back[0])
    assert np.isnan(measures.sac_front[1])
