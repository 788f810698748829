"""Epidural masses on a straightened sagittal series, and their Bilsky grade.

A mass is epidural tissue thicker than the same slice shows at most heights (a running low
percentile over a long window, so that a mass spanning several levels does not raise its own
baseline), on the midline slice or the slices beside it. A congenitally narrow canal has less
epidural tissue, not more; a bulging disc is dark and moves the wall rather than adding tissue.
A mass narrows the sac focally: the sac is open to its usual depth somewhere above and below
it. Where it only tapers shut below (the sac's end; roots of the cauda equina hiding its CSF)
there is no mass. A mass's reported rows reach out to where its thinner ends stop. Where a
mass fills the canal no CSF is left to measure from: those rows take the extra tissue of their
edges, and a sac shut for a level's length with the cord beside it is a block, a mass however
thin its edges. Two kinds of mass are doubtful, for the study's T1 series to settle
(``fat_check``): on T2 without fat suppression, tissue as bright as the canal's fat; anywhere,
a thin layer that narrows the sac, since the canal's own fat varies as much.

Grading reads what is left of the CSF on the worst heights, as the contract defines the grades:
- 1a: tissue, sac not narrowed;
- 1b: sac narrowed, CSF still between the cord and the mass;
- 1c: CSF on the far side of the cord only (the mass touches it, the cord is not pinned yet);
- 2: no CSF in front of or behind the cord on the midline (pinned, compressed), some left
  beside it on the neighbouring slices;
- 3: no CSF left at that height on any slice through the canal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from spinetriage.triage import BilskyGrade, Side, bilsky_rank
from workers.analysis.sagittal_mr.sections import RowMeasures

Floats = NDArray[np.float64]

BASELINE_WINDOW_MM = 140.0  # longer than most masses: the baseline is the normal canal
TISSUE_BASELINE_PERCENTILE = 30.0
SAC_BASELINE_PERCENTILE = 70.0
MIN_EXCESS_MM = 3.5  # thicker than fat between laminae or nerve roots against the sac (tuned)
EXTENT_EXCESS_MM = 2.0  # a mass's tapering ends and the necks between its lobes (hysteresis)
MIN_LENGTH_MM = 10.0  # masses span a level; shorter thickenings are fat between laminae
WALL_ENVELOPE_MM = 12.0  # the canal's wall is its nearest bone over about one lamina
BRIDGE_MM = 4.0  # gaps this short inside a mass are lobulation or noise
BLOCK_CORD_MM = 4.0  # a block has the cord beside it; below the conus the roots measure 1.5-3
CORE_DENSITY = 0.5  # a mass is thick on most rows of its run; rows here and there where the
# thin CSF behind the cauda equina's roots drops out are noise
SAC_DEFORMED_MM = 1.5  # the truth's 1 mm plus what a 0.6-0.8 mm pixel can resolve
CORD_COMPRESSED = 0.85  # cord AP below this fraction of its usual AP is compressed
GRADE_ROWS_MM = 1.5  # a grade must hold over this much height to count
THIN_EXCESS_MM = 2.0  # a thin mass: this much extra tissue ... (tuning sets)
THIN_NARROWING_MM = 2.0  # ... with the sac this much shallower than usual
THIN_SAC_LEFT = 0.5  # ... and at least this share of it open
FAT_SIGNAL = 0.6  # T2: epidural fat measures 0.6-0.7 of CSF, masses 0.44-0.59 (tuning set)
CIRCUMFERENTIAL_SHARE = 0.5  # the weaker side has at least half the stronger side's excess
FLANK_MM = 40.0  # a real mass has normal sac within this far above and below it
FLANK_OPEN_FRACTION = 0.65  # the flank's sac is open to this share of its usual AP
FLANK_OPEN_MM = 4.0  # ... over this many millimetres in a row (not one bright row)


@dataclass(frozen=True)
class MassRun:
    """One epidural mass on a series: rows, side, grade and measurements."""

    first_row: int
    last_row: int
    side: Side
    grade: BilskyGrade
    max_thickness_mm: float
    compromise_pct: float
    worst_row: int
    excess_mm: float
    signal: float  # mean signal of the extra tissue, as a fraction of the CSF's
    doubtful: bool = False  # as bright as fat where fat is bright, or thin: T1 must tell


def rolling_percentile(values: Floats, window_rows: int, percentile: float) -> Floats:
    """Running percentile that ignores NaN (filled by interpolation first)."""
    valid = np.isfinite(values)
    if not valid.any():
        return np.full(values.shape, np.nan)
    rows = np.arange(values.size)
    filled = np.interp(rows, rows[valid], values[valid])
    result: Floats = ndimage.percentile_filter(
        filled, percentile, size=max(3, window_rows), mode="nearest"
    )
    return result


def excess(tissue: Floats, window_rows: int) -> Floats:
    """Epidural tissue beyond the slice's usual thickness (0 where it cannot be measured)."""
    baseline = rolling_percentile(tissue, window_rows, TISSUE_BASELINE_PERCENTILE)
    result: Floats = np.clip(np.nan_to_num(tissue - baseline, nan=0.0), 0.0, None)
    return result


