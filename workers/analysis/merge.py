"""What several series saw, merged into the study's findings.

Detections of the same compartment whose heights overlap are one mass. The series that grades
best (``readers.GRADING_PREFERENCE``) speaks for it: its grade, measurements and key image; the
others support it. Agreement between series raises the confidence; a mass only one of several
series that cover it saw keeps a lower one. Axial MR confirms what a sagittal fluid series
suspects: a mass only axial sections saw, where such a series covers it, makes no finding
unless it is thick and long.
Two sagittal fluid series (T2 and STIR) confirm each other: an epidural mass one of them saw,
where the other read the canal at those heights and saw nothing there, makes no finding either
unless it is thick. A small paraspinal mass that only one of several series saw makes none.
Outside the canal, pieces of one lobulated mass are joined and reported over their union."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spinetriage.triage import Finding, Side, Weighting
from workers.analysis.naming import NamedSpan, levels_spanned
from workers.analysis.placement import Placed
from workers.analysis.reading import Detection

SAME_MASS_GAP_MM = 5.0  # detections this close along the spine are the same mass
# ... outside the canal, where a lobulated mass shows as pieces: haematopoietic masses' lobes
# lie a level or more apart (tuning sets: two cervical masses reported as pieces 25-35 mm apart,
# whose span came within a level once joined; none holds two masses beside the spine)
SAME_LUMP_GAP_MM = 40.0
SUPPORT_FACTOR = 0.5  # each supporting series halves the doubt
UNSUPPORTED_FACTOR = 0.7  # seen by one series while others covering it saw nothing
SAGITTAL_FLUID: frozenset[Weighting] = frozenset({"T2", "STIR", "PD"})
# An epidural mass thicker than this stands on one sagittal fluid series alone: tuning sets and
# a fresh set (450 studies), masses the other series read past measured 9.5-12.5 mm where true,
# 4.5-9 mm where false (flow, conus, roots)
UNCONFIRMED_MAX_MM = 9.0
# A paraspinal mass only one of several series covering it saw needs this confidence (T2 and
# STIR: 6 ml or more). Tuning and fresh sets, 340 MR studies: below it 36 false findings
# (muscle, vessels, partial volume) against 6 true ones; at or above it 11 against 34.
ALONE_MIN_CONFIDENCE = 0.8
# An epidural mass axial sections alone saw stands when this thick over this much height: one
# such (13 mm over 40 mm, left of the midline, a true Bilsky 2) in 450 tuning and fresh studies;
# the thick false ones were single sections
AXIAL_ALONE_THICK_MM = 8.0
AXIAL_ALONE_LONG_MM = 10.0


@dataclass(frozen=True)
class Seen:
    placed: Placed
    detection: Detection
    top_mm: float
    bottom_mm: float

    @property
    def rank(self) -> tuple[int, float]:
        return self.placed.grading_rank, -self.detection.confidence


def findings_from(placed: Sequence[Placed], spans: Sequence[NamedSpan]) -> list[Finding]:
    seen = [Seen(p, d, *p.span_mm(d)) for p in placed for d in p.reading.detections]
    groups = [
        g
        for g in _same_masses(seen)
        if not _unconfirmed_axial(g, placed)
        and not _unconfirmed_sagittal(g, placed)
        and not _small_and_alone(g, placed)
    ]
    return [_finding(group, placed, spans) for group in groups]


def _unconfirmed_axial(group: list[Seen], placed: Sequence[Placed]) -> bool:
    """An epidural mass only axial MR sections saw, at heights a sagittal fluid series covers
    without seeing it. Axial sections confirm a sagittal suspicion; alone they squeeze the
    sac's outline with roots, flow voids and the block's ends, which the sagittal series,
    reading the canal along its length, tells apart. A thick mass over a level's height of
    sections stands: beside the midline, a sagittal series may pass it by."""
    if any(s.placed.series.plane != "axial" or s.placed.series.modality != "MR" for s in group):
        return False
    top, bottom = _heights(group)
    thickness = max(s.detection.max_thickness_mm for s in group)
    if thickness >= AXIAL_ALONE_THICK_MM and top - bottom >= AXIAL_ALONE_LONG_MM:
        return False
    return any(_sagittal_fluid(p) and _covers(p, top, bottom) for p in placed)


def _unconfirmed_sagittal(group: list[Seen], placed: Sequence[Placed]) -> bool:
    """An epidural mass one sagittal fluid series saw, at heights another such series read
    the canal over without seeing anything there, not even a doubtful mass. Flow, the conus
    and the cauda equina's roots take the CSF's place on one sequence, not on the other; a
    mass that narrows the sac narrows it on both; one of them may miss a thick mass, though."""
    if group[0].detection.type != "epidural_mass":
        return False
    if max(s.detection.max_thickness_mm for s in group) > UNCONFIRMED_MAX_MM:
        return False
    saw = _series_of(group)
    if len(saw) > 1 or not all(_sagittal_fluid(s.placed) for s in group):
        return False
    top, bottom = _heights(group)
    return any(
        id(p) not in saw
        and _sagittal_fluid(p)
        and _read_canal_over(p, top, bottom)
        and not _saw_between(p, top, bottom)
        for p in placed
    )


def _small_and_alone(group: list[Seen], placed: Sequence[Placed]) -> bool:
    """A paraspinal mass of middling confidence that one series saw while others of its plane
    covering its heights did not."""
    best = min(group, key=lambda s: s.rank)
    if (
        best.detection.type != "paraspinal_mass"
        or best.detection.confidence >= ALONE_MIN_CONFIDENCE
    ):
        return False
    return len(_series_of(group)) == 1 and _missed_by(best, group, placed) > 0


def _heights(seen: list[Seen]) -> tuple[float, float]:
    """Top and bottom height of a group's detections together."""
    return max(s.top_mm for s in seen), min(s.bottom_mm for s in seen)


