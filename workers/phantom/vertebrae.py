"""Vertebral bodies, discs and posterior elements, in the spine's frame.

Each bone part gives an approximate depth below its surface (mm, positive inside); the union of
parts is their maximum, and a thin outer layer of it is cortex, the rest marrow. Parts are
evaluated against the segment a point's height falls in and the one above (whose laminae and
spinous process hang down over the next level)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from workers.phantom.anatomy import SACRAL_FIRST, SEGMENTS
from workers.phantom.floats import Floats
from workers.phantom.spine import Spine
from workers.phantom.tissues import Tissue

CORTEX_MM = 1.1  # cortical shell of a vertebra; endplates are as thin
BODY_EXPONENT = 2.4  # vertebral bodies are rounded boxes in cross-section
ENDPLATE_CONCAVITY_MM = 1.2  # endplates dip towards the body's centre
NUCLEUS_FRACTION = (0.55, 0.62, 0.7)  # nucleus size: AP, width, height fractions of the disc
DENS_HEIGHT_MM = 15.0
DENS_RADII_MM = (5.5, 4.8)  # AP and transverse
ATLANTODENTAL_MM = 1.8  # gap between the dens and C1's anterior arch
FAR = -1e3  # depth of points far outside a part
Bound = Floats | float

# Posterior-element sizes per region (C, T, L/S): pedicle width, lamina thickness, spinous
# process length and height, its downward slope (mm per mm) and transverse process length.
_POSTERIOR = {
    "C": (5.0, 4.5, 18.0, 8.0, 0.35, 8.0),
    "T": (7.0, 6.0, 32.0, 8.0, 0.85, 16.0),
    "L": (9.0, 7.0, 30.0, 18.0, 0.1, 24.0),
    "S": (10.0, 5.0, 10.0, 10.0, 0.2, 0.0),
}


@dataclass(frozen=True)
class _Seg:
    """Per-point parameters of the segment a point is evaluated against."""

    top: Floats
    bottom: Floats
    next_top: Floats
    depth: Floats
    width: Floats
    canal_a: Floats
    canal_b: Floats
    region: NDArray[np.intp]


class Vertebrae:
    def __init__(self, spine: Spine) -> None:
        self.spine = spine
        segs = spine.spec.segments
        f32 = np.float32
        self._depth = np.array([seg.body_depth_mm for seg in segs], dtype=f32)
        self._width = np.array([seg.body_width_mm for seg in segs], dtype=f32)
        self._canal_a = np.array([seg.canal_ap_mm / 2 for seg in segs], dtype=f32)
        self._canal_b = np.array([seg.canal_width_mm / 2 for seg in segs], dtype=f32)
        self._top = spine.top.astype(f32)
        self._bottom = spine.bottom.astype(f32)
        self._next_top = np.append(spine.top[1:], spine.end).astype(f32)
        self._region = np.array(["CTLS".index(name[0]) for name in SEGMENTS])
        self._posterior = np.array([_POSTERIOR[name[0]] for name in SEGMENTS], dtype=f32)
        self.degenerate = set(spine.spec.degenerate_discs)

    def _seg(self, index: NDArray[np.intp]) -> _Seg:
        return _Seg(
            top=self._top[index],
            bottom=self._bottom[index],
            next_top=self._next_top[index],
            depth=self._depth[index],
            width=self._width[index],
            canal_a=self._canal_a[index],
            canal_b=self._canal_b[index],
            region=self._region[index],
        )

    def labels(self, s: Floats, u: Floats, v: Floats) -> NDArray[np.uint8]:
        """CORTEX, MARROW, ANNULUS, NUCLEUS... for bone and disc points, 255 elsewhere."""
        index = self.spine.segment_of(s)
        here = self._seg(index)
        bone = np.maximum(self._body(here, s, u, v), self._posterior_elements(index, here, s, u, v))
        above_index = np.maximum(index - 1, 0)
        above = self._seg(above_index)
        bone = np.maximum(bone, self._posterior_elements(above_index, above, s, u, v))
        bone = np.maximum(bone, self._upper_cervical(s, u, v))
        out = np.full(np.shape(s), 255, dtype=np.uint8)
        out[bone > 0] = Tissue.MARROW
        out[(bone > 0) & (bone < CORTEX_MM)] = Tissue.CORTEX
        self._discs(out, index, seg=here, s=s, u=u, v=v)
        outside = (s < self.spine.top[0] - DENS_HEIGHT_MM) | (s > self.spine.end + 2)
        out[outside & (out != 255)] = 255
        return out

    def body_centre_u(self, index: NDArray[np.intp] | int) -> Floats:
        """u of the centre of a vertebral body's cross-section."""
        centre: Floats = -self._canal_a[index] - self._depth[index] / 2
        return centre

    def _cross_section(
        self, seg: _Seg, u: Floats, v: Floats, grow: float = 0.0
    ) -> tuple[Floats, Floats]:
        """Normalised radius q (1 on the surface) and depth below the body's outline."""
        half_d, half_w = seg.depth / 2 + grow, seg.width / 2 + grow
        centre = -seg.canal_a - seg.depth / 2
        q = (np.abs((u - centre) / half_d) ** BODY_EXPONENT) + (
            np.abs(v / np.maximum(half_w, 1e-6)) ** BODY_EXPONENT
        )
        q = q ** (1 / BODY_EXPONENT)
        depth = (1 - q) * np.minimum(half_d, half_w)
        depth = np.minimum(depth, -seg.canal_a - u)  # the flat back wall of the body
        return q, depth

    def _body(self, seg: _Seg, s: Floats, u: Floats, v: Floats) -> Floats:
        q, radial = self._cross_section(seg, u, v)
        dip = ENDPLATE_CONCAVITY_MM * np.clip(1 - q**2, 0, 1)
        vertical = np.minimum(s - seg.top - dip, seg.bottom - s - dip)
        depth = np.minimum(radial, vertical)
        result: Floats = np.where(seg.width > 0, depth, FAR)
        return result

    def _posterior_elements(
        self, index: NDArray[np.intp], seg: _Seg, s: Floats, u: Floats, v: Floats
    ) -> Floats:
        pw, lt, sp_len, sp_h, slope, tp_len = (self._posterior[index, k] for k in range(6))
        height = seg.bottom - seg.top
        disc = seg.next_top - seg.bottom
        side = np.abs(v)
        pedicle = _box(side - seg.canal_b, (-1.0, pw), u, (-seg.canal_a - 1, 0.3 * seg.canal_a))
        pedicle = np.minimum(pedicle, _span(s, seg.top + 0.12 * height, seg.top + 0.6 * height))
        radius = np.hypot(u / seg.canal_a, v / seg.canal_b)
        outside = (radius - 1) * np.minimum(seg.canal_a, seg.canal_b)
        lamina = np.minimum(outside, lt - outside)
        lamina = np.minimum(lamina, np.minimum(u - 0.25 * seg.canal_a, 3.0))
        lamina = np.minimum(lamina, _span(s, seg.top + 0.3 * height, seg.bottom + 0.85 * disc))
        pillar = _box(
            side - seg.canal_b, (0.0, pw + 4), u, (0.1 * seg.canal_a - 2, seg.canal_a + 7)
        )
        pillar = np.minimum(pillar, _span(s, seg.top - 0.3 * disc, seg.bottom + 0.7 * disc))
        back = u - seg.canal_a
        sp_centre = seg.top + 0.55 * height + slope * back
        spinous = np.minimum(_span(back, 2.0, sp_len), 2.5 + 0.04 * back - side)
        spinous = np.minimum(spinous, sp_h / 2 - np.abs(s - sp_centre))
        transverse = _box(side, (seg.canal_b + pw, seg.width / 2 + tp_len), u, (-3.0, 6.0))
        transverse = np.minimum(
            transverse, _span(s, seg.top + 0.2 * height, seg.top + 0.55 * height)
        )
        parts = np.maximum.reduce([pedicle, lamina, pillar, spinous, transverse])
        sacral = index >= SACRAL_FIRST
        ala = _box(
            side,
            (seg.width / 2 - 6, seg.width / 2 + 32),
            u,
            (-seg.canal_a - seg.depth + 6, seg.canal_a + 8),
        )
        ala = np.minimum(ala, _span(s, seg.top + 2, seg.bottom - 2))
        parts = np.where(sacral & (index <= SACRAL_FIRST + 1), np.maximum(parts, ala), parts)
        result: Floats = np.where(index == 0, FAR, parts)
        return result

    def _upper_cervical(self, s: Floats, u: Floats, v: Floats) -> Floats:
        """The dens rising from C2 into C1's ring, and the ring of C1 around it."""
        sp = self.spine
        c1_top, c1_bottom, c2_top = sp.top[0], sp.bottom[0], sp.top[1]
        a_c, b_c = sp.canal(s)
        dens_u = -a_c - DENS_RADII_MM[0] - 0.3
        tip = c2_top - DENS_HEIGHT_MM
        q = np.hypot((u - dens_u) / DENS_RADII_MM[0], v / DENS_RADII_MM[1])
        dens = np.minimum((1 - q) * DENS_RADII_MM[1], _span(s, tip, c2_top + 2))
        tip_round = DENS_RADII_MM[1] - np.hypot(
            (s - tip - DENS_RADII_MM[1]) * (s < tip + DENS_RADII_MM[1]), q * DENS_RADII_MM[1]
        )
        dens = np.minimum(dens, tip_round)
        arch_back = dens_u - DENS_RADII_MM[0] - ATLANTODENTAL_MM
        ring = _span(s, c1_top, c1_bottom)
        anterior = np.minimum(_box(np.abs(v), (-1.0, 9.0), u, (arch_back - 7.0, arch_back)), ring)
        lateral = _box(np.abs(v) - b_c, (-4.0, 10.0), u, (arch_back - 2.0, a_c * 0.4))
        lateral = np.minimum(lateral, _span(s, c1_top - 2, c2_top + 1))
        radius = np.hypot(u / a_c, v / b_c)
        posterior = np.minimum((radius - 1) * a_c, 1 + 5.5 - (radius - 1) * a_c)
        posterior = np.minimum(
            np.minimum(posterior, u - 0.2 * a_c), _span(s, c1_top + 1.5, c1_bottom - 1.5)
        )
        result: Floats = np.maximum.reduce([dens, anterior, lateral, posterior])
        return result

    def _discs(
        self,
        out: NDArray[np.uint8],
        index: NDArray[np.intp],
        *,
        seg: _Seg,
        s: Floats,
        u: Floats,
        v: Floats,
    ) -> None:
        low, high = seg.bottom, seg.next_top
        in_gap = (s > low) & (s < high) & (index > 0)
        _, radial = self._cross_section(seg, u, v, grow=0.6)
        disc = in_gap & (radial > 0) & (out == 255)
        sacral = index > SACRAL_FIRST
        out[disc & sacral] = Tissue.CORTEX
        disc &= ~sacral
        out[disc] = Tissue.ANNULUS
        centre = -seg.canal_a - seg.depth / 2 + 0.1 * seg.depth
        fa, fw, fh = NUCLEUS_FRACTION
        mid, half = (low + high) / 2, (high - low) / 2
        half_d = np.maximum(fa * seg.depth / 2, 0.1)
        half_w = np.maximum(fw * seg.width / 2, 0.1)
        qn = ((u - centre) / half_d) ** 2 + (v / half_w) ** 2
        qn = qn + ((s - mid) / np.maximum(fh * half, 1e-6)) ** 2
        nucleus = disc & (qn <= 1)
        dried = np.isin(index, list(self.degenerate))
        out[nucleus & ~dried] = Tissue.NUCLEUS
        out[nucleus & dried] = Tissue.DEGENERATE_NUCLEUS


def _span(x: Floats, low: Floats | float, high: Floats | float) -> Floats:
    """Depth inside the interval [low, high] (negative outside)."""
    result: Floats = np.minimum(x - low, high - x)
    return result


def _box(
    a: Floats, a_range: tuple[Bound, Bound], b: Floats, b_range: tuple[Bound, Bound]
) -> Floats:
    """Depth inside a rectangle in two coordinates."""
    return np.minimum(_span(a, *a_range), _span(b, *b_range))
