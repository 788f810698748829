"""Tissue labels: what the phantom puts at each point before any sequence gives it a signal.

Labels are small integers so that a whole slice of them is a ``uint8`` array and intensities are
one table lookup. The order is part of the rendering (lookup tables are indexed by it)."""

from __future__ import annotations

from enum import IntEnum


class Tissue(IntEnum):
    AIR = 0
    FAT = 1
    MUSCLE = 2
    CORTEX = 3
    MARROW = 4
    ANNULUS = 5
    NUCLEUS = 6
    EPIDURAL_FAT = 7
    CSF = 8
    CORD = 9
    NERVE = 10
    LUNG = 11
    BLOOD = 12
    BRAIN = 13
    SOFT = 14
    METASTASIS = 15
    EMH = 16
    TUMOUR_MARROW = 17
    HEMANGIOMA = 18
    CSF_FLOW = 19
    LIGAMENT = 20
    DEGENERATE_NUCLEUS = 21


TISSUE_COUNT = len(Tissue)
MASS_TISSUES = (Tissue.METASTASIS, Tissue.EMH)
# What the thecal sac holds: CSF (also where pulsation darkens it), nerve roots and the cord.
SAC_TISSUES = (Tissue.CSF, Tissue.CSF_FLOW, Tissue.NERVE, Tissue.CORD)
CSF_TISSUES = (Tissue.CSF, Tissue.CSF_FLOW)
