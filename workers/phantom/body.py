"""The body around the spine: skin outline, subcutaneous fat, muscles, neck airway, abdominal and
pelvic contents. The thorax's contents are in ``thorax``, the head's in ``head``.

The torso's outline is a rounded rectangle in each axial plane (upright even where the spine
curves), its back, front and sides at per-level distances from the canal; the organs inside are
placed relative to the spine."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from workers.phantom.anatomy import SEGMENTS
from workers.phantom.floats import Floats
from workers.phantom.head import Head
from workers.phantom.region import Region, distance
from workers.phantom.spine import Local, Spine
from workers.phantom.thorax import Thorax
from workers.phantom.tissues import Tissue

# Distances from the canal centre to the skin (adult, before habitus): back, front, side (mm).
_OUTLINE = {
    "C1": (70, 95, 60),
    "C4": (62, 72, 55),
    "C7": (65, 85, 75),
    "T1": (70, 110, 150),
    "T3": (70, 150, 160),
    "T6": (70, 175, 150),
    "T10": (72, 180, 145),
    "L1": (75, 175, 145),
    "L3": (80, 165, 150),
    "L5": (85, 150, 165),
    "S2": (90, 130, 170),
    "S5": (80, 100, 160),
}
OUTLINE_EXPONENT = 2.3  # torsos are rounder than boxes, squarer than ellipses
SCALP_MM = 6.0
NECK_TOP_S = -40.0  # above this the head's outline takes over
BACK_FAT_FRACTION = 0.7  # subcutaneous fat is thinner over the back than over the belly
FRONT_FAT_FRACTION = 1.2
WALL_MUSCLE_MM = 11.0  # chest and abdominal wall muscle under the fat
BACK_MUSCLE_MM = (
    30.0,
    30.0,
    38.0,
    42.0,
)  # erector spinae oval: centre u past the canal, |v|; radii
AIRWAY_MM = (-20.0, 14.0, 13.0)  # pharynx: top s, AP, half-width
PREVERTEBRAL_MM = 4.0  # soft tissue between the cervical bodies and the pharynx
TRACHEA_RADIUS_MM = 8.5
ESOPHAGUS_MM = (6.0, 9.0)  # AP and transverse radii
CAROTID = (24.0, 14.0, 3.5)  # |v|, distance in front of the bodies, radius
PSOAS_RADIUS_MM = (7.0, 24.0)  # at L1 and at L5
PSOAS_DEPTH = 0.6  # psoas centre, as a fraction of the way to the bodies' front
KIDNEY = (52.0, 14.0, 26.0, 30.0, 55.0)  # |v| beyond the body edge, u, radii u, v, s
ILIAC_WING = (95.0, 9.0)  # distance from the sacrum's front, thickness
RETROPERITONEAL_FAT_MM = 70.0  # fat around psoas and kidneys, either side of the bodies


class Body:
    def __init__(self, spine: Spine) -> None:
        self.spine = spine
        self.head = Head(spine)
        self.thorax = Thorax(spine)
        spec = spine.spec
        knots = [spine.mid[SEGMENTS.index(name)] for name in _OUTLINE]
        sizes = np.array(list(_OUTLINE.values()), dtype=float) * spec.torso_scale
        self._outline = np.stack([spine.tabulate(knots, sizes[:, k]) for k in range(3)], 1)
        self.fat_mm = spec.subcutaneous_fat_mm
        segs = spec.segments[1:]
        front = [-seg.canal_ap_mm / 2 - seg.body_depth_mm for seg in segs]
        width = [seg.body_width_mm for seg in segs]
        self._bodies = np.stack(
            [spine.tabulate(spine.mid[1:], front), spine.tabulate(spine.mid[1:], width)], 1
        )
        self._top = {name: float(spine.top[i]) for i, name in enumerate(SEGMENTS)}
        self._mid = {name: float(spine.mid[i]) for i, name in enumerate(SEGMENTS)}

    def bodies(self, s: Floats) -> tuple[Floats, Floats]:
        """u of the front of the vertebral bodies, and their width, at heights s."""
        rows = self.spine.rows(self._bodies, s)
        return rows[..., 0], rows[..., 1]

    def fat_at(self, u: Floats) -> Floats:
        factor = np.where(u > 0, BACK_FAT_FRACTION, FRONT_FAT_FRACTION).astype(np.float32)
        result: Floats = self.fat_mm * factor
        return result

    def skin_depth(self, loc: Local, axial: Local) -> Floats:
        """Depth below the skin (mm): positive inside the body. The torso is upright (axial
        frame), the head follows the top of the spine (spine frame)."""
        rows = self.spine.rows(self._outline, axial.s)
        extent = np.where(axial.u >= 0, rows[..., 0], rows[..., 1])
        side, n = rows[..., 2], OUTLINE_EXPONENT
        q = (np.abs(axial.v / side) ** n + np.abs(axial.u / extent) ** n) ** (1 / n)
        torso = np.where(axial.s > NECK_TOP_S, (1 - q) * np.minimum(side, extent), -1e3)
        head = self.head.outline_depth(loc.s, loc.u, loc.v) + SCALP_MM
        depth: Floats = np.maximum(torso, head).astype(np.float32)
        return depth

    def paint(self, everything: Region) -> None:
        """Everything outside the spine and canal: air, fat, muscle, organs, lungs, vessels."""
        inside = everything.sub(everything.depth > 0)
        inside.paint_all(Tissue.FAT)
        deep = inside.sub(inside.depth > self.fat_at(inside.u))
        thorax_top = self._top["T1"] - 10
        neck = deep.sub(deep.s < thorax_top)
        neck.paint_all(Tissue.MUSCLE)
        self._neck(neck)
        trunk = deep.sub(deep.s >= thorax_top)
        trunk.paint_all(Tissue.SOFT)
        trunk.paint(trunk.depth < self.fat_at(trunk.u) + WALL_MUSCLE_MM, Tissue.MUSCLE)
        back = self._back_muscles(trunk)
        trunk.paint(back, Tissue.MUSCLE)
        cavity = trunk.sub((trunk.depth > self.fat_at(trunk.u) + WALL_MUSCLE_MM) & ~back)
        self.thorax.paint(cavity, self)
        below = cavity.s > self.thorax.diaphragm_s(cavity.u, cavity.v)
        pelvis_top = self._top["S1"]
        self._abdomen(cavity.sub(below & (cavity.s < pelvis_top)))
        self._pelvis(trunk.sub(trunk.s >= pelvis_top))
        head = everything.sub(everything.s < 12)
        labels = self.head.labels(head.s, head.u, head.v)
        known = labels != 255
        head.out[head.index[known]] = labels[known]

    def _back_muscles(self, trunk: Region) -> NDArray[np.bool_]:
        """Erector spinae: an oval either side of the spinous processes."""
        a_c, _ = self.spine.canal(trunk.s)
        cu, cv, ru, rv = (x * self.spine.spec.torso_scale for x in BACK_MUSCLE_MM)
        q = ((trunk.u - a_c - cu) / ru) ** 2 + ((np.abs(trunk.v) - cv) / rv) ** 2
        result: NDArray[np.bool_] = (q <= 1) | ((trunk.u > a_c + cu) & (np.abs(trunk.v) < cv))
        return result

    def _neck(self, neck: Region) -> None:
        front, _ = self.bodies(neck.s)
        larynx = self._mid["C6"]
        top, ap, half = AIRWAY_MM
        s, u, v = neck.s, neck.u, neck.v
        pharynx = (s > top) & (s < larynx) & (np.abs(v) < half)
        pharynx &= (u < front - PREVERTEBRAL_MM) & (u > front - PREVERTEBRAL_MM - ap)
        neck.paint(pharynx, Tissue.AIR)
        low = s >= larynx
        ea, eb = ESOPHAGUS_MM
        eso_u = front - 1.5 - ea
        neck.paint(low & (((u - eso_u) / ea) ** 2 + ((v - 4) / eb) ** 2 <= 1), Tissue.SOFT)
        trachea_u = eso_u - ea - TRACHEA_RADIUS_MM - 1
        neck.paint(low & (distance(u - trachea_u, v) < TRACHEA_RADIUS_MM), Tissue.AIR)
        cv, cu, cr = CAROTID
        carotid = distance(u - (front - cu), np.abs(v) - cv) < cr
        neck.paint(carotid & (s > 0), Tissue.BLOOD)

    def _abdomen(self, belly: Region) -> None:
        front, width = self.bodies(belly.s)
        s, u, v = belly.s, belly.u, belly.v
        retro = (u > front - 30) & (np.abs(v) < width / 2 + RETROPERITONEAL_FAT_MM)
        belly.paint(retro, Tissue.FAT)
        l1, l5 = self._mid["L1"], self._mid["L5"]
        grow = np.clip((s - l1) / (l5 - l1), 0, 1)
        radius = PSOAS_RADIUS_MM[0] + grow * (PSOAS_RADIUS_MM[1] - PSOAS_RADIUS_MM[0])
        psoas = distance(u - PSOAS_DEPTH * front, np.abs(v) - width / 2 - radius * 0.8) < radius
        belly.paint(psoas & (s > l1 - 15), Tissue.MUSCLE)
        kv, ku, rku, rkv, rks = KIDNEY
        k_s = self._mid["L2"] - 10 * np.sign(v)  # the left kidney sits higher
        kidney = ((np.abs(v) - width / 2 - kv) / rkv) ** 2 + ((u - ku) / rku) ** 2
        belly.paint(kidney + ((s - k_s) / rks) ** 2 <= 1, Tissue.SOFT)
        self.thorax.vessels(belly, front, width)

    def _pelvis(self, pelvis: Region) -> None:
        front, _ = self.bodies(pelvis.s)
        inner, thick = ILIAC_WING
        radius = distance(pelvis.u - front, pelvis.v)
        wing = (radius > inner) & (radius < inner + thick) & (np.abs(pelvis.v) > 30)
        wing &= pelvis.u > front - 10
        pelvis.paint(wing, Tissue.MARROW)
        rim = (radius < inner + 1.5) | (radius > inner + thick - 1.5)
        pelvis.paint(wing & rim, Tissue.CORTEX)
        labels = pelvis.labels()
        glute = (pelvis.u > 15) & (np.abs(pelvis.v) > 35) & (labels == Tissue.SOFT)
        pelvis.paint(glute, Tissue.MUSCLE)
