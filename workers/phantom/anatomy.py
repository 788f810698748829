"""The patient's spine as numbers: per-segment sizes, curvature and body habitus, drawn at random
around textbook adult values. Rendering and ground truth both read this one description.

Sizes are in mm. Segments run from C1 to the fused sacral segments S2..S5 below S1 (the contract
counts the sacrum as the single level S1; S2..S5 exist only to draw it)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from spinetriage.levels import LEVELS

SEGMENTS: tuple[str, ...] = (*LEVELS, "S2", "S3", "S4", "S5")
SACRAL_FIRST = SEGMENTS.index("S1")
THORACIC = tuple(i for i, name in enumerate(SEGMENTS) if name.startswith("T"))

# Textbook adult segment sizes (mm), top to bottom: body height, disc below, body depth and
# width, canal AP and width, cord AP and width, epidural fat behind, in front of and beside the
# sac. C1 has no body (its "height" is the ring's), the cord is absent below the conus.
_NOMINAL = np.array(
    [
        # H    D     B     W     cAP   cW    kAP  kW    fD   fV   fL
        [10.0, 0.0, 10.0, 0.0, 22.0, 28.0, 8.5, 11.0, 2.0, 1.5, 3.0],  # C1
        [16.0, 4.5, 15.0, 17.0, 16.5, 25.0, 8.0, 11.0, 1.5, 0.8, 2.5],  # C2
        [13.5, 5.0, 15.5, 18.0, 15.5, 24.5, 7.6, 11.5, 1.3, 0.6, 2.5],  # C3
        [13.5, 5.0, 16.0, 19.0, 15.0, 24.5, 7.5, 12.5, 1.3, 0.6, 2.5],  # C4
        [13.5, 5.5, 16.0, 20.0, 15.0, 25.0, 7.4, 13.0, 1.3, 0.6, 2.5],  # C5
        [14.0, 5.5, 16.5, 22.0, 15.0, 24.0, 7.2, 12.5, 1.4, 0.6, 2.5],  # C6
        [15.0, 5.0, 17.0, 24.0, 15.0, 23.0, 7.0, 11.0, 1.6, 0.7, 2.5],  # C7
        [16.5, 4.5, 17.0, 27.0, 15.0, 20.0, 6.8, 9.5, 2.0, 0.7, 2.0],  # T1
        [17.5, 4.0, 18.0, 28.0, 14.5, 17.5, 6.5, 8.5, 2.5, 0.7, 1.8],  # T2
        [18.0, 4.0, 19.0, 28.0, 14.5, 16.5, 6.3, 8.0, 2.8, 0.7, 1.6],  # T3
        [18.5, 4.0, 20.0, 28.0, 14.5, 16.0, 6.2, 8.0, 3.0, 0.7, 1.6],  # T4
        [19.0, 4.5, 21.0, 29.0, 14.5, 16.0, 6.2, 8.0, 3.0, 0.7, 1.6],  # T5
        [19.5, 4.5, 22.0, 30.0, 14.5, 16.0, 6.2, 8.0, 3.0, 0.7, 1.6],  # T6
        [20.0, 5.0, 23.0, 31.0, 14.5, 16.0, 6.2, 8.0, 3.0, 0.7, 1.6],  # T7
        [21.0, 5.0, 24.0, 32.0, 14.5, 16.5, 6.2, 8.0, 3.0, 0.7, 1.6],  # T8
        [21.5, 5.0, 25.0, 33.0, 15.0, 17.0, 6.3, 8.2, 3.0, 0.8, 1.7],  # T9
        [22.5, 5.5, 26.0, 35.0, 15.0, 17.5, 6.6, 8.6, 3.2, 0.8, 1.8],  # T10
        [23.5, 6.0, 27.0, 37.0, 15.5, 18.5, 7.0, 9.0, 3.4, 0.8, 2.0],  # T11
        [24.5, 7.0, 28.0, 39.0, 16.0, 20.0, 7.0, 9.0, 3.6, 0.9, 2.2],  # T12
        [25.0, 9.0, 29.0, 42.0, 17.0, 21.0, 6.0, 7.5, 4.0, 1.0, 2.5],  # L1
        [26.0, 10.0, 30.0, 44.0, 17.5, 22.0, 0.0, 0.0, 4.5, 1.2, 2.5],  # L2
        [26.5, 10.5, 31.0, 46.0, 17.5, 23.0, 0.0, 0.0, 4.8, 1.2, 2.8],  # L3
        [27.0, 10.5, 32.0, 48.0, 17.5, 23.5, 0.0, 0.0, 5.0, 1.3, 3.0],  # L4
        [26.5, 10.0, 32.0, 50.0, 17.5, 24.0, 0.0, 0.0, 5.0, 1.5, 3.0],  # L5
        [28.0, 2.0, 33.0, 48.0, 15.0, 26.0, 0.0, 0.0, 4.0, 1.5, 3.0],  # S1
        [22.0, 2.0, 26.0, 36.0, 12.0, 22.0, 0.0, 0.0, 3.0, 1.0, 3.0],  # S2
        [17.0, 2.0, 20.0, 28.0, 10.0, 18.0, 0.0, 0.0, 9.0, 0.0, 9.0],  # S3
        [13.0, 2.0, 15.0, 22.0, 8.0, 14.0, 0.0, 0.0, 8.0, 0.0, 7.0],  # S4
        [10.0, 0.0, 12.0, 16.0, 7.0, 10.0, 0.0, 0.0, 7.0, 0.0, 5.0],  # S5
    ]
)
# Normal variation between people and between neighbouring levels (fractions of the size).
PERSON_SCALE_SD = 0.05
LEVEL_JITTER_SD = 0.035
CANAL_JITTER_SD = 0.05
# A congenitally narrow canal: uniformly about two thirds of the normal AP, CSF still around
# the cord (the sac keeps at least this much room beyond the cord's AP).
NARROW_CANAL_FACTOR = (0.68, 0.76)
MIN_CSF_BESIDE_CORD_MM = 1.3


@dataclass(frozen=True)
class SegmentDims:
    body_height_mm: float
    disc_below_mm: float
    body_depth_mm: float
    body_width_mm: float
    canal_ap_mm: float
    canal_width_mm: float
    cord_ap_mm: float
    cord_width_mm: float
    dorsal_fat_mm: float
    ventral_fat_mm: float
    lateral_fat_mm: float

    @property
    def sac_ap_mm(self) -> float:
        return self.canal_ap_mm - self.dorsal_fat_mm - self.ventral_fat_mm

    @property
    def sac_width_mm(self) -> float:
        return self.canal_width_mm - 2 * self.lateral_fat_mm


@dataclass(frozen=True)
class Curvature:
    cervical_lordosis_deg: float
    thoracic_kyphosis_deg: float
    lumbar_lordosis_deg: float
    sacral_curve_deg: float
    tilt_deg: float  # the whole column leaning forward (+: heading back as it goes down)
    scoliosis_mm: float  # lateral deviation at the apex (+: to the patient's left)
    scoliosis_apex: float  # segment index of the apex


@dataclass(frozen=True)
class SpineSpec:
    segments: tuple[SegmentDims, ...]
    curvature: Curvature
    foramen_magnum_mm: tuple[float, float, float]  # LPS position of the centerline's s = 0
    conus_tip: float  # segment index (fractional) where the cord ends
    torso_scale: float  # body habitus: 1 is an average adult
    subcutaneous_fat_mm: float
    marrow_fat: float  # 0 red (child) .. 1 fatty (elderly) marrow
    degenerate_discs: tuple[int, ...] = ()  # segment indices whose disc below is dried out
    disc_bulges: tuple[tuple[int, float], ...] = ()  # (segment index, bulge mm)
    narrow_canal: bool = False


def draw_spine(rng: np.random.Generator, child: bool = False) -> SpineSpec:
    """A random but normal spine: sizes, curves and habitus of one person."""
    scale = (0.78 if child else 1.0) * rng.normal(1.0, PERSON_SCALE_SD)
    segments = tuple(_segment(rng, row, scale) for row in _NOMINAL)
    curvature = Curvature(
        cervical_lordosis_deg=float(rng.uniform(10, 40)),
        thoracic_kyphosis_deg=float(rng.uniform(25, 50)),
        lumbar_lordosis_deg=float(rng.uniform(35, 60)),
        sacral_curve_deg=float(rng.uniform(20, 40)),
        tilt_deg=float(rng.normal(0, 4)),
        scoliosis_mm=float(rng.normal(0, 8)) if rng.random() < 0.2 else 0.0,
        scoliosis_apex=float(rng.uniform(10, 20)),
    )
    lumbar = [i for i, name in enumerate(SEGMENTS) if name.startswith("L")]
    degenerate = tuple(int(i) for i in lumbar if rng.random() < 0.25)
    return SpineSpec(
        segments=segments,
        curvature=curvature,
        foramen_magnum_mm=(
            float(rng.normal(0, 3)),
            float(rng.uniform(-20, 20)),
            float(rng.uniform(-40, 160)),
        ),
        conus_tip=float(rng.uniform(SEGMENTS.index("T12") + 0.7, SEGMENTS.index("L2") + 0.5)),
        torso_scale=(0.72 if child else 1.0) * float(rng.uniform(0.88, 1.18)),
        subcutaneous_fat_mm=float(rng.uniform(4, 12) if child else rng.uniform(6, 30)),
        marrow_fat=float(rng.uniform(0.05, 0.2) if child else rng.uniform(0.35, 0.95)),
        degenerate_discs=degenerate,
    )


def _segment(rng: np.random.Generator, row: np.ndarray, scale: float) -> SegmentDims:
    sizes = row[:4] * scale * rng.normal(1.0, LEVEL_JITTER_SD)
    canal = row[4:6] * (0.6 + 0.4 * scale) * rng.normal(1.0, CANAL_JITTER_SD, 2)
    cord = row[6:8] * (0.7 + 0.3 * scale) * rng.normal(1.0, 0.03)
    fat = row[8:11] * rng.uniform(0.8, 1.2, 3)
    return SegmentDims(*(float(v) for v in (*sizes, *canal, *cord, *fat)))


def with_narrow_canal(
    spec: SpineSpec, rng: np.random.Generator, first: int, last: int
) -> SpineSpec:
    """Uniformly small canal AP over segments first..last, with CSF preserved around the cord."""
    factor = float(rng.uniform(*NARROW_CANAL_FACTOR))
    segments = list(spec.segments)
    for i in range(first, last + 1):
        seg = segments[i]
        canal_ap = seg.canal_ap_mm * factor
        fat = seg.dorsal_fat_mm * factor * 0.6
        room = canal_ap - fat - seg.ventral_fat_mm - seg.cord_ap_mm
        if room < 2 * MIN_CSF_BESIDE_CORD_MM:
            canal_ap += 2 * MIN_CSF_BESIDE_CORD_MM - room
        segments[i] = replace(seg, canal_ap_mm=canal_ap, dorsal_fat_mm=fat)
    return replace(spec, segments=tuple(segments), narrow_canal=True)
