"""Vertebral bodies and discs along an axial CT series, and their names when an anchor shows.

In front of the canal, a vertebral body is bone (cancellous 150-300 HU inside a cortex of
several hundred) and a disc is soft tissue (75-90 HU): the median HU of a small box just in
front of the canal, slice by slice, falls at every disc. A segment runs from one body's upper
endplate to the next one's. Names are counted from an anchor, never guessed: the skull base
(the occipital bone spreading wide behind the canal at the top of the series; the first disc
below it is C2-C3, since C1 and C2 have no disc between them) or the sacrum (the body whose
alae make it far wider than any lumbar body, with the fused sacrum continuing below it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from spinetriage.levels import LEVELS, level_at, level_position
from workers.analysis.ct_canal import CanalPath
from workers.analysis.ct_section import Sections
from workers.analysis.reading import Anchor, Segment
from workers.analysis.volume import CanonicalVolume

BODY_BOX_MM = (2.0, 9.0, 4.0)  # in front of the canal wall: from, to (AP), half-width
BODY_HU = 125.0  # fatty marrow (>= 150) against disc (75-90); median of the box
CORTEX_REACH_MM = 2.0  # the body's back cortex lies within this of the canal's front wall
BACK_CORTEX_HU = 400.0  # cortex (700-1500, blurred) against annulus and marrow
TILT_SMOOTHING_MM = 15.0  # the spine's tilt changes over several vertebrae
MIN_BODY_MM = 6.0  # a body is taller than this (C3 is about 13 mm)
MIN_DISC_MM = 1.5  # a gap narrower than this is an endplate's partial volume
BONE_HU = 130.0  # marrow and cortex (row means) against muscle and disc, for bone's extent
BAND_HALF_MM = 3.0  # rows averaged when measuring bone's sideways extent
SKULL_SPAN_MM = 45.0  # occipital bone behind the canal (55-65 mm) against a spinous process (< 10)
SKULL_BEHIND_MM = (20.0, 70.0)  # where the occipital bone lies behind the canal centre
SKULL_TO_SAC_MM = 10.0  # below the skull's lowest wide slice the foramen magnum's contents
SKULL_SEARCH_MM = 60.0  # the skull must show within this of the series' top
SKULL_SLICE_STEP_MM = 2.0  # the occipital bone is centimetres tall: sample every 2 mm
SKULL_ROW_STEP_MM = 6.0  # and it is thicker than the 6 mm band each sample averages
SACRUM_SPAN_MM = 70.0  # alae: S1 measured 78-119 mm (low SNR narrows it), lumbar bodies <= 53
ALA_BELOW_TOP_MM = 10.0  # the alae are measured this far below the body's top (S1 is ~28 mm)
ALA_AHEAD_MM = 8.0  # ... and this far in front of the canal's front wall, through the body
# Where no body is that wide there, the alae are sought on rows from the wall to 20 mm in
# front: in 6 of 68 CT studies with S1 in view (tuning sets) the row 8 mm ahead measured 4-61
# mm at S1 (low SNR, or the alae's front edge) and no level was named; over these rows S1
# measured 72-116 mm and the bodies above it at most 52. Only a fallback: over them, L5 reached
# 113 mm in a study whose usual row found S1.
ALA_SEARCH_MM = (0.0, 4.0, 8.0, 12.0, 16.0, 20.0)
SACRUM_BELOW_MM = 40.0  # S1 and S2 wholly in view: the wide bone continues this far down
C2_TO_C3_HEIGHT = 1.18  # C2's body is about this much taller than C3's (textbook sizes)
C1_TO_C3_HEIGHT = 0.74  # C1's ring against C3's body


def body_profile(
    volume: CanonicalVolume, path: CanalPath, sections: Sections
) -> NDArray[np.float64]:
    """Per slice, the median HU of a box in front of the canal's front wall, or the body's
    back cortex where it is brighter than any marrow (a body whose marrow a tumour replaced
    keeps its cortex; a disc has none). The box is tilted with the spine (perpendicular to
    the canal's path), so that an endplate shows at the slice where it meets the canal."""
    slice_mm, pixel_y, pixel_x = volume.spacing_mm
    front = sections.wall_mm[:, sections.angles_rad.size // 2]
    near, far, half = BODY_BOX_MM
    depth = np.arange(-CORTEX_REACH_MM, far, 1.0)
    across = np.arange(-half, half + 0.1, 2.0)
    slices = volume.voxels.shape[0]
    forward_mm = front[:, None, None] + depth[None, :, None]
    tilt_sigma = TILT_SMOOTHING_MM / slice_mm
    smooth_y = ndimage.gaussian_filter1d(path.y * pixel_y, tilt_sigma, mode="nearest")
    backward_slope = np.gradient(smooth_y, slice_mm)[:, None, None]
    y = path.y[:, None, None] - forward_mm / pixel_y
    x = path.x[:, None, None] + across[None, None, :] / pixel_x
    z = np.arange(slices, dtype=np.float64)[:, None, None] + backward_slope * forward_mm / slice_mm
    grid = np.stack(np.broadcast_arrays(z, y, x)).reshape(3, -1)
    samples = ndimage.map_coordinates(volume.voxels, grid, order=1, mode="nearest")
    samples = samples.reshape(slices, depth.size, across.size)
    box = np.median(samples[:, depth >= near].reshape(slices, -1), axis=1)
    wall = np.median(samples[:, np.abs(depth) <= CORTEX_REACH_MM], axis=2).max(axis=1)
    result: NDArray[np.float64] = np.where(wall >= BACK_CORTEX_HU, np.maximum(box, wall), box)
    return result


def body_runs(profile: NDArray[np.float64], slice_mm: float) -> list[tuple[int, int]]:
    """First and last slice of each vertebral body, top to bottom."""
    body = profile > BODY_HU
    gap = max(1, round(MIN_DISC_MM / slice_mm))
    body = ndimage.binary_closing(body, structure=np.ones(gap + 1, dtype=bool)) | body
    labels, _ = ndimage.label(body)
    runs = []
    for found in ndimage.find_objects(labels):
        first, last = found[0].start, found[0].stop - 1
        if (last - first + 1) * slice_mm >= MIN_BODY_MM:
            runs.append((first, last))
    return runs


def bone_span_mm(row: NDArray[np.float32], centre: int, pixel_mm: float) -> float:
    """Width of the unbroken bone around ``centre`` along a row (gaps of 2 px bridged)."""
    bone = ndimage.binary_closing(row > BONE_HU, structure=np.ones(3, dtype=bool))
    if not bone[centre]:
        return 0.0
    outside = np.flatnonzero(~bone)
    left = outside[outside < centre]
    right = outside[outside > centre]
    start = int(left.max()) + 1 if left.size else 0
    stop = int(right.min()) if right.size else bone.size
    return (stop - start) * pixel_mm


def widest_bone_mm(volume: CanonicalVolume, z: int, y: float, x: float) -> float:
    """Sideways extent of the bone through (y, x) on slice z, on the mean of the rows within
    3 mm (marrow is told from soft tissue on the mean, not on single noisy pixels)."""
    _, pixel_y, pixel_x = volume.spacing_mm
    image = volume.voxels[z]
    low = max(0, round(y - BAND_HALF_MM / pixel_y))
    high = min(image.shape[0], round(y + BAND_HALF_MM / pixel_y) + 1)
    if high <= low:
        return 0.0
    band = image[low:high].mean(axis=0)
    centre = int(np.clip(round(x), 0, band.size - 1))
    return bone_span_mm(band, centre, pixel_x)


def skull_bottom(volume: CanonicalVolume, path: CanalPath) -> int | None:
    """Lowest slice near the series' top where occipital bone spreads wide behind the canal,
    or None when there is no skull. Searched from the bottom of the window upwards."""
    slice_mm, pixel_y, _ = volume.spacing_mm
    near, far = SKULL_BEHIND_MM
    step = max(1, round(SKULL_SLICE_STEP_MM / slice_mm))
    window = min(volume.voxels.shape[0], round(SKULL_SEARCH_MM / slice_mm))
    for z in range(window - 1, -1, -step):
        for behind in np.arange(near, far, SKULL_ROW_STEP_MM):
            y = path.y[z] + behind / pixel_y
            if y >= volume.voxels.shape[1]:
                break
            if widest_bone_mm(volume, z, y, path.x[z]) >= SKULL_SPAN_MM:
                return z
    return None


def sacrum_run(
    volume: CanonicalVolume,
    path: CanalPath,
    sections: Sections,
    runs: list[tuple[int, int]],
    ahead_mm: tuple[float, ...] = (ALA_AHEAD_MM,),
) -> int | None:
    """Index of the run that is S1: the first body as wide as the alae (the widest bone on
    rows ``ahead_mm`` in front of the canal) with bone going on at least ``SACRUM_BELOW_MM``
    below its top, or None."""
    slice_mm, pixel_y, _ = volume.spacing_mm
    front = sections.wall_mm[:, sections.angles_rad.size // 2]
    for index, (first, last) in enumerate(runs):
        middle = min((first + last) // 2, first + round(ALA_BELOW_TOP_MM / slice_mm))
        widest = max(
            widest_bone_mm(
                volume, middle, path.y[middle] - (front[middle] + ahead) / pixel_y, path.x[middle]
            )
            for ahead in ahead_mm
        )
        if widest < SACRUM_SPAN_MM:
            continue
        below = runs[-1][1] - first
        if index > 0 and below * slice_mm >= SACRUM_BELOW_MM:
            return index
        return None
    return None


def named_segments(
    runs: list[tuple[int, int]], anchor: Anchor | None, first_name_index: int | None
) -> tuple[Segment, ...]:
    """Segments from each body's top to the next body's top (the last one to its own end)."""
    segments = []
    for i, (first, last) in enumerate(runs):
        bottom = runs[i + 1][0] if i + 1 < len(runs) else last + 1
        name = None
        if anchor is not None and first_name_index is not None:
            name = level_at(min(first_name_index + i, len(LEVELS) - 1))
        segments.append(Segment(top_z=float(first), bottom_z=float(bottom), name=name))
    return tuple(segments)


@dataclass(frozen=True)
class Levels:
    """Segments top to bottom, what named them, and the slices between the skull and the
    sacrum where the canal holds a thecal sac to read."""

    segments: tuple[Segment, ...]
    anchor: Anchor | None
    sac_range: tuple[int, int]


def read_levels(volume: CanonicalVolume, path: CanalPath, sections: Sections) -> Levels:
    slices = volume.voxels.shape[0]
    runs = body_runs(body_profile(volume, path, sections), volume.spacing_mm[0])
    skull = skull_bottom(volume, path)
    top = 0 if skull is None else skull + round(SKULL_TO_SAC_MM / volume.spacing_mm[0])
    below_skull = [run for run in runs if skull is None or run[1] > skull]
    if skull is not None and len(below_skull) >= 2:
        return Levels(_from_skull(below_skull), "skull_base", (top, slices - 1))
    s1 = sacrum_run(volume, path, sections, runs)
    if s1 is None:
        s1 = sacrum_run(volume, path, sections, runs, ALA_SEARCH_MM)
    if s1 is not None:
        kept = [run for run in runs[: s1 + 1] if run[0] > 0]
        start = level_position("S1") - (len(kept) - 1)
        if start >= 0:
            segments = named_segments(kept, "sacrum", start)
            return Levels(segments, "sacrum", (top, runs[s1][0]))
    whole = [run for run in runs if run[0] > 0 and run[1] < slices - 1]
    return Levels(named_segments(whole, None, None), None, (top, slices - 1))


def _from_skull(runs: list[tuple[int, int]]) -> tuple[Segment, ...]:
    """The first run holds clivus, dens and C2 (no disc above C2-C3); C1 and C2's upper
    endplate are placed from C3's height, the rest counted down from C3."""
    c2_bottom = runs[0][1] + 1
    lower = runs[1:]
    c3_height = lower[0][1] - lower[0][0] + 1
    c2_top = c2_bottom - C2_TO_C3_HEIGHT * c3_height
    c1_top = c2_top - C1_TO_C3_HEIGHT * c3_height
    upper = (
        Segment(top_z=float(max(c1_top, 0.0)), bottom_z=float(c2_top), name="C1"),
        Segment(top_z=float(c2_top), bottom_z=float(lower[0][0]), name="C2"),
    )
    return upper + named_segments(lower, "skull_base", level_position("C3"))
