"""What reading one series yields, in that series' canonical voxels (``CanonicalVolume``: z from
head to feet, y from front to back, x from the patient's right to left).

A reader finds the vertebral segments it can see and the masses; the study analysis then names
levels across series (a segment is a vertebral body and the disc below it, as the contract
counts them) and merges what several series saw into findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from spinetriage.triage import BilskyGrade, FindingType, Side

Anchor = Literal["skull_base", "sacrum"]


@dataclass(frozen=True)
class Segment:
    """A vertebral body and the disc below it, as canonical z (fractional slice index) at the
    canal: ``top_z`` at the body's upper endplate, ``bottom_z`` at the next body's upper
    endplate. ``name`` is the contract level (C1..S1) when the reader counted from an anchor."""

    top_z: float
    bottom_z: float
    name: str | None = None


@dataclass(frozen=True)
class Detection:
    """One mass as one series shows it."""

    type: FindingType
    z_range: tuple[int, int]  # first and last canonical z where the mass is seen
    side: Side | None
    max_thickness_mm: float
    canal_compromise_pct: float | None  # epidural masses: loss of thecal sac AP, percent
    bilsky_grade: BilskyGrade | None  # epidural masses only
    confidence: float
    key_voxel: tuple[int, int, int]  # canonical (z, y, x) of the section that shows it best
    box: tuple[int, int, int, int, int, int]  # canonical z0, y0, x0, z1, y1, x1, inclusive


@dataclass(frozen=True)
class FatQuestion:
    """A doubtful epidural mass: as bright as fat on T2 without fat suppression, or thin;
    perhaps the canal's own fat. The study makes it a detection only where a T1 series shows
    its tissue unlike the canal's fat beside it. Points are fractional canonical (z, y, x)
    voxels, one per row."""

    detection: Detection
    # in the middle of the mass's tissue: one set per side it is read on, in front of and
    # behind the sac for a circumferential mass (the canal's own fat may fill the other side)
    mass_points: tuple[NDArray[np.float64], ...]
    fat_points: NDArray[np.float64]  # in the middle of the canal's fat above and below it


@dataclass(frozen=True)
class SacSide:
    """Where the canal's fat lies behind (or in front of) the thecal sac on a sagittal fluid
    series, for a T1 series to look at (``fat_check``). On T2 a thin mass is about as bright as
    the fat it replaces and narrows the sac by a millimetre, within the fat's own variation; on
    T1 it is plain: tissue, not fat, against the sac. Per row from ``first_row`` on the midline
    (NaN rows: no sac edge found or not read): points just outside the sac on ``side``, and
    what the series measured there for a detection's report."""

    side: Literal["anterior", "posterior"]
    first_row: int
    points: NDArray[np.float64]  # (rows, depths, 3): fractional canonical (z, y, x)
    tissue_mm: NDArray[np.float64]  # epidural tissue between the sac and the bony wall
    sac_loss_pct: NDArray[np.float64]  # the sac's AP lost against its usual depth
    centre: NDArray[np.intp]  # (rows, 3): canonical (z, y, x) of the canal's centre
    box_y: NDArray[np.intp]  # (rows, 2): first and last canonical y of a detection's box


@dataclass(frozen=True)
class DorsalCsf:
    """Where the CSF behind the cord usually lies, over the rows of an epidural mass a sagittal
    fluid series found behind the sac, and the cord's middle on the rows with CSF beside them:
    for a T1 series to tell tissue from CSF whose flow left no signal on T2 or STIR
    (``flow_check``). Points are fractional canonical (z, y, x) voxels, one per row."""

    detection: Detection
    mass_points: NDArray[np.float64]
    cord_points: NDArray[np.float64]


@dataclass(frozen=True)
class SeriesReading:
    segments: tuple[Segment, ...]  # top to bottom
    anchor: Anchor | None  # what the names were counted from; None: segments are unnamed
    detections: tuple[Detection, ...]
    note: str = ""  # why nothing could be read, for the series' reason ("canal not found")
    fat_questions: tuple[FatQuestion, ...] = ()
    beside_sac: tuple[SacSide, ...] = ()  # behind the sac, then in front of it
    dorsal_csf: tuple[DorsalCsf, ...] = ()  # one per detection behind the sac, where measured

    @property
    def epidural_seen(self) -> tuple[Detection, ...]:
        """The epidural masses this series saw or asked about."""
        asked = (q.detection for q in self.fat_questions)
        return tuple(d for d in (*self.detections, *asked) if d.type == "epidural_mass")
