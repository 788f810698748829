"""A small sagittal T2 spine drawn with numpy: a straight canal of CSF around a cord, vertebral
bodies with discs in front of it, laminae behind, and optionally an epidural mass behind the sac.

Canonical axes: z head to feet (1 mm rows), y front to back (0.5 mm), x right to left (3 mm)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from workers.analysis.volume import CanonicalVolume

SPACING_MM = (1.0, 0.5, 3.0)
SHAPE = (300, 160, 9)
CANAL_Y = 100  # row of the canal's centre (pixels)
SAC_HALF_MM = 6.0
CORD_HALF_MM = 3.5
CANAL_HALF_MM = 8.0
HALF_WIDTH_X = 2  # the sac spans the midline slice and two either side
SEGMENT_MM = 24  # body 19 mm + disc 5 mm
DISC_MM = 5
FIRST_DISC_MM = 20
# T2-like signal (CSF = 1000)
CSF, CORD, FAT, MARROW, NUCLEUS, CORTEX, MUSCLE, MASS = 1000, 380, 700, 450, 780, 30, 170, 480


def disc_tops_mm() -> list[int]:
    """Rows where each disc starts."""
    return list(range(FIRST_DISC_MM, SHAPE[0] - DISC_MM, SEGMENT_MM))


def spine(
    mass_rows: tuple[int, int] | None = None, mass_mm: float = 0.0, seed: int = 0
) -> NDArray[np.float32]:
    """Voxels of the synthetic spine; a posterior mass ``mass_mm`` thick over ``mass_rows``."""
    rng = np.random.default_rng(seed)
    voxels = np.full(SHAPE, MUSCLE, dtype=np.float32)
    y_mm = np.asarray((np.arange(SHAPE[1]) - CANAL_Y) * SPACING_MM[1], dtype=np.float64)
    body = (y_mm < -CANAL_HALF_MM - 1) & (y_mm > -CANAL_HALF_MM - 25)
    voxels[:, body, :] = MARROW
    for top in disc_tops_mm():
        voxels[top - 1, body, :] = CORTEX
        voxels[top : top + DISC_MM, body, :] = NUCLEUS
        voxels[top + DISC_MM, body, :] = CORTEX
    canal = np.abs(y_mm) <= CANAL_HALF_MM
    lamina = (y_mm > CANAL_HALF_MM) & (y_mm <= CANAL_HALF_MM + 5)
    centre = SHAPE[2] // 2
    sides = slice(centre - HALF_WIDTH_X, centre + HALF_WIDTH_X + 1)
    voxels[:, canal, sides] = FAT
    voxels[:, lamina, sides] = CORTEX
    voxels[:, np.abs(y_mm) <= SAC_HALF_MM, sides] = CSF
    voxels[:, np.abs(y_mm) <= CORD_HALF_MM, sides] = CORD
    if mass_rows is not None:
        _draw_mass(voxels, y_mm, mass_rows, mass_mm, sides)
    voxels += rng.normal(0.0, 15.0, SHAPE).astype(np.float32)
    return voxels


def _draw_mass(
    voxels: NDArray[np.float32],
    y_mm: NDArray[np.float64],
    rows: tuple[int, int],
    thickness_mm: float,
    sides: slice,
) -> None:
    """Tissue from the back wall forwards; the cord is pushed but kept in front of it."""
    front_of_mass = CANAL_HALF_MM - thickness_mm
    inside = (y_mm > front_of_mass) & (y_mm <= CANAL_HALF_MM)
    voxels[rows[0] : rows[1], inside, sides] = MASS


def volume(voxels: NDArray[np.float32]) -> CanonicalVolume:
    return CanonicalVolume(
        voxels=voxels,
        spacing_mm=SPACING_MM,
        source_axes=(0, 1, 2),
        flipped=(False, False, False),
        obliquity_deg=0.0,
        source_shape=(voxels.shape[0], voxels.shape[1], voxels.shape[2]),
    )