def runs(mask: NDArray[np.bool_], bridge_rows: int, min_rows: int) -> list[tuple[int, int]]:
    """First and last row of each run of True, short gaps bridged, short runs dropped."""
    structure = np.ones(2 * bridge_rows + 1, dtype=bool)
    closed = mask | ndimage.binary_closing(mask, structure)
    labels, count = ndimage.label(closed)
    found = []
    for label in range(1, count + 1):
        rows = np.flatnonzero(labels == label)
        if rows.size >= min_rows:
            found.append((int(rows[0]), int(rows[-1])))
    return found


def find_masses(
    slices: dict[int, RowMeasures], valid: NDArray[np.bool_], dz_mm: float, fat_bright: bool
) -> list[MassRun]:
    """Masses in rows marked ``valid``; ``slices`` maps x offsets (0: midline) to measures.
    Where fat is bright (T2 without fat suppression), tissue as bright as fat that does not
    block the canal is ``doubtful``: the canal's own fat, unless T1 shows otherwise. So are
    thin masses (``thin_rows``) outside the others: the canal's fat varies as much."""
    window = round(BASELINE_WINDOW_MM / dz_mm)
    envelope = round(WALL_ENVELOPE_MM / dz_mm)
    bridge = round(BRIDGE_MM / dz_mm)
    front = {m: excess(s.front_tissue(envelope), window) for m, s in slices.items()}
    back = {m: excess(s.back_tissue(envelope), window) for m, s in slices.items()}
    strongest = np.max([np.maximum(front[m], back[m]) for m in slices], axis=0)
    closed = slices[0].csf_pixels == 0
    blocked = blocks(
        closed,
        np.nan_to_num(slices[0].cord_ap, nan=0.0) >= BLOCK_CORD_MM,
        bridge_rows=bridge,
        block_rows=round(MIN_LENGTH_MM / dz_mm),
        flank_rows=round(FLANK_MM / dz_mm),
    )
    strongest = filled_where_closed(strongest, closed, bridge)
    strongest = np.where(blocked, np.maximum(strongest, MIN_EXCESS_MM), strongest)
    mask = (strongest >= MIN_EXCESS_MM) & valid
    found = []
    sac_usual = rolling_percentile(slices[0].sac_ap, window, SAC_BASELINE_PERCENTILE)
    flanks = flanks_open(slices[0].sac_ap, sac_usual, dz_mm)
    cores = [
        (first, last)
        for first, last in runs(mask, bridge, round(MIN_LENGTH_MM / dz_mm))
        if flanks(first, last) and mask[first : last + 1].mean() >= CORE_DENSITY
    ]

    def measured(first: int, last: int) -> MassRun:
        rows = slice(first, last + 1)
        side = side_of({m: front[m][rows] for m in slices}, {m: back[m][rows] for m in slices})
        return _graded(
            slices, side, first=first, last=last, window=window, dz_mm=dz_mm, strongest=strongest
        )

    for (first, last), (low, high) in grown(cores, (strongest >= EXTENT_EXCESS_MM) & valid, bridge):
        mass = measured(first, last)
        doubtful = fat_bright and mass.signal >= FAT_SIGNAL and not blocked[first : last + 1].any()
        found.append(replace(mass, first_row=low, last_row=high, doubtful=doubtful))
    thin = thin_rows(strongest, slices[0].sac_ap, sac_usual) & valid
    thin &= ~covered_by(found, valid.size)
    for first, last in runs(thin, bridge, round(MIN_LENGTH_MM / dz_mm)):
        if flanks(first, last) and thin[first : last + 1].mean() >= CORE_DENSITY:
            found.append(replace(measured(first, last), doubtful=True))
    return found


