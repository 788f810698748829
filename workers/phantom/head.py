"""Skull base and posterior fossa above C1: the skull, the clivus rising forwards from the
foramen magnum, the brainstem that continues the cord, the cerebellum and the cisterns.

All in the spine's frame, with the centerline continued straight above the foramen magnum
(s < 0). Sizes are adult; the whole head scales with the spine's size."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from workers.phantom.floats import Floats
from workers.phantom.spine import Spine
from workers.phantom.tissues import Tissue

# The cranial vault as an ellipsoid (centre s, u; radii s, u, v), its bottom near the foramen.
VAULT_CENTRE = (-68.0, 14.0)
VAULT_RADII = (70.0, 90.0, 70.0)
SKULL_MM = 6.5  # outer table, diploe, inner table
TABLE_MM = 1.8  # each cortical table of the skull
CSF_UNDER_SKULL_MM = 1.5  # thin CSF between brain and skull
FORAMEN_RADIUS_MM = 17.0  # foramen magnum, about 35 mm across
CLIVUS_SLOPE = 0.85  # mm forwards per mm upwards: the clivus leans about 40 deg forwards
CLIVUS_MM = (11.0, 44.0, 12.0)  # thickness, length, half-width
PREPONTINE_CSF_MM = 3.5  # cistern between clivus and brainstem
MEDULLA_MM = (0.0, -28.0, 6.5, 8.0)  # from, to, AP and lateral radii at its top
PONS_MM = (-28.0, -58.0, 12.0, 14.0)
CISTERNA_MAGNA = (-10.0, 30.0, 9.0, 10.0, 16.0)  # centre s, u; radii s, u, v
FACE_FLOOR_S = -48.0  # anterior to the clivus the skull floor is this high; below is the face
CONDYLE = (12.0, 24.0, -14.0, 4.0, -8.0, 4.0)  # occipital condyles: |v|, u and s ranges
HEAD_TOP_S = -150.0  # nothing of the head is modelled above this
STEM_SHEATH = 1.5  # CSF around the medulla and pons, as a multiple of their radii


class Head:
    def __init__(self, spine: Spine) -> None:
        self.spine = spine
        self.scale = spine.spec.segments[3].body_depth_mm / 16.0

    def outline_depth(self, s: Floats, u: Floats, v: Floats) -> Floats:
        """Depth (mm) below the outer surface of the skull (positive inside)."""
        cs, cu = VAULT_CENTRE
        rs, ru, rv = (r * self.scale for r in VAULT_RADII)
        q = np.sqrt(((s - cs * self.scale) / rs) ** 2 + ((u - cu) / ru) ** 2 + (v / rv) ** 2)
        depth: Floats = (1 - q) * rv
        return depth

    def labels(self, s: Floats, u: Floats, v: Floats) -> NDArray[np.uint8]:
        """Labels of head structures; 255 where the head has nothing to say."""
        out = np.full(np.shape(s), 255, dtype=np.uint8)
        near = (s < 12) & (s > HEAD_TOP_S * self.scale)
        if not near.any():
            return out
        depth = self.outline_depth(s, u, v)
        clivus_u = self._clivus_front_of_brainstem(s)
        face = (u < clivus_u) & (s > FACE_FLOOR_S)
        cavity = (depth > SKULL_MM) & ~face
        skull = (depth > 0) & (depth <= SKULL_MM) & ~face
        foramen = (np.hypot(u - 2.0, v) < FORAMEN_RADIUS_MM) & (s > -25)
        skull &= ~foramen
        out[cavity] = Tissue.BRAIN
        out[cavity & (depth < SKULL_MM + CSF_UNDER_SKULL_MM)] = Tissue.CSF
        out[skull] = Tissue.MARROW
        out[skull & ((depth < TABLE_MM) | (depth > SKULL_MM - TABLE_MM))] = Tissue.CORTEX
        self._posterior_fossa(out, s, u, v, clivus_u)
        out[~near] = 255
        return out

    def _clivus_front_of_brainstem(self, s: Floats) -> Floats:
        """u of the clivus's back surface: from the basion, leaning forwards as it rises."""
        a_c, _ = self.spine.canal(np.zeros(1))
        basion = -float(a_c[0]) - 1.0
        back: Floats = basion + CLIVUS_SLOPE * np.minimum(s, 0.0)
        return back

    def _posterior_fossa(
        self, out: NDArray[np.uint8], s: Floats, u: Floats, v: Floats, clivus_back: Floats
    ) -> None:
        thick, length, half_width = CLIVUS_MM
        rising = (s < 0) & (s > -length * self.scale)
        clivus = rising & (u < clivus_back) & (u > clivus_back - thick) & (np.abs(v) < half_width)
        out[clivus] = Tissue.MARROW
        out[clivus & (u > clivus_back - 1.2)] = Tissue.CORTEX
        v0, v1, u0, u1, s0, s1 = CONDYLE
        condyle = (np.abs(v) > v0) & (np.abs(v) < v1) & (u > u0) & (u < u1) & (s > s0) & (s < s1)
        out[condyle] = Tissue.MARROW
        cistern = rising & (u >= clivus_back) & (u < clivus_back + PREPONTINE_CSF_MM)
        out[cistern & (np.abs(v) < 16)] = Tissue.CSF
        cs, cu, rs, ru, rv = CISTERNA_MAGNA
        magna = ((s - cs) / rs) ** 2 + ((u - cu) / ru) ** 2 + (v / rv) ** 2 <= 1
        out[magna & (out == Tissue.BRAIN)] = Tissue.CSF
        _, cord_a, cord_b = self.spine.cord(np.zeros(1))
        for top, bottom, ra, rb in (MEDULLA_MM, PONS_MM):
            span = (s <= top) & (s > bottom * self.scale)
            # the medulla widens from the cord's size at the foramen to its own at the top
            grow = np.clip(s / (bottom * self.scale), 0, 1) if top == 0 else 1.0
            a = float(cord_a[0]) + (ra - float(cord_a[0])) * grow
            b = float(cord_b[0]) + (rb - float(cord_b[0])) * grow
            centre = clivus_back + PREPONTINE_CSF_MM + a
            q = ((u - centre) / a) ** 2 + (v / b) ** 2
            out[span & (q <= STEM_SHEATH**2) & (out == Tissue.BRAIN)] = Tissue.CSF
            out[span & (q <= 1)] = Tissue.BRAIN
