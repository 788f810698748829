"""Mass or flowing CSF? A plain T1 series answers for a mass a sagittal T2 or STIR series found
behind the sac.

Pulsating CSF behind the cord loses its signal on T2 and STIR (a flow void): where it fills the
space between the cord and the dura, no CSF is left there to see, and the series reads tissue
pressing on the cord. On T1 the CSF is the darkest tissue in the canal whether it flows or not
(about a fifth of the cord's signal), while tumour and haematopoietic tissue are intermediate,
nearly as bright as the cord. So where a plain T1 series shows the mass's rows, at the depth
the CSF behind the cord usually lies, as dark as CSF against the cord beside them, the mass is
CSF and no detection (``reading.DorsalCsf``). Without a plain T1 series covering it, a mass
stands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from workers.analysis.fat_check import signal_at
from workers.analysis.placement import Placed
from workers.analysis.reading import DorsalCsf

# T1 where the CSF behind the cord usually lies over the mass's rows, against the cord's middle
# beside them (tuning sets, 452 MR studies): 0.04-0.25 over 19 flow voids (and one CSF space a
# bulging disc and a narrow canal made look shut), 0.35 and up over true masses (median 0.84);
# 0.29-0.34 over three more flow voids, too near the masses to draw the line there
FLOW_VOID_T1 = 0.25


def without_flow_voids(placed: Sequence[Placed]) -> list[Placed]:
    """Every series as read, less the detections a plain T1 series shows to be CSF."""
    t1 = [p for p in placed if p.series.plane == "sagittal" and p.series.weighting == "T1"]
    if not t1:
        return list(placed)
    return [_without_voids(asked, t1[0]) for asked in placed]


def _without_voids(asked: Placed, t1: Placed) -> Placed:
    voids = [check.detection for check in asked.reading.dorsal_csf if is_csf(check, asked, t1)]
    if not voids:
        return asked
    kept = tuple(d for d in asked.reading.detections if d not in voids)
    return replace(asked, reading=replace(asked.reading, detections=kept))


def is_csf(check: DorsalCsf, asked: Placed, t1: Placed) -> bool:
    """Whether ``t1`` shows the mass's rows, where the CSF behind the cord lies, as dark as CSF
    against the cord."""
    mass = signal_at(t1, asked.positions_mm(check.mass_points))
    cord = signal_at(t1, asked.positions_mm(check.cord_points))
    return mass is not None and cord is not None and cord > 0 and mass / cord < FLOW_VOID_T1
