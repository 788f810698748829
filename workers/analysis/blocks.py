"""Block sums over strided views, for coarsening volumes quickly."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def strided_sum(values: NDArray[np.floating], axis: int, step: int) -> NDArray[np.float32]:
    """Sums of each ``step`` neighbouring samples along ``axis`` (a partial block at the end is
    left out), added one offset at a time in float32: much faster than numpy's reductions over
    the loader's transposed views, and the same result bit for bit whatever the layout."""
    count = values.shape[axis] // step

    def every(offset: int) -> NDArray[np.floating]:
        index: list[slice] = [slice(None)] * values.ndim
        index[axis] = slice(offset, count * step, step)
        return values[tuple(index)]

    total = every(0).astype(np.float32)
    for offset in range(1, step):
        total += every(offset)
    return total
