"""The thorax: lungs, ribs, heart, sternum, mediastinum, and the great vessels in front of the
spine (descending aorta, left of the bodies; inferior vena cava, right, below the diaphragm).

Flowing blood is its own tissue so that spin-echo sequences can show it as a flow void."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from workers.phantom.anatomy import SEGMENTS
from workers.phantom.floats import Floats
from workers.phantom.region import Region, distance
from workers.phantom.spine import Spine
from workers.phantom.tissues import Tissue

if TYPE_CHECKING:
    from workers.phantom.body import Body

LUNG_APEX_ABOVE_T1_MM = 22.0  # the apices rise above the first rib
DIAPHRAGM_FRONT, DIAPHRAGM_BACK = "T9", "L1"  # dome height in front and in the back recess
RIGHT_DOME_HIGHER_MM = 15.0  # the liver lifts the right hemidiaphragm
MEDIASTINUM_HALF_WIDTH_MM = 26.0  # beside the spine; it widens towards the sternum
HEART = ("T8", -70.0, 22.0, 55.0, 50.0, 58.0)  # level, u and v from the body front, radii s u v
STERNUM = ("T2", "T9", 15.0, 11.0)  # top, bottom, half-width, thickness
RIB_RADIUS_MM = (4.0, 5.5)  # radial half-thickness and half-height of a rib
RIB_DROP = 1.3  # the front of a rib is this many segment spacings lower than its head
RIB_RING_INSET_MM = 4.0  # ribs run this far inside the chest wall's muscle
AORTA = ("T4", "L4", 12.0, 9.0)  # top, bottom, thoracic radius, radius at the bifurcation
IVC = ("T11", "L5", 10.0)
GREAT_VESSEL_GAP_MM = 3.0  # vessels lie this close to the vertebral bodies
STERNUM_UNDER_FAT_MM = 2.0  # the sternum sits just under the fat, in front of the chest muscle


class Thorax:
    def __init__(self, spine: Spine) -> None:
        self.spine = spine
        self._mid = {name: float(spine.mid[i]) for i, name in enumerate(SEGMENTS)}
        self._top = {name: float(spine.top[i]) for i, name in enumerate(SEGMENTS)}
        first, last = SEGMENTS.index("T1"), SEGMENTS.index("T12") + 1
        heights = spine.bottom[first:last] - spine.top[first:last]
        self._rib_heads = (spine.top[first:last] + 0.3 * heights).astype(np.float32)
        self._rib_spacing = float(np.diff(spine.top)[first:last].mean())

    def diaphragm_s(self, u: Floats, v: Floats) -> Floats:
        """Height of the diaphragm: higher in front, lowest in the posterior recess."""
        front, back = self._mid[DIAPHRAGM_FRONT], self._mid[DIAPHRAGM_BACK]
        blend = np.clip((u + 120) / 150, 0, 1)
        dome: Floats = front + (back - front) * blend - RIGHT_DOME_HIGHER_MM * (v < 0)
        return dome

    def paint(self, cavity: Region, body: Body) -> None:
        """Fill the trunk below the chest wall: lungs, heart, mediastinum, ribs, sternum."""
        top = self._top["T1"] - LUNG_APEX_ABOVE_T1_MM
        chest = cavity.sub((cavity.s > top) & (cavity.s < self.diaphragm_s(cavity.u, cavity.v)))
        if len(chest):
            self._chest(chest, body)
        self._ribs(cavity, body)

    def _chest(self, chest: Region, body: Body) -> None:
        front, width = body.bodies(chest.s)
        s, u, v = chest.s, chest.u, chest.v
        a_c, _ = self.spine.canal(s)
        beside_spine = (np.abs(v) < width / 2 + 4) & (u > front - 6)
        # the lungs wrap round behind the transverse processes into the paravertebral gutters
        behind = u > a_c + 4 + 0.8 * np.maximum(np.abs(v) - width / 2 - 12, 0)
        widening = MEDIASTINUM_HALF_WIDTH_MM + 0.15 * np.maximum(front - u, 0)
        mediastinum = (np.abs(v) < widening) & (u < front)
        chest.paint(~beside_spine & ~behind & ~mediastinum, Tissue.LUNG)
        chest.paint(mediastinum & (s > self._top["T1"]), Tissue.FAT)
        level, hu, hv, rs, ru, rv = HEART
        heart = ((s - self._mid[level]) / rs) ** 2 + ((u - front - hu) / ru) ** 2
        chest.paint(heart + ((v - hv) / rv) ** 2 <= 1, Tissue.SOFT)
        self.vessels(chest, front, width)
        self._sternum(chest, body)

    def vessels(self, region: Region, front: Floats, width: Floats) -> None:
        s, u, v = region.s, region.u, region.v
        top, bottom, r_top, r_bottom = AORTA
        start, end = self._top[top], self._mid[bottom]
        radius = r_top + (r_bottom - r_top) * np.clip((s - start) / (end - start), 0, 1)
        centre_u = front + radius * 0.9
        centre_v = width * 0.22 + radius * 0.9
        aorta = distance(u - centre_u, v - centre_v) < radius
        region.paint((s > start) & (s < end) & aorta, Tissue.BLOOD)
        top, bottom, r = IVC
        ivc = distance(u - (front - r - GREAT_VESSEL_GAP_MM), v + width * 0.3) < r
        region.paint((s > self._mid[top]) & (s < self._mid[bottom]) & ivc, Tissue.BLOOD)

    def _sternum(self, chest: Region, body: Body) -> None:
        top, bottom, half, thick = STERNUM
        s, skin = chest.s, chest.depth
        span = (s > self._mid[top]) & (s < self._mid[bottom]) & (np.abs(chest.v) < half)
        fat = body.fat_at(chest.u)
        bone = span & (chest.u < 0) & (skin < fat + STERNUM_UNDER_FAT_MM + thick)
        chest.paint(bone, Tissue.MARROW)
        shell = (skin < fat + STERNUM_UNDER_FAT_MM + 1.2) | (
            skin > fat + STERNUM_UNDER_FAT_MM + thick - 1.2
        )
        chest.paint(bone & shell, Tissue.CORTEX)

    def _ribs(self, cavity: Region, body: Body) -> None:
        """Twelve ribs a side, each a flat bar just inside the chest wall that drops as it
        goes round to the front; only the nearest rib to a point is tested."""
        ring = cavity.depth - body.fat_at(cavity.u) - RIB_RING_INSET_MM - 11.0
        _, width = body.bodies(cavity.s)
        near = (np.abs(ring) < RIB_RADIUS_MM[0]) & (np.abs(cavity.v) > width / 2 + 8)
        ribs = cavity.sub(near)
        if not len(ribs):
            return
        around = np.arctan2(np.abs(ribs.v), ribs.u + 60.0) / np.pi  # 0 at the back, 1 in front
        shifted = ribs.s - RIB_DROP * self._rib_spacing * around**1.3
        nearest = np.abs(shifted[:, None] - self._rib_heads[None, :]).min(axis=1)
        inside = (nearest < RIB_RADIUS_MM[1]) & (around < 0.8)
        radial = RIB_RADIUS_MM[0] - np.abs(ring[near])
        depth = np.minimum(RIB_RADIUS_MM[1] - nearest, radial)
        ribs.paint(inside, Tissue.MARROW)
        ribs.paint(inside & (depth < 1.0), Tissue.CORTEX)