def thin_rows(strongest: Floats, sac_ap_mm: Floats, sac_usual_mm: Floats) -> NDArray[np.bool_]:
    """Rows of a thin mass: extra tissue thinner than a mass's but the sac narrowed by it, and
    still more than half open (a thin layer does not shut the sac; CSF lost to flow or noise
    does)."""
    sac = np.nan_to_num(sac_ap_mm, nan=0.0)
    narrowed = (sac_usual_mm - sac >= THIN_NARROWING_MM) & (sac >= THIN_SAC_LEFT * sac_usual_mm)
    result: NDArray[np.bool_] = (strongest >= THIN_EXCESS_MM) & narrowed
    return result


def covered_by(masses: list[MassRun], rows: int) -> NDArray[np.bool_]:
    """Rows of ``rows`` that one of ``masses`` reports."""
    result = np.zeros(rows, dtype=bool)
    for mass in masses:
        result[mass.first_row : mass.last_row + 1] = True
    return result


def filled_where_closed(strongest: Floats, closed: NDArray[np.bool_], reach_rows: int) -> Floats:
    """Extra tissue where the sac shows no CSF at all: the smaller of the most found within
    ``reach_rows`` above and below. A mass that fills the canal hides its own thickness (no
    sac to measure from) but shows it at its edges; a disc has no extra tissue on both
    sides."""
    result = strongest.copy()
    labels, count = ndimage.label(closed)
    for label in range(1, count + 1):
        rows = np.flatnonzero(labels == label)
        above = strongest[max(0, rows[0] - reach_rows) : rows[0]]
        below = strongest[rows[-1] + 1 : rows[-1] + 1 + reach_rows]
        if above.size and below.size:
            result[rows] = min(float(above.max()), float(below.max()))
    return result


def blocks(
    closed: NDArray[np.bool_],
    cord: NDArray[np.bool_],
    *,
    bridge_rows: int,
    block_rows: int,
    flank_rows: int,
) -> NDArray[np.bool_]:
    """Rows where the sac stays shut (over gaps of ``bridge_rows``) for ``block_rows`` or more
    with the cord seen over half that length within ``flank_rows`` above and below: a block
    of the cord's canal, a mass however thin its edges. Fat never empties the sac; where the
    lumbar sac ends or the roots crowd it no cord is seen below."""
    result = np.zeros(closed.size, dtype=bool)
    bridged = closed | ndimage.binary_closing(closed, np.ones(2 * bridge_rows + 1, dtype=bool))
    labels, count = ndimage.label(bridged)
    for label in range(1, count + 1):
        rows = np.flatnonzero(labels == label)
        cord_above = cord[max(0, rows[0] - flank_rows) : rows[0]]
        cord_below = cord[rows[-1] + 1 : rows[-1] + 1 + flank_rows]
        if rows.size < block_rows or cord_above.size == 0 or cord_below.size == 0:
            continue
        result[rows] = min(longest_run(cord_above), longest_run(cord_below)) >= block_rows // 2
    return result


