"""Masses the phantom can hold, in the spine's frame (s, u, v; see ``spine``).

An epidural mass is a slab lining the bony canal wall: at height s and angle phi around the
canal (0 towards the back, 90 the patient's left, 180 the front) it is ``thickness(s, phi)`` mm
thick, measured inwards from the wall. Paraspinal and prevertebral masses are unions of a few
ellipsoids. Bone lesions replace the marrow of one vertebral body."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from workers.phantom.floats import Floats
from workers.phantom.tissues import Tissue

END_TAPER_MM = 2.5  # an epidural mass thins to nothing over a few mm at each end
LOBULATION_FLOOR = 0.72  # between lobes a lobulated mass keeps this fraction of its thickness
CIRCUMFERENTIAL_FROM_DEG = 180.0  # a half-width this wide wraps the whole canal
CIRCUMFERENTIAL_MIN = 0.6  # a wrapping mass is thinnest opposite its centre, at this fraction
PLL_NOTCH_WIDTH_DEG = 14.0  # the posterior longitudinal ligament holds a ventral mass midline
PROFILE_SAMPLES = 2001  # heights sampled to normalise a lobulated profile to a peak of 1

MassTissue = Literal["metastasis", "emh"]
TISSUE_OF: dict[MassTissue, Tissue] = {"metastasis": Tissue.METASTASIS, "emh": Tissue.EMH}


@dataclass(frozen=True)
class Lobe:
    s_mm: float
    sigma_mm: float
    gain: float


@dataclass(frozen=True)
class EpiduralMass:
    top_s: float
    bottom_s: float
    thickness_mm: float
    center_deg: float
    half_width_deg: float
    tissue: MassTissue
    lobes: tuple[Lobe, ...] = ()
    midline_notch: float = 0.0  # 0..1: how much thinner it is at the front midline

    @property
    def circumferential(self) -> bool:
        return self.half_width_deg >= CIRCUMFERENTIAL_FROM_DEG

    def along(self, s: NDArray[np.floating]) -> Floats:
        """Craniocaudal profile in [0, 1]: soft ends, lobulated, peak exactly 1."""
        return self._raw_along(np.asarray(s, dtype=float)) / self._peak

    def _raw_along(self, s: Floats) -> Floats:
        ends = _sigmoid((s - self.top_s) / END_TAPER_MM) * _sigmoid(
            (self.bottom_s - s) / END_TAPER_MM
        )
        if not self.lobes:
            return ends
        bumps = np.zeros_like(s)
        for lobe in self.lobes:
            bumps = np.maximum(bumps, lobe.gain * np.exp(-(((s - lobe.s_mm) / lobe.sigma_mm) ** 2)))
        lobulated: Floats = ends * (LOBULATION_FLOOR + (1 - LOBULATION_FLOOR) * bumps)
        return lobulated

    @cached_property
    def _peak(self) -> float:
        s = np.linspace(self.top_s - 10, self.bottom_s + 10, PROFILE_SAMPLES)
        return float(self._raw_along(s).max())

    def around(self, phi_deg: NDArray[np.floating]) -> Floats:
        """Angular profile in [0, 1] around the canal."""
        delta = (np.asarray(phi_deg, dtype=float) - self.center_deg + 180.0) % 360.0 - 180.0
        if self.circumferential:
            profile = 1 - (1 - CIRCUMFERENTIAL_MIN) * (1 - np.cos(np.radians(delta))) / 2
        else:
            inside = np.abs(delta) < self.half_width_deg
            cosine = np.cos(np.radians(90.0 * np.clip(delta / self.half_width_deg, -1, 1)))
            profile = np.where(inside, np.sqrt(np.maximum(cosine, 0)), 0.0)
        if self.midline_notch:
            front = (np.asarray(phi_deg, dtype=float) % 360.0) - 180.0
            profile *= 1 - self.midline_notch * np.exp(-((front / PLL_NOTCH_WIDTH_DEG) ** 2))
        result: Floats = profile
        return result

    def thickness(self, s: NDArray[np.floating], phi_deg: NDArray[np.floating]) -> Floats:
        """Radial thickness (mm) from the canal wall inwards."""
        result: Floats = self.thickness_mm * self.along(s) * self.around(phi_deg)
        return result


@dataclass(frozen=True)
class Ellipsoid:
    s: float
    u: float
    v: float
    rs: float
    ru: float
    rv: float


@dataclass(frozen=True)
class BlobMass:
    """A lobulated soft-tissue mass outside the canal: union of ellipsoids."""

    kind: Literal["paraspinal", "prevertebral"]
    lobes: tuple[Ellipsoid, ...]
    tissue: MassTissue

    def contains(self, s: Floats, u: Floats, v: Floats) -> NDArray[np.bool_]:
        inside = np.zeros(np.shape(s), dtype=bool)
        for e in self.lobes:
            q = ((s - e.s) / e.rs) ** 2 + ((u - e.u) / e.ru) ** 2 + ((v - e.v) / e.rv) ** 2
            inside |= q <= 1
        return inside

    def s_range(self) -> tuple[float, float]:
        return (min(e.s - e.rs for e in self.lobes), max(e.s + e.rs for e in self.lobes))


@dataclass(frozen=True)
class BoneLesion:
    """A round lesion in one vertebral body's marrow (centre relative to the body's centre)."""

    segment: int
    kind: Literal["metastasis", "hemangioma"]
    radius_mm: float
    offset_s: float = 0.0
    offset_u: float = 0.0
    offset_v: float = 0.0

    @property
    def tissue(self) -> Tissue:
        return Tissue.TUMOUR_MARROW if self.kind == "metastasis" else Tissue.HEMANGIOMA


def _sigmoid(x: Floats) -> Floats:
    result: Floats = 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))
    return result
