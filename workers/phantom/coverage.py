"""What a set of series shows of the spine: the levels whose vertebral body is wholly in the
field of view, and whether an anchor for counting levels is visible (the skull base with C2, or
the sacrum)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spinetriage.levels import LEVELS
from workers.phantom.anatomy import SACRAL_FIRST, SEGMENTS
from workers.phantom.geometry import Geometry
from workers.phantom.spine import Spine
from workers.phantom.truth import Anchor

CLIVUS_PROBE_MM = (-12.0, -5.0)  # a point of the clivus above the basion: s, u beyond the canal
C1_ARCH_DEPTH_MM = 12.0  # C1 has no body; its anterior arch and the dens stand in for it


def body_corners(spine: Spine, segment: int) -> list[np.ndarray]:
    """Midline corners of a vertebral body (C1: of its anterior arch and the dens)."""
    seg = spine.spec.segments[segment]
    back = -seg.canal_ap_mm / 2
    depth = seg.body_depth_mm if segment > 0 else C1_ARCH_DEPTH_MM
    top, bottom = float(spine.top[segment]), float(spine.bottom[segment])
    corners = []
    for s in (top, bottom):
        for u in (back, back - depth):
            corners.append(spine.to_lps(np.array(s), np.array(u), np.array(0.0)))
    return corners


def wholly_in_view(spine: Spine, segment: int, views: Sequence[Geometry]) -> bool:
    corners = body_corners(spine, segment)
    return any(all(view.contains(c) for c in corners) for view in views)


def levels_in_view(spine: Spine, views: Sequence[Geometry]) -> tuple[str, ...]:
    return tuple(LEVELS[i] for i in range(len(LEVELS)) if wholly_in_view(spine, i, views))


def anchor_in_view(spine: Spine, views: Sequence[Geometry]) -> Anchor | None:
    """Skull base when the clivus and C2 are seen; else the sacrum when S1 and S2 are."""
    s, u = CLIVUS_PROBE_MM
    a_c = float(spine.canal(np.float32(0.0))[0])
    clivus = spine.to_lps(np.array(s), np.array(-a_c + u), np.array(0.0))
    if any(view.contains(clivus) for view in views) and wholly_in_view(spine, 1, views):
        return "skull_base"
    if all(wholly_in_view(spine, i, views) for i in (SACRAL_FIRST, SACRAL_FIRST + 1)):
        return "sacrum"
    return None


def segments_in_view(spine: Spine, views: Sequence[Geometry]) -> list[int]:
    """Segment indices (C1..S5) whose body is wholly seen, for placing findings."""
    return [i for i in range(len(SEGMENTS)) if wholly_in_view(spine, i, views)]