def grown(
    cores: list[tuple[int, int]], extent: NDArray[np.bool_], bridge_rows: int
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Each core run (first, last) with the run of ``extent`` around it (the thinner ends of a
    mass: its reported rows); cores that come to share one run are merged. Cores are measured
    and graded, the wider runs only report the mass's extent."""
    result: list[tuple[tuple[int, int], tuple[int, int]]] = []
    wide = runs(extent, bridge_rows, 1)
    for start, last in cores:
        around = [(a, b) for a, b in wide if a <= last and b >= start]
        low = min([start, *(a for a, _ in around)])
        high = max([last, *(b for _, b in around)])
        first = start
        if result and low <= result[-1][1][1]:
            (first, _), (low, _) = result.pop()
        result.append(((first, last), (low, high)))
    return result


def flanks_open(
    sac_ap_mm: Floats, sac_usual_mm: Floats, dz_mm: float
) -> Callable[[int, int], bool]:
    """A test of rows ``first``..``last``: the sac is open to its usual depth somewhere within
    ``FLANK_MM`` above and below them (a flank beyond the image counts as open). A sac that
    only tapers shut below (its end, the cauda equina filling it) has no open flank there."""
    is_open = np.nan_to_num(sac_ap_mm, nan=0.0) >= FLANK_OPEN_FRACTION * sac_usual_mm
    reach, needed = round(FLANK_MM / dz_mm), max(1, round(FLANK_OPEN_MM / dz_mm))

    def test(first: int, last: int) -> bool:
        above = is_open[max(0, first - reach) : first]
        below = is_open[last + 1 : last + 1 + reach]
        above_ok = first - reach < 0 or longest_run(above) >= needed
        below_ok = last + reach >= is_open.size or longest_run(below) >= needed
        return above_ok and below_ok

    return test


def longest_run(mask: NDArray[np.bool_]) -> int:
    """Length of the longest run of True in ``mask``."""
    labels, count = ndimage.label(mask)
    return int(np.bincount(labels)[1:].max()) if count else 0


def side_of(front: dict[int, Floats], back: dict[int, Floats]) -> Side:
    """Where the extra tissue is: front or back on the midline, else the side it shows on."""
    mid_front, mid_back = float(front[0].sum()), float(back[0].sum())
    left = sum(float(np.maximum(front[m], back[m]).sum()) for m in front if m > 0)
    right = sum(float(np.maximum(front[m], back[m]).sum()) for m in front if m < 0)
    lateral = max(left, right) / max(1, sum(1 for m in front if m > 0))
    midline = max(mid_front, mid_back)
    if lateral > 2 * midline:
        return "left" if left > right else "right"  # x runs from the patient's right to left
    if min(mid_front, mid_back) >= CIRCUMFERENTIAL_SHARE * midline:
        return "circumferential"
    return "anterior" if mid_front > mid_back else "posterior"


def _graded(
    slices: dict[int, RowMeasures],
    side: Side,
    *,
    first: int,
    last: int,
    window: int,
    dz_mm: float,
    strongest: Floats,
) -> MassRun:
    mid = slices[0]
    sac_expected = rolling_percentile(mid.sac_ap, window, SAC_BASELINE_PERCENTILE)
    cord_expected = rolling_percentile(mid.cord_ap, window, SAC_BASELINE_PERCENTILE)
    rows = np.arange(first, last + 1)
    grades = [row_grade(slices, side, int(z), sac_expected, cord_expected) for z in rows]
    grade, worst_row = worst_grade(grades, rows, max(1, round(GRADE_ROWS_MM / dz_mm)))
    # where no CSF separates the cord from the mass the measured sac misses the cord and the
    # measured tissue holds it: the cord's usual AP is moved from one to the other
    hidden_cord = np.where(np.isnan(mid.cord_ap[rows]), np.nan_to_num(cord_expected[rows]), 0.0)
    sac = np.nan_to_num(mid.sac_ap[rows], nan=0.0) + hidden_cord
    loss = sac_expected[rows] - sac
    compromise = 100.0 * float(np.max(loss / np.maximum(sac_expected[rows], 1e-6)))
    envelope = round(WALL_ENVELOPE_MM / dz_mm)
    return MassRun(
        first_row=first,
        last_row=last,
        side=side,
        grade=grade,
        max_thickness_mm=max(
            thickness_mm(slices, side, rows, envelope, hidden_cord), float(strongest[rows].max())
        ),
        compromise_pct=float(np.clip(compromise, 0.0, 100.0)),
        worst_row=worst_row,
        excess_mm=float(strongest[rows].max()),
        signal=tissue_signal(slices, side, rows),
    )


def row_grade(
    slices: dict[int, RowMeasures], side: Side, z: int, sac_expected: Floats, cord: Floats
) -> BilskyGrade:
    """The grade one height shows (see the module's docstring)."""
    mid = slices[0]
    if mid.csf_pixels[z] == 0:
        beside = any(s.csf_pixels[z] > 0 for m, s in slices.items() if m != 0)
        return "2" if beside else "3"
    deformed = sac_expected[z] - mid.sac_ap[z] >= SAC_DEFORMED_MM
    if np.isnan(mid.cord_ap[z]):  # CSF on one side of the cord only
        return "1c" if deformed or side in ("anterior", "posterior") else "1a"
    if np.isfinite(cord[z]) and mid.cord_ap[z] < CORD_COMPRESSED * cord[z]:
        return "2"
    return "1b" if deformed else "1a"


def worst_grade(
    grades: list[BilskyGrade], rows: NDArray[np.intp], min_rows: int
) -> tuple[BilskyGrade, int]:
    """The worst grade held by at least ``min_rows`` rows in a row (else the mildest), and its
    row. Single rows here and there are partial volume or noise, not a pinned cord."""
    ranks = np.array([bilsky_rank(g) for g in grades])
    for rank in sorted(set(ranks.tolist()), reverse=True):
        holding = np.flatnonzero(ranks >= rank)
        if longest_run(ranks >= rank) >= min_rows or rank == ranks.min():
            middle = holding[holding.size // 2]
            return grades[int(np.flatnonzero(ranks == rank)[0])], int(rows[middle])
    return grades[0], int(rows[0])


def thickness_mm(
    slices: dict[int, RowMeasures],
    side: Side,
    rows: NDArray[np.intp],
    envelope: int,
    hidden_cord: Floats,
) -> float:
    """Thickest epidural tissue on the mass's side over its rows, less the cord where no CSF
    separates it from the mass (``hidden_cord``, mm per row)."""
    candidates: list[Floats] = []
    for m, s in slices.items():
        if side in ("left", "right") and m == 0:
            continue
        if side in ("anterior", "circumferential"):
            candidates.append(s.front_tissue(envelope)[rows] - hidden_cord)
        if side != "anterior":
            candidates.append(s.back_tissue(envelope)[rows] - hidden_cord)
    values = np.concatenate(candidates) if candidates else np.zeros(0)
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else 0.0


def tissue_signal(slices: dict[int, RowMeasures], side: Side, rows: NDArray[np.intp]) -> float:
    """Median signal of the epidural tissue on the mass's side, midline first. Around a
    circumferential mass each row's thicker side is read: the thin side there is the canal's
    own fat."""
    chosen = (
        slices[0]
        if side not in ("left", "right")
        else slices[max(slices) if side == "left" else min(slices)]
    )
    use_front = _front_side(chosen, side, rows)
    values = np.where(use_front, chosen.front_signal[rows], chosen.back_signal[rows])
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else float("nan")


def tissue_middles(
    measures: RowMeasures, side: Side, rows: NDArray[np.intp], min_mm: float
) -> tuple[NDArray[np.intp], Floats]:
    """The rows among ``rows`` whose epidural tissue on ``side`` is at least ``min_mm`` thick,
    and the depth of its middle on each."""
    use_front = _front_side(measures, side, rows)
    near = np.where(use_front, measures.sac_front[rows], measures.sac_back[rows])
    wall = np.where(use_front, measures.wall_front[rows], measures.wall_back[rows])
    thick = np.nan_to_num(np.abs(wall - near), nan=0.0) >= min_mm
    return rows[thick], ((near + wall) / 2)[thick]


def _front_side(measures: RowMeasures, side: Side, rows: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Per row, whether the mass's tissue is read in front of the sac: the thicker side around
    a circumferential mass (the thin side there is the canal's own fat), behind it unless the
    mass is anterior."""
    if side != "circumferential":
        return np.full(rows.size, side == "anterior")
    front = np.nan_to_num(measures.sac_front[rows] - measures.wall_front[rows], nan=-np.inf)
    back = np.nan_to_num(measures.wall_back[rows] - measures.sac_back[rows], nan=-np.inf)
    result: NDArray[np.bool_] = front > back
    return result
