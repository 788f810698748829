"""What each tissue looks like: relative MR signal per sequence and CT attenuation (HU).

MR values are relative (0..1, CSF on T2 = 1); a series scales them to its own stored range.
They follow the usual spin-echo contrasts: on T1 fat is bright and CSF dark; on T2 CSF and disc
nucleus are bright, muscle dark; STIR nulls fat; flowing blood is a void on all of them. Marrow
depends on how fatty it is (age, marrow disease)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from workers.phantom.tissues import TISSUE_COUNT, Tissue

Sequence = Literal["T1", "T2", "STIR", "T1_contrast", "CT"]

#            T1    T2    STIR  T1C(fs)  texture
_MR: dict[Tissue, tuple[float, float, float, float, float]] = {
    Tissue.AIR: (0.0, 0.0, 0.0, 0.0, 0.0),
    Tissue.FAT: (0.95, 0.72, 0.05, 0.07, 0.04),
    Tissue.MUSCLE: (0.33, 0.17, 0.2, 0.22, 0.06),
    Tissue.CORTEX: (0.03, 0.03, 0.03, 0.03, 0.0),
    Tissue.MARROW: (0.0, 0.0, 0.0, 0.0, 0.12),  # from the marrow's fat, see below
    Tissue.ANNULUS: (0.28, 0.13, 0.17, 0.2, 0.04),
    Tissue.NUCLEUS: (0.36, 0.78, 0.82, 0.24, 0.05),
    Tissue.EPIDURAL_FAT: (0.92, 0.7, 0.06, 0.12, 0.05),
    Tissue.CSF: (0.1, 1.0, 1.0, 0.08, 0.02),
    Tissue.CORD: (0.45, 0.38, 0.4, 0.36, 0.03),
    Tissue.NERVE: (0.42, 0.32, 0.36, 0.34, 0.03),
    Tissue.LUNG: (0.02, 0.02, 0.03, 0.02, 0.3),
    Tissue.BLOOD: (0.04, 0.03, 0.05, 0.1, 0.2),
    Tissue.BRAIN: (0.48, 0.42, 0.45, 0.38, 0.04),
    Tissue.SOFT: (0.4, 0.36, 0.45, 0.42, 0.1),
    Tissue.METASTASIS: (0.34, 0.62, 0.72, 0.8, 0.1),
    Tissue.EMH: (0.4, 0.46, 0.52, 0.44, 0.09),
    Tissue.TUMOUR_MARROW: (0.24, 0.62, 0.74, 0.72, 0.1),
    Tissue.HEMANGIOMA: (0.9, 0.88, 0.55, 0.6, 0.12),
    Tissue.CSF_FLOW: (0.1, 0.28, 0.35, 0.08, 0.15),
    Tissue.LIGAMENT: (0.06, 0.05, 0.06, 0.06, 0.0),
    Tissue.DEGENERATE_NUCLEUS: (0.32, 0.2, 0.24, 0.22, 0.05),
}
_COLUMN = {"T1": 0, "T2": 1, "STIR": 2, "T1_contrast": 3}

#  mean HU, texture SD (HU)
_CT: dict[Tissue, tuple[float, float]] = {
    Tissue.AIR: (-1000.0, 0.0),
    Tissue.FAT: (-100.0, 6.0),
    Tissue.MUSCLE: (50.0, 6.0),
    Tissue.CORTEX: (0.0, 60.0),  # from the study's bone density, see below
    Tissue.MARROW: (0.0, 45.0),
    Tissue.ANNULUS: (90.0, 6.0),
    Tissue.NUCLEUS: (75.0, 6.0),
    Tissue.EPIDURAL_FAT: (-95.0, 8.0),
    Tissue.CSF: (8.0, 3.0),
    Tissue.CORD: (35.0, 3.0),
    Tissue.NERVE: (33.0, 3.0),
    Tissue.LUNG: (-850.0, 40.0),
    Tissue.BLOOD: (45.0, 4.0),
    Tissue.BRAIN: (35.0, 4.0),
    Tissue.SOFT: (40.0, 10.0),
    Tissue.METASTASIS: (48.0, 8.0),
    Tissue.EMH: (45.0, 8.0),
    Tissue.TUMOUR_MARROW: (55.0, 15.0),
    Tissue.HEMANGIOMA: (-20.0, 60.0),  # fat between thickened trabeculae
    Tissue.CSF_FLOW: (8.0, 3.0),
    Tissue.LIGAMENT: (80.0, 5.0),
    Tissue.DEGENERATE_NUCLEUS: (85.0, 8.0),
}
# Marrow signal from its fat fraction f (0 red, 1 fatty): T1, T2, STIR, T1C as a + b * f.
MARROW_MR = ((0.3, 0.55), (0.28, 0.32), (0.32, -0.22), (0.3, -0.15))
CANCELLOUS_HU = (300.0, -150.0)  # cancellous bone a + b * f: 300 HU young, 150 HU fatty


@dataclass(frozen=True)
class Contrast:
    """Per-tissue mean and texture amplitude for one sequence, as lookup tables."""

    mean: NDArray[np.float32]
    texture: NDArray[np.float32]


def mr_contrast(sequence: Sequence, marrow_fat: float) -> Contrast:
    column = _COLUMN[sequence]
    mean = np.zeros(TISSUE_COUNT, dtype=np.float32)
    texture = np.zeros(TISSUE_COUNT, dtype=np.float32)
    for tissue, values in _MR.items():
        mean[tissue] = values[column]
        texture[tissue] = values[4]
    a, b = MARROW_MR[column]
    mean[Tissue.MARROW] = a + b * marrow_fat
    return Contrast(mean, texture)


def ct_contrast(marrow_fat: float, cortical_hu: float) -> Contrast:
    mean = np.zeros(TISSUE_COUNT, dtype=np.float32)
    texture = np.zeros(TISSUE_COUNT, dtype=np.float32)
    for tissue, (hu, sd) in _CT.items():
        mean[tissue], texture[tissue] = hu, sd
    a, b = CANCELLOUS_HU
    mean[Tissue.MARROW] = a + b * marrow_fat
    mean[Tissue.CORTEX] = cortical_hu
    return Contrast(mean, texture)
