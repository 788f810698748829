"""The array type of coordinates, sizes and signals throughout the phantom (float32 where speed
matters, float64 where precision does: both are ``Floats``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.floating[Any]]
Heights = float | np.floating[Any] | Floats  # heights s along the spine, one or many
