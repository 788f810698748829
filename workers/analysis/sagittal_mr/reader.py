"""Reading one sagittal MR series: the canal, the segments and their names, epidural masses.

``read_sagittal_mr`` is the entry point. The canal is followed first (``canal``), straightened
(``straighten``) on the midline slice and the slices beside it; segments are found on the
midline (``segments``); on series where CSF is bright (T2, STIR, PD) the canal's contents are
measured row by row (``sections``) and epidural masses found and graded (``epidural``); a
mass behind the sac carries where the CSF behind the cord would be, for T1 to tell it from
flowing CSF (``flow_check``). On T1-weighted series CSF and cord are too alike to grade, and
the sac's end cannot be seen to count from the sacrum: they give unnamed segments only."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from spinetriage.triage import Side, Weighting
from workers.analysis.reading import (
    Detection,
    DorsalCsf,
    FatQuestion,
    SacSide,
    Segment,
    SeriesReading,
)
from workers.analysis.sagittal_mr.canal import FLUID_DARK, CanalPath, fluid_factor, trace_canal
from workers.analysis.sagittal_mr.epidural import (
    BASELINE_WINDOW_MM,
    BRIDGE_MM,
    SAC_BASELINE_PERCENTILE,
    WALL_ENVELOPE_MM,
    MassRun,
    find_masses,
    longest_run,
    rolling_percentile,
    tissue_middles,
)
from workers.analysis.sagittal_mr.sections import (
    Floats,
    RowMeasures,
    csf_level,
    finite_median,
    measure_rows,
)
from workers.analysis.sagittal_mr.segments import (
    above_sac_end,
    disc_profile,
    disc_rows,
    find_anchor,
    last_read_row,
    named,
    segment_period_mm,
    segments_between,
)
from workers.analysis.sagittal_mr.straighten import (
    Straightened,
    points_at,
    sample_points,
    straighten,
)
from workers.analysis.volume import CanonicalVolume

READ_WEIGHTINGS: frozenset[Weighting] = frozenset({"T2", "STIR", "PD", "T1", "T1_contrast"})
FAT_SUPPRESSED: frozenset[Weighting] = frozenset({"STIR"})
MIN_SHAPE = (32, 32, 3)  # rows, columns, slices below which there is no spine to follow
LATERAL_REACH_MM = 0.0  # slices beside the midline that still cut the sac
SAC_PRESENT_FRACTION = 0.5  # rows where the sac is, by the share of rows with CSF nearby
SAC_PRESENT_WINDOW_MM = 20.0
SAC_TAPER_FRACTION = 0.6  # a sac this much shallower than usual at an end is closing
SAC_TAPER_WINDOW_MM = 10.0
SACRUM_MIN_SEGMENT_MM = 25.0  # lumbar segments: only there is a closing sac its end, not a mass
SAC_CLOSED_MM = 15.0  # closed this long in the lower half: the sac has ended (S2)
# ... unless it opens again below for a lumbar segment's length in a row: a mass that shut it
# leaves the sac below; the sacral canal's fat, once the CSF level has followed it down, shows
# as short stretches of "sac" (15-18 mm in the tuning sets)
SAC_REOPENED_MM = 30.0
# ... and as bright as the CSF above it: the sacral canal's fat, read as sac against a CSF
# level that followed it down, is the fat's T2 brightness (tuning sets: lumbar sacs shut for
# 17-18 mm, then "sac" to the image's edge at 0.74 and 0.82 of the CSF above); below a mass
# that shut a thoracic sac for 41 mm, the coil's falling sensitivity left the CSF at 0.90
SAC_REOPENED_BRIGHTNESS = 0.86
# the 90th percentile of the sac's AP above C2/C3 is 1.28-1.9 times its median with the
# cisterna magna in view, 1.15-1.18 over missed upper thoracic discs (tuning sets)
CISTERN_WIDENING = 1.22
# ... and is 13.5-22 mm deep there, where a thoracic sac above missed discs is 8.5-11 mm
CISTERN_MIN_MM = 12.0
CISTERN_PERCENTILE = 90.0
BOX_HALF_DEPTH_MM = 12.0
# the median tissue in front of or behind the sac over C2 (``into_c2``), in the 240 cervical T2
# and STIR series of the tuning sets: 6-15.5 mm where a mass starts at C1; 5 and 12 mm in front
# of masses starting at C2 and C3; at most 4 mm behind and 3.2 mm in front in all others
C2_MASS_TISSUE_MM = 5.0
CONFIDENCE_FLOOR = 0.5
CONFIDENCE_PER_MM = 0.1  # each millimetre of extra tissue beyond the threshold adds this much
FAT_REFERENCE_MM = 60.0  # the canal's fat a doubtful mass is compared with lies this near
MEASURED_TISSUE_MM = 2.0  # tissue this thick is sampled in its middle, clear of sac and bone
# outside the sac's edge lies the canal's fat, or the mass that replaced it
FAT_DEPTHS_MM = (0.5, 1.0, 1.5)


def read_sagittal_mr(volume: CanonicalVolume, weighting: Weighting) -> SeriesReading:
    """Segments (named from an anchor when one is in view) and epidural masses of a series."""
    voxels = volume.voxels
    if voxels.ndim != 3:
        raise ValueError(f"volume: expected 3 dimensions, got shape {voxels.shape}")
    if weighting not in READ_WEIGHTINGS:
        return SeriesReading(segments=(), anchor=None, detections=(), note=f"{weighting} not read")
    if any(n < m for n, m in zip(voxels.shape, MIN_SHAPE, strict=True)):
        return SeriesReading(segments=(), anchor=None, detections=(), note="too small for a spine")
    dz = volume.spacing_mm[0]
    path = trace_canal(voxels, weighting, volume.spacing_mm)
    midline = straighten(voxels, path)
    profile = disc_profile(midline, dz)
    period = segment_period_mm(profile, dz) / dz
    if weighting in FLUID_DARK:  # too unlike the fluid series to count levels or grade
        discs = disc_rows(profile, dz)
        segments = segments_between(discs, period) if discs.size >= 2 else []
        return SeriesReading(tuple(segments), None, (), note="T1: segments unnamed, no grading")
    slices = canal_sections(voxels, weighting, path, midline)
    discs = disc_rows(profile, dz, slices[0].sac_ap)
    lumbar = period * dz >= SACRUM_MIN_SEGMENT_MM
    open_rows = sac_open(slices[0].sac_ap, slices[0].csf_level, dz, may_close=lumbar)
    sac_end = closing_row(open_rows)
    discs = above_sac_end(discs, sac_end, period)
    if discs.size < 2:
        return SeriesReading(segments=(), anchor=None, detections=(), note="no discs found")
    cisterns = widens_above(slices[0].sac_ap, int(discs[0]))
    anchor = find_anchor(discs, voxels.shape[0], sac_end, dz, cisterns=cisterns)
    segments = named(segments_between(discs, period), anchor)
    read_to = last_read_row(discs, sac_end, period)
    valid = valid_rows(slices[0].csf_pixels, float(discs[0]), read_to, dz) & open_rows
    masses = find_masses(slices, valid, dz, fat_bright=weighting not in FAT_SUPPRESSED)
    masses = [into_c2(m, segments, slices[0], valid, dz) for m in masses]
    found = [(m, detection(m, path, volume)) for m in masses if not m.doubtful]
    return SeriesReading(
        segments=tuple(segments),
        anchor=anchor,
        detections=tuple(d for _, d in found),
        fat_questions=tuple(
            fat_question(m, slices[0], valid, path, volume) for m in masses if m.doubtful
        ),
        beside_sac=beside_sac(slices[0], valid, path, volume),
        dorsal_csf=dorsal_csf_checks(found, slices[0], valid, path),
    )


@dataclass(frozen=True)
class UsualDepths:
    """Per row, depths (mm behind the canal's centre) where the CSF behind the cord and the
    cord's middle usually lie (NaN: no cord read near)."""

    csf: Floats
    cord: Floats


def into_c2(
    mass: MassRun,
    segments: list[Segment],
    midline: RowMeasures,
    valid: NDArray[np.bool_],
    dz: float,
) -> MassRun:
    """``mass`` reaching up to C2 when it comes to the first row read and the tissue in front of
    or behind the sac is thick over most of C2. Above the C2-C3 disc the canal widens towards
    the cisterns and the tissue around the sac varies from row to row, so no mass is sought
    there row by row; over the whole segment a mass shows."""
    read = np.flatnonzero(valid)
    if read.size == 0 or mass.first_row > read[0] + round(BRIDGE_MM / dz):
        return mass
    c2 = [s for s in segments if s.name == "C2" and s.top_z <= read[0] <= s.bottom_z]
    if not c2:
        return mass
    top, bottom = round(c2[0].top_z), round(c2[0].bottom_z)
    envelope = round(WALL_ENVELOPE_MM / dz)
    behind = finite_median(midline.back_tissue(envelope)[top:bottom])
    in_front = finite_median(midline.front_tissue(envelope)[top:bottom])
    if not np.fmax(behind, in_front) >= C2_MASS_TISSUE_MM:  # NaN where nothing was measured
        return mass
    return replace(mass, first_row=min(mass.first_row, top))


def canal_sections(
    voxels: NDArray[np.float32], weighting: Weighting, path: CanalPath, midline: Straightened
) -> dict[int, RowMeasures]:
    """Row measures of the midline slice (key 0, already straightened as ``midline``) and the
    slices beside it that cut the sac, in fluid contrast."""
    dz, _, dx = path.spacing_mm
    factor = fluid_factor(voxels, weighting)
    reach = int(LATERAL_REACH_MM // dx)
    middle_slice = int(np.median(path.x))
    offsets = [m for m in range(-reach, reach + 1) if 0 <= middle_slice + m < voxels.shape[2]]
    # straightening interpolates linearly: it commutes with the scaling to fluid contrast
    straight = {m: midline if m == 0 else straighten(voxels, path, m) for m in offsets}
    fluid = {m: s.scaled(factor) for m, s in straight.items()}
    level = csf_level(fluid[0], dz)
    return {m: measure_rows(s, level, dz) for m, s in fluid.items()}


def widens_above(sac_ap_mm: NDArray[np.float64], row: int) -> bool:
    """Whether the sac above ``row`` (the first disc) widens well beyond its usual depth, as
    it does into the cisterna magna under the skull base."""
    depth = np.nan_to_num(sac_ap_mm, nan=0.0)
    above, seen = depth[:row], depth[depth > 0]
    if above.size == 0 or seen.size == 0:
        return False
    wide = float(np.percentile(above, CISTERN_PERCENTILE))
    return wide >= max(CISTERN_WIDENING * float(np.median(seen)), CISTERN_MIN_MM)


def closing_row(open_rows: NDArray[np.bool_]) -> int | None:
    """The last row of an open sac when it closes before the image ends (None otherwise)."""
    found = np.flatnonzero(open_rows)
    if found.size == 0 or found[-1] >= open_rows.size - 1:
        return None
    return int(found[-1])


def sac_open(
    sac_ap_mm: NDArray[np.float64],
    csf_level: NDArray[np.float64],
    dz_mm: float,
    may_close: bool,
) -> NDArray[np.bool_]:
    """Rows from the first where the sac is open to its usual depth down to where it closes
    (around S2, looked for when ``may_close``) or the last open row: not where it tapers shut
    or widens into the cisterns. ``csf_level``: the CSF brightness the depths were read
    against, row by row."""
    depth = np.nan_to_num(sac_ap_mm, nan=0.0)
    smooth = ndimage.median_filter(depth, size=max(3, round(SAC_TAPER_WINDOW_MM / dz_mm)))
    usual = float(np.median(depth[depth > 0])) if (depth > 0).any() else 0.0
    is_open = smooth >= SAC_TAPER_FRACTION * usual
    rows = np.arange(depth.size)
    open_rows = np.flatnonzero(is_open)
    if open_rows.size == 0:
        return np.zeros(depth.size, dtype=bool)
    last = open_rows[-1]
    labels, count = ndimage.label(~is_open)
    for label in range(1, count + 1):
        closed = np.flatnonzero(labels == label)
        lower_half = closed[0] > depth.size // 2
        # a mass that closes the sac lets it open again below; the end of the sac does not
        reopens = _reopens(is_open, closed, csf_level, dz_mm)
        long_enough = closed.size * dz_mm >= SAC_CLOSED_MM
        if may_close and lower_half and long_enough and not reopens and closed[0] > open_rows[0]:
            last = closed[0] - 1
            break
    result: NDArray[np.bool_] = (rows >= open_rows[0]) & (rows <= last)
    return result


def _reopens(
    is_open: NDArray[np.bool_],
    closed: NDArray[np.intp],
    csf_level: NDArray[np.float64],
    dz_mm: float,
) -> bool:
    """Whether the sac opens again below the ``closed`` rows: for a lumbar segment's length
    in a row, with CSF as bright just below the closure as just above it (over that length on
    each side: the coil's sensitivity changes the brightness along the spine)."""
    after = closed[-1] + 1
    if longest_run(is_open[after:]) * dz_mm < SAC_REOPENED_MM:
        return False
    reach = round(SAC_REOPENED_MM / dz_mm)
    below = after + np.flatnonzero(is_open[after : after + reach])
    above = np.flatnonzero(is_open[: closed[0]])[-reach:]
    if below.size == 0 or above.size == 0:
        return True
    ratio = float(np.median(csf_level[below])) / float(np.median(csf_level[above]))
    return ratio >= SAC_REOPENED_BRIGHTNESS


def valid_rows(
    csf_pixels: NDArray[np.intp], first_row: float, last_row: float, dz_mm: float
) -> NDArray[np.bool_]:
    """Rows inside the sac's run from the first disc read to the last (no skull above, no
    sacrum below)."""
    rows = np.arange(csf_pixels.size)
    window = max(3, round(SAC_PRESENT_WINDOW_MM / dz_mm))
    share = ndimage.uniform_filter1d((csf_pixels > 0).astype(float), window, mode="nearest")
    present = np.flatnonzero(share >= SAC_PRESENT_FRACTION)
    if present.size == 0:
        return np.zeros(csf_pixels.size, dtype=bool)
    low = max(present[0], first_row)
    high = min(present[-1], last_row)
    result: NDArray[np.bool_] = (rows >= low) & (rows <= high)
    return result


def fat_question(
    mass: MassRun,
    midline: RowMeasures,
    valid: NDArray[np.bool_],
    path: CanalPath,
    volume: CanonicalVolume,
) -> FatQuestion:
    """A doubtful mass (``epidural.find_masses``), with points in its tissue (on each side of
    the sac for a circumferential mass) and in the canal's fat behind the sac (where most of
    it lies) on the valid rows within ``FAT_REFERENCE_MM`` above and below."""
    dz = volume.spacing_mm[0]
    mass_rows = np.arange(mass.first_row, mass.last_row + 1)
    sides: tuple[Side, ...] = (
        ("anterior", "posterior") if mass.side == "circumferential" else (mass.side,)
    )
    mass_points = tuple(
        points_at(path, *tissue_middles(midline, side, mass_rows, MEASURED_TISSUE_MM))
        for side in sides
    )
    fat_rows, fat_depths = tissue_middles(
        midline, "posterior", rows_beside(mass, valid, dz), MEASURED_TISSUE_MM
    )
    return FatQuestion(
        detection=detection(mass, path, volume),
        mass_points=mass_points,
        fat_points=points_at(path, fat_rows, fat_depths),
    )


def beside_sac(
    midline: RowMeasures, valid: NDArray[np.bool_], path: CanalPath, volume: CanonicalVolume
) -> tuple[SacSide, ...]:
    """Points just behind and just in front of the sac on the valid rows, with what this series
    measured there."""
    read = np.flatnonzero(valid)
    if read.size == 0:
        return ()
    dz = volume.spacing_mm[0]
    rows = np.arange(read[0], read[-1] + 1)
    window = round(BASELINE_WINDOW_MM / dz)
    usual = rolling_percentile(midline.sac_ap, window, SAC_BASELINE_PERCENTILE)[rows]
    lost = (usual - np.nan_to_num(midline.sac_ap[rows], nan=0.0)) / np.maximum(usual, 1e-6)
    loss_pct = 100.0 * np.clip(lost, 0.0, 1.0)
    columns = volume.voxels.shape[1]
    _, box_y = sample_points(path, np.array([-BOX_HALF_DEPTH_MM, BOX_HALF_DEPTH_MM]))
    centre_y = np.clip(np.rint(path.y[rows]), 0, columns - 1).astype(np.intp)
    centre = np.stack([rows, centre_y, path.x[rows]], axis=1)
    box = np.clip(np.rint(box_y[rows]), 0, columns - 1).astype(np.intp)
    envelope = round(WALL_ENVELOPE_MM / dz)
    sides: tuple[tuple[Literal["anterior", "posterior"], Floats, Floats, float], ...] = (
        ("posterior", midline.sac_back, midline.back_tissue(envelope), 1.0),
        ("anterior", midline.sac_front, midline.front_tissue(envelope), -1.0),
    )
    return tuple(
        SacSide(
            side=side,
            first_row=int(rows[0]),
            points=np.stack(
                [
                    points_at(path, rows, np.where(valid[rows], edge[rows], np.nan) + out * d)
                    for d in FAT_DEPTHS_MM
                ],
                axis=1,
            ),
            tissue_mm=tissue[rows],
            sac_loss_pct=loss_pct,
            centre=centre,
            box_y=box,
        )
        for side, edge, tissue, out in sides
    )


def usual_depths(midline: RowMeasures, valid: NDArray[np.bool_], dz: float) -> UsualDepths:
    """Per row, where the CSF behind the cord and the cord's middle usually lie: halfway
    between the running medians, over the rows read, of the edges around them."""
    window = round(BASELINE_WINDOW_MM / dz)

    def usual(edge: Floats) -> Floats:
        return rolling_percentile(np.where(valid, edge, np.nan), window, 50.0)

    cord_front, cord_back, sac_back = (
        usual(midline.cord_front),
        usual(midline.cord_back),
        usual(midline.sac_back),
    )
    return UsualDepths(csf=(cord_back + sac_back) / 2, cord=(cord_front + cord_back) / 2)


def dorsal_csf_checks(
    found: list[tuple[MassRun, Detection]],
    midline: RowMeasures,
    valid: NDArray[np.bool_],
    path: CanalPath,
) -> tuple[DorsalCsf, ...]:
    """For each mass found behind the sac, points where the CSF behind the cord usually lies
    over its rows, and in the cord's middle over the rows read with CSF within
    ``FAT_REFERENCE_MM`` above and below it (none where no cord places them)."""
    behind = [(m, d) for m, d in found if m.side in ("posterior", "circumferential")]
    if not behind:
        return ()
    dz = path.spacing_mm[0]
    usual = usual_depths(midline, valid, dz)
    csf_rows = valid & (midline.csf_pixels > 0) & np.isfinite(usual.cord)
    checks = []
    for mass, seen in behind:
        mass_rows = np.arange(mass.first_row, mass.last_row + 1)
        beside = rows_beside(mass, csf_rows, dz)
        if np.isfinite(usual.csf[mass_rows]).all() and beside.size:
            mass_points = points_at(path, mass_rows, usual.csf[mass_rows])
            cord_points = points_at(path, beside, usual.cord[beside])
            checks.append(DorsalCsf(seen, mass_points, cord_points))
    return tuple(checks)


def rows_beside(mass: MassRun, rows: NDArray[np.bool_], dz: float) -> NDArray[np.intp]:
    """The ``rows`` within ``FAT_REFERENCE_MM`` above and below ``mass``, outside it."""
    reach = round(FAT_REFERENCE_MM / dz)
    index = np.arange(rows.size)
    near = (index >= mass.first_row - reach) & (index <= mass.last_row + reach)
    outside = (index < mass.first_row) | (index > mass.last_row)
    result: NDArray[np.intp] = np.flatnonzero(near & outside & rows)
    return result


def detection(mass: MassRun, path: CanalPath, volume: CanonicalVolume) -> Detection:
    """A mass as the reading contract reports it, with its key voxel and bounding box."""
    _, columns, slices = volume.voxels.shape
    z = mass.worst_row
    _, y_samples = sample_points(path, np.array([-BOX_HALF_DEPTH_MM, BOX_HALF_DEPTH_MM]))
    y_span = y_samples[mass.first_row : mass.last_row + 1]
    y0 = int(np.clip(np.floor(y_span.min()), 0, columns - 1))
    y1 = int(np.clip(np.ceil(y_span.max()), 0, columns - 1))
    x = int(path.x[z])
    confidence = CONFIDENCE_FLOOR + CONFIDENCE_PER_MM * mass.excess_mm
    return Detection(
        type="epidural_mass",
        z_range=(mass.first_row, mass.last_row),
        side=mass.side,
        max_thickness_mm=round(mass.max_thickness_mm, 1),
        canal_compromise_pct=round(mass.compromise_pct, 1),
        bilsky_grade=mass.grade,
        confidence=float(min(1.0, confidence)),
        key_voxel=(z, int(np.clip(round(path.y[z]), 0, columns - 1)), x),
        box=(mass.first_row, y0, max(0, x - 2), mass.last_row, y1, min(slices - 1, x + 2)),
    )
