"""One patient, ready to be imaged: the tissue label at any point in space.

Painting order matters and is anatomical: body and organs first, masses outside the canal over
them, then bone, foramina and bone lesions, and the canal's contents last (the canal is the
hole in the bone)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from workers.phantom.anatomy import SpineSpec
from workers.phantom.body import Body
from workers.phantom.canal import NONE, Bulge, Canal, FlowVoid
from workers.phantom.floats import Floats
from workers.phantom.masses import TISSUE_OF, BlobMass, BoneLesion, EpiduralMass
from workers.phantom.region import Region
from workers.phantom.spine import Spine
from workers.phantom.tissues import Tissue
from workers.phantom.vertebrae import Vertebrae

NEAR_SPINE_MM = (-62.0, 70.0, 70.0)  # u from, u to, |v|: where bones and canal can be
FORAMEN_REACH_MM = 11.0  # the neural foramen, lateral to the canal, holds fat and a root
ROOT_EXIT_FRACTION = 0.72  # exiting roots pass just under the pedicle
EXITING_ROOT_RADIUS_MM = 2.3


@dataclass(frozen=True)
class Contents:
    """What a patient has besides normal anatomy."""

    epidural: tuple[EpiduralMass, ...] = ()
    blobs: tuple[BlobMass, ...] = ()
    bone_lesions: tuple[BoneLesion, ...] = ()
    bulges: tuple[Bulge, ...] = ()
    flow_voids: tuple[FlowVoid, ...] = ()
    roots: tuple[tuple[float, float], ...] = ()


class Phantom:
    def __init__(self, spec: SpineSpec, contents: Contents) -> None:
        self.spine = Spine(spec)
        self.contents = contents
        self.body = Body(self.spine)
        self.vertebrae = Vertebrae(self.spine)
        self.canal = Canal(
            self.spine,
            masses=contents.epidural,
            bulges=contents.bulges,
            flow_voids=contents.flow_voids,
            roots=contents.roots,
        )

    def labels(self, points: NDArray[np.float32]) -> NDArray[np.uint8]:
        """Tissue label of each LPS point (shape (..., 3) -> (...))."""
        shape = points.shape[:-1]
        flat = points.reshape(-1, 3)
        loc = self.spine.local(flat)
        depth = self.body.skin_depth(loc, self.spine.axial(flat))
        out = np.full(len(flat), Tissue.AIR, dtype=np.uint8)
        self.body.paint(Region.everything(out, loc.s, loc.u, loc.v, depth))
        s, u, v = loc.s, loc.u, loc.v
        for blob in self.contents.blobs:
            out[blob.contains(s, u, v)] = TISSUE_OF[blob.tissue]
        u0, u1, reach = NEAR_SPINE_MM
        near = (u > u0) & (u < u1) & (np.abs(v) < reach) & (s > -30) & (s < self.spine.end + 5)
        if near.any():
            out[near] = self._spine_labels(s[near], u[near], v[near], out[near])
        return out.reshape(shape)

    def _spine_labels(
        self, s: Floats, u: Floats, v: Floats, under: NDArray[np.uint8]
    ) -> NDArray[np.uint8]:
        out = under.copy()
        self._foramina(out, s, u, v)
        bone = self.vertebrae.labels(s, u, v)
        out[bone != 255] = bone[bone != 255]
        self._bone_lesions(out, s, u, v)
        a_c, b_c = self.spine.canal(s)
        box = (np.abs(u) <= a_c + 0.5) & (np.abs(v) <= b_c + 0.5)
        if box.any():
            canal = self.canal.section(s[box], u[box], v[box]).labels
            inner = out[box]
            inner[canal != NONE] = canal[canal != NONE]
            out[box] = inner
        return out

    def _foramina(self, out: NDArray[np.uint8], s: Floats, u: Floats, v: Floats) -> None:
        sp = self.spine
        a_c, b_c = sp.canal(s)
        beyond = np.abs(v) - b_c
        foramen = (beyond > -1) & (beyond < FORAMEN_REACH_MM) & (u > -a_c - 1) & (u < 0.4 * a_c)
        foramen &= (s > sp.top[1]) & (s < sp.top[-3])
        out[foramen] = Tissue.EPIDURAL_FAT
        index = sp.segment_of(s)
        root_s = sp.top[index] + ROOT_EXIT_FRACTION * (sp.bottom[index] - sp.top[index])
        d2 = ((s - root_s) / 1.4) ** 2 + (u + 0.3 * a_c) ** 2 + (beyond - 4.0) ** 2
        out[foramen & (d2 < EXITING_ROOT_RADIUS_MM**2)] = Tissue.NERVE

    def _bone_lesions(self, out: NDArray[np.uint8], s: Floats, u: Floats, v: Floats) -> None:
        sp = self.spine
        for lesion in self.contents.bone_lesions:
            centre_s = sp.mid[lesion.segment] + lesion.offset_s
            centre_u = float(self.vertebrae.body_centre_u(lesion.segment)) + lesion.offset_u
            d2 = (s - centre_s) ** 2 + (u - centre_u) ** 2 + (v - lesion.offset_v) ** 2
            inside = d2 <= lesion.radius_mm**2
            in_body = sp.segment_of(s) == lesion.segment
            target = inside & in_body & (out == Tissue.MARROW)
            out[target] = lesion.tissue
