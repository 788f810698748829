"""Vertebral levels across the series of a study: the named segments of the readers that saw an
anchor, as heights in the patient, and the levels a mass spans.

A level counts for a mass when the mass covers at least ``LEVEL_OVERLAP_MM`` of its segment (the
body and the disc below it), as a radiologist would not name a level the mass only grazes. Where
no reader named the segments around a mass, its levels stay unnamed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workers.analysis.placement import Placed

LEVEL_OVERLAP_MM = 3.0
# Two readers' segments overlapping by more than this disagree; the better reader's stand.
CONFLICT_OVERLAP_MM = 4.0


@dataclass(frozen=True)
class NamedSpan:
    name: str
    top_mm: float  # heights in the patient, larger towards the head
    bottom_mm: float

    def overlap_mm(self, top_mm: float, bottom_mm: float) -> float:
        return max(0.0, min(self.top_mm, top_mm) - max(self.bottom_mm, bottom_mm))


def level_map(placed: Sequence[Placed]) -> list[NamedSpan]:
    """Named segments of every anchored reading, best grading series first; a later reading adds
    only levels it names that the map lacks and that do not collide with those it has."""
    spans: list[NamedSpan] = []
    anchored = [p for p in placed if p.reading.anchor is not None]
    for p in sorted(anchored, key=lambda p: p.grading_rank):
        for segment in p.reading.segments:
            if segment.name is None or any(s.name == segment.name for s in spans):
                continue
            span = NamedSpan(
                segment.name, p.height_mm(segment.top_z), p.height_mm(segment.bottom_z)
            )
            if all(s.overlap_mm(span.top_mm, span.bottom_mm) <= CONFLICT_OVERLAP_MM for s in spans):
                spans.append(span)
    return sorted(spans, key=lambda s: -s.top_mm)


def levels_spanned(
    spans: Sequence[NamedSpan], top_mm: float, bottom_mm: float
) -> tuple[str | None, str | None]:
    """First and last level a mass between two heights covers; (None, None) when it lies
    outside every named segment."""
    overlaps = [(s, s.overlap_mm(top_mm, bottom_mm)) for s in spans]
    counted = [s for s, mm in overlaps if mm >= LEVEL_OVERLAP_MM]
    if not counted:
        touched = [(s, mm) for s, mm in overlaps if mm > 0]
        if not touched:
            return None, None
        counted = [max(touched, key=lambda pair: pair[1])[0]]
    return counted[0].name, counted[-1].name