def _series_of(group: list[Seen]) -> set[int]:
    """The series (by identity) that saw a group's detections."""
    return {id(s.placed) for s in group}


def _sagittal_fluid(placed: Placed) -> bool:
    return placed.series.plane == "sagittal" and placed.series.weighting in SAGITTAL_FLUID


def _read_canal_over(placed: Placed, top_mm: float, bottom_mm: float) -> bool:
    """Whether a series followed the canal over these heights: its segments reach them."""
    segments = placed.reading.segments
    if not segments:
        return False
    ends = placed.height_mm(segments[0].top_z), placed.height_mm(segments[-1].bottom_z)
    return _reaches(ends, top_mm, bottom_mm)


def _saw_between(placed: Placed, top_mm: float, bottom_mm: float) -> bool:
    """Whether a series saw an epidural mass, or asked about one, near these heights."""
    for detection in placed.reading.epidural_seen:
        top, bottom = placed.span_mm(detection)
        if min(top, top_mm) - max(bottom, bottom_mm) > -SAME_MASS_GAP_MM:
            return True
    return False


def _covers(placed: Placed, top_mm: float, bottom_mm: float) -> bool:
    ends = placed.height_mm(0), placed.height_mm(placed.canonical.voxels.shape[0] - 1)
    return _reaches(ends, top_mm, bottom_mm)


def _reaches(ends_mm: tuple[float, float], top_mm: float, bottom_mm: float) -> bool:
    """Whether the heights between two ends (in either order) reach from top to bottom."""
    return max(ends_mm) >= top_mm and min(ends_mm) <= bottom_mm


def _same_masses(seen: list[Seen]) -> list[list[Seen]]:
    """Groups of detections of one compartment that overlap along the spine (transitively)."""
    groups: list[list[Seen]] = []
    for item in sorted(seen, key=lambda s: (s.detection.type, -s.top_mm)):
        last = groups[-1] if groups else None
        if (
            last is not None
            and last[0].detection.type == item.detection.type
            and item.top_mm >= min(s.bottom_mm for s in last) - _same_mass_gap(item)
        ):
            last.append(item)
        else:
            groups.append([item])
    return groups


def _same_mass_gap(item: Seen) -> float:
    return SAME_MASS_GAP_MM if item.detection.type == "epidural_mass" else SAME_LUMP_GAP_MM


def _extent(best: Seen, group: list[Seen]) -> tuple[float, float]:
    """Top and bottom height of the mass: over the grading series' own pieces for an epidural
    mass (its grade and measurements go with them), over every piece outside the canal."""
    pieces = group
    if best.detection.type == "epidural_mass":
        pieces = [s for s in group if s.placed is best.placed]
    return _heights(pieces)


def _finding(group: list[Seen], placed: Sequence[Placed], spans: Sequence[NamedSpan]) -> Finding:
    best = min(group, key=lambda s: s.rank)
    detection = best.detection
    supporting = sorted(
        {s.placed.series.series_instance_uid for s in group}
        - {best.placed.series.series_instance_uid}
    )
    top_mm, bottom_mm = _extent(best, group)
    from_level, to_level = levels_spanned(spans, top_mm, bottom_mm)
    return Finding(
        type=detection.type,
        from_level=from_level,
        to_level=to_level,
        side=_side(group) if detection.type == "paraspinal_mass" else detection.side,
        max_thickness_mm=round(detection.max_thickness_mm, 1),
        craniocaudal_extent_mm=round(top_mm - bottom_mm, 1),
        canal_compromise_pct=(
            None
            if detection.canal_compromise_pct is None
            else round(min(100.0, max(0.0, detection.canal_compromise_pct)), 0)
        ),
        bilsky_grade=detection.bilsky_grade,
        confidence=round(_confidence(best, len(supporting), _missed_by(best, group, placed)), 2),
        series_instance_uid=best.placed.series.series_instance_uid,
        key_image=best.placed.key_image(detection),
        supporting_series=tuple(supporting),
    )


def _side(group: list[Seen]) -> Side | None:
    """Paraspinal: left and right seen (by one series or two) is bilateral."""
    sides = {s.detection.side for s in group} - {None}
    if "bilateral" in sides or {"left", "right"} <= sides:
        return "bilateral"
    return sides.pop() if len(sides) == 1 else None


def _missed_by(best: Seen, group: list[Seen], placed: Sequence[Placed]) -> int:
    """Series of the same plane as the best one that cover the mass's heights but did not see
    it."""
    saw = _series_of(group)
    missed = 0
    for p in placed:
        if id(p) in saw or p.series.plane != best.placed.series.plane:
            continue
        top, bottom = p.height_mm(0), p.height_mm(p.canonical.voxels.shape[0] - 1)
        if min(top, best.top_mm) - max(bottom, best.bottom_mm) > 0:
            missed += 1
    return missed


def _confidence(best: Seen, supporting: int, missed: int) -> float:
    doubt = 1.0 - best.detection.confidence
    doubt *= SUPPORT_FACTOR**supporting
    confidence = 1.0 - doubt
    if supporting == 0 and missed:
        confidence *= UNSUPPORTED_FACTOR
    return min(1.0, max(0.0, confidence))
