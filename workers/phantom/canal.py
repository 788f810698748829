"""The spinal canal's contents: epidural fat, the thecal sac (CSF, nerve roots) and the cord, as
epidural masses and disc bulges deform them.

The deformation is set-theoretic, so that what is drawn is what is graded: the sac is its normal
ellipse minus whatever occupies the canal wall (mass, bulging disc); the cord keeps its place and
shape until the shrunken sac leaves it no room in front-to-back, then it is pushed, then
flattened (its AP shrinks to the room left) and widened, and it never overlaps the mass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from workers.phantom.cord import place_cord
from workers.phantom.floats import Floats
from workers.phantom.masses import TISSUE_OF, EpiduralMass
from workers.phantom.spine import Spine
from workers.phantom.tissues import Tissue

CANAL_EXPONENT = 2.6  # the bony canal is a rounded rectangle more than an ellipse
ROOT_RADIUS_MM = 0.9  # a bundle of cauda equina roots, as it looks at 1 mm pixels
ROOTS_ABOVE_CONUS_MM = 25.0  # the cauda gathers around the conus this far above its tip
BULGE_WIDTH_FRACTION = 0.75  # a broad-based bulge spans this much of the canal width
NONE = 255  # label for points outside the canal
ORIGIN_SETBACK = 0.5  # a mass's radial origin: this fraction of the way to the opposite wall
WALL_BISECTIONS = 12  # 2 x 10 mm / 2**12: the wall found to 0.005 mm


@dataclass(frozen=True)
class Bulge:
    """A disc bulging backwards into the canal: the disc below ``segment``."""

    segment: int
    depth_mm: float


@dataclass(frozen=True)
class FlowVoid:
    """A pulsation artefact: a dark blob in the CSF on T2 (s, u relative to the sac centre)."""

    s: float
    u: float
    v: float
    radius_mm: float


@dataclass(frozen=True)
class Parts:
    in_canal: NDArray[np.bool_]
    in_mass: NDArray[np.bool_]
    which: NDArray[np.intp]  # index of the mass at each point, -1 where none
    in_bulge: NDArray[np.bool_]
    normal_sac: NDArray[np.bool_]

    @property
    def sac(self) -> NDArray[np.bool_]:
        result: NDArray[np.bool_] = self.normal_sac & ~self.in_mass & ~self.in_bulge
        return result


@dataclass(frozen=True)
class CanalSection:
    """Labels of canal points and which of them are the normal sac, for grading."""

    labels: NDArray[np.uint8]
    normal_sac: NDArray[np.bool_]


class Canal:
    def __init__(
        self,
        spine: Spine,
        *,
        masses: tuple[EpiduralMass, ...] = (),
        bulges: tuple[Bulge, ...] = (),
        flow_voids: tuple[FlowVoid, ...] = (),
        roots: tuple[tuple[float, float], ...] = (),
        window: tuple[float, float] | None = None,
    ) -> None:
        """``window``: heights (s) outside which the cord is left in its normal place; for
        quick trials that only look at one section."""
        self.spine = spine
        self.masses = masses
        self.bulges = bulges
        self.flow_voids = flow_voids
        self.roots = roots  # (fraction of sac half-AP behind centre, fraction of half-width)
        self.cord = place_cord(self, window)

    # -- intrusions into the canal -------------------------------------------------------

    def mass_thickness(self, s: Floats, phi_deg: Floats) -> tuple[Floats, NDArray[np.intp]]:
        """Largest epidural mass thickness at (s, phi) and the index of that mass (-1: none)."""
        best = np.zeros(np.broadcast_shapes(np.shape(s), np.shape(phi_deg)))
        which = np.full(best.shape, -1, dtype=np.intp)
        for i, mass in enumerate(self.masses):
            t = mass.thickness(s, phi_deg)
            which = np.where(t > best, i, which)
            best = np.maximum(best, t)
        return best, which

    def bulge_depth(self, s: Floats, v: Floats, half_width: Floats) -> Floats:
        """How far a bulging disc reaches into the canal from its front wall (mm)."""
        depth = np.zeros(np.broadcast_shapes(np.shape(s), np.shape(v)))
        for bulge in self.bulges:
            low = self.spine.bottom[bulge.segment]
            high = self.spine.top[bulge.segment + 1]
            centre, half = (low + high) / 2, (high - low) / 2 + 1.0
            along = np.clip(1 - ((s - centre) / half) ** 2, 0, 1)
            across = np.clip(1 - (v / (BULGE_WIDTH_FRACTION * half_width)) ** 2, 0, 1)
            depth = np.maximum(depth, bulge.depth_mm * np.sqrt(along * across))
        return depth

    # -- labels --------------------------------------------------------------------------

    def parts(self, s: Floats, u: Floats, v: Floats) -> Parts:
        """Which points are in the canal, in a mass (and which), in a bulging disc, in the
        normal sac; the sac as it is now is the normal sac minus mass and bulge."""
        sp = self.spine
        a_c, b_c = sp.canal(s)
        qn = np.abs(u / a_c) ** CANAL_EXPONENT + np.abs(v / b_c) ** CANAL_EXPONENT
        in_canal = (qn <= 1) & (s > 0) & (s < sp.end)
        in_mass = np.zeros(np.shape(s), dtype=bool)
        which = np.full(np.shape(s), -1, dtype=np.intp)
        for i, mass in enumerate(self.masses):
            mine = in_canal & ~in_mass & self._in_mass(mass, s, u, v, canal=(a_c, b_c))
            which[mine] = i
            in_mass |= mine
        in_bulge = in_canal & ~in_mass
        in_bulge &= (u <= -a_c + self.bulge_depth(s, v, b_c)) if self.bulges else False
        sac_u, sac_a, sac_b = sp.sac(s)
        q = ((u - sac_u) / np.maximum(sac_a, 1e-6)) ** 2 + (v / np.maximum(sac_b, 1e-6)) ** 2
        normal_sac = (q <= 1) & in_canal
        return Parts(in_canal, in_mass, which, in_bulge, normal_sac)

    def _in_mass(
        self, mass: EpiduralMass, s: Floats, u: Floats, v: Floats, *, canal: tuple[Floats, Floats]
    ) -> NDArray[np.bool_]:
        """Points within ``thickness(s, phi)`` of the canal wall, phi and distances taken
        from an origin set back towards the opposite wall (so a thick mass can pass the
        canal's centre); a circumferential mass is measured from the centre."""
        a_c, b_c = canal
        back = 0.0 if mass.circumferential else ORIGIN_SETBACK
        angle = np.radians(mass.center_deg)
        ou, ov = -back * a_c * np.cos(angle), -back * b_c * np.sin(angle)
        du, dv = u - ou, v - ov
        radius = np.sqrt(du * du + dv * dv)
        eu, ev = du / np.maximum(radius, 1e-6), dv / np.maximum(radius, 1e-6)
        wall = _wall_distance((ou, ov), (eu, ev), (a_c, b_c))
        thickness = mass.thickness(s, np.degrees(np.arctan2(dv, du)))
        result: NDArray[np.bool_] = (radius >= wall - thickness) & (thickness > 0)
        return result

    def section(self, s: Floats, u: Floats, v: Floats) -> CanalSection:
        """Labels of points in the canal (NONE elsewhere) and the normal sac, for grading."""
        p = self.parts(s, u, v)
        labels = np.full(np.shape(s), NONE, dtype=np.uint8)
        labels[p.in_canal] = Tissue.EPIDURAL_FAT
        sac = p.sac
        labels[sac] = Tissue.CSF
        self._paint_sac_contents(labels, sac, s, u, v)
        labels[p.in_bulge] = Tissue.ANNULUS
        for i, mass in enumerate(self.masses):
            labels[p.in_mass & (p.which == i)] = TISSUE_OF[mass.tissue]
        return CanalSection(labels, p.normal_sac)

    def _paint_sac_contents(
        self, labels: NDArray[np.uint8], sac: NDArray[np.bool_], s: Floats, u: Floats, v: Floats
    ) -> None:
        sp = self.spine
        sac_u, sac_a, sac_b = sp.sac(s)
        for void in self.flow_voids:
            q = ((s - void.s) / (2 * void.radius_mm)) ** 2
            q = (
                q
                + ((u - sac_u - void.u) / void.radius_mm) ** 2
                + ((v - void.v) / void.radius_mm) ** 2
            )
            labels[sac & (q <= 1)] = Tissue.CSF_FLOW
        cauda = sac & (s > sp.conus_tip_s - ROOTS_ABOVE_CONUS_MM)
        for fu, fv in self.roots:
            d2 = (u - sac_u - fu * sac_a) ** 2 + (v - fv * sac_b) ** 2
            labels[cauda & (d2 <= ROOT_RADIUS_MM**2)] = Tissue.NERVE
        rows = sp.rows(self.cord.table, s)
        cord_u, cord_a, cord_b = (
            rows[..., 0],
            np.maximum(rows[..., 1], 1e-6),
            np.maximum(rows[..., 2], 1e-6),
        )
        fills = rows[..., 3] > 0.5
        cord = sac & ((((u - cord_u) / cord_a) ** 2 + (v / cord_b) ** 2 <= 1) | fills)
        filum = s > sp.conus_tip_s
        labels[cord & ~filum] = Tissue.CORD
        labels[cord & filum] = Tissue.NERVE


def _wall_distance(
    origin: tuple[Floats, Floats], direction: tuple[Floats, Floats], canal: tuple[Floats, Floats]
) -> Floats:
    """Distance from (ou, ov), inside the canal, to its wall along (eu, ev): bisection on the
    superellipse, which a ray from an inside point crosses once."""
    (ou, ov), (eu, ev), (a_c, b_c) = origin, direction, canal
    low = np.zeros(np.shape(eu), dtype=np.float32)
    high = np.broadcast_to(2 * np.maximum(a_c, b_c), np.shape(eu)).astype(np.float32)
    for _ in range(WALL_BISECTIONS):
        mid = (low + high) / 2
        q = (
            np.abs((ou + mid * eu) / a_c) ** CANAL_EXPONENT
            + np.abs((ov + mid * ev) / b_c) ** CANAL_EXPONENT
        )
        inside = q <= 1
        low = np.where(inside, mid, low)
        high = np.where(inside, high, mid)
    result: Floats = (low + high) / 2
    return result
