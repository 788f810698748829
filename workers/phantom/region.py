"""A subset of the points being labelled, so that each part of the anatomy is evaluated only
where it can be: a region holds the indices of its points into the flat label array, their
coordinates in the spine's frame, and paints labels back through those indices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from workers.phantom.floats import Floats


@dataclass(frozen=True)
class Region:
    out: NDArray[np.uint8]  # the flat label array of all points
    index: NDArray[np.intp]
    s: Floats
    u: Floats
    v: Floats
    depth: Floats  # below the skin (mm)

    @classmethod
    def everything(
        cls, out: NDArray[np.uint8], s: Floats, u: Floats, v: Floats, depth: Floats
    ) -> Region:
        return cls(out, np.arange(out.size), s, u, v, depth)

    def __len__(self) -> int:
        return int(self.index.size)

    def sub(self, mask: NDArray[np.bool_]) -> Region:
        return Region(
            self.out, self.index[mask], self.s[mask], self.u[mask], self.v[mask], self.depth[mask]
        )

    def paint(self, mask: NDArray[np.bool_], tissue: int) -> None:
        self.out[self.index[mask]] = tissue

    def paint_all(self, tissue: int) -> None:
        self.out[self.index] = tissue

    def labels(self) -> NDArray[np.uint8]:
        result: NDArray[np.uint8] = self.out[self.index]
        return result


def distance(a: Floats, b: Floats) -> Floats:
    """Euclidean norm of two components (np.hypot is several times slower)."""
    result: Floats = np.sqrt(a * a + b * b)
    return result
