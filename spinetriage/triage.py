"""What an analysis says about a study: findings, their grade, and the study's priority.

These models are the external contract's finding and result shapes (DESIGN.md); the workers
produce them, the worklist stores them and the API serves them. The priority rules live here so
that every side applies the same ones."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from spinetriage.levels import is_level, level_span

FindingType = Literal["epidural_mass", "paraspinal_mass", "prevertebral_mass"]
BilskyGrade = Literal["0", "1a", "1b", "1c", "2", "3"]
Priority = Literal["critical", "urgent", "elevated", "routine"]
Side = Literal["anterior", "posterior", "left", "right", "bilateral", "circumferential"]
Plane = Literal["sagittal", "axial", "coronal", "oblique"]
Weighting = Literal["T1", "T1_contrast", "T2", "STIR", "PD", "CT", "unknown"]

_TYPE_WORDS: dict[FindingType, str] = {
    "epidural_mass": "Epidural mass",
    "paraspinal_mass": "Paraspinal mass",
    "prevertebral_mass": "Prevertebral mass",
}
BILSKY_ORDER: tuple[BilskyGrade, ...] = ("0", "1a", "1b", "1c", "2", "3")
PRIORITY_ORDER: tuple[Priority, ...] = ("critical", "urgent", "elevated", "routine")
# Bilsky 1b and above deform the thecal sac: the contract's threshold for suspected compression.
SUSPECTED_COMPRESSION_FROM: BilskyGrade = "1b"


def bilsky_rank(grade: BilskyGrade) -> int:
    return BILSKY_ORDER.index(grade)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KeyImage(_Model):
    """The slice that shows a finding best, and where on it (pixel rows and columns)."""

    series_instance_uid: str
    sop_instance_uid: str | None = None
    slice_index: int = Field(ge=0)
    frame_number: int | None = Field(default=None, ge=1)
    bbox: tuple[int, int, int, int] = Field(description="row_min, col_min, row_max, col_max")


class Finding(_Model):
    type: FindingType
    from_level: str | None = Field(description="upper level; null when no anchor is visible")
    to_level: str | None = Field(description="lower level; null when no anchor is visible")
    side: Side | None = None
    max_thickness_mm: float = Field(ge=0)
    craniocaudal_extent_mm: float = Field(ge=0)
    canal_compromise_pct: float | None = Field(default=None, ge=0, le=100)
    bilsky_grade: BilskyGrade | None = Field(default=None, description="epidural masses only")
    confidence: float = Field(ge=0, le=1)
    series_instance_uid: str
    key_image: KeyImage
    supporting_series: tuple[str, ...] = Field(
        default=(), description="other series in which the same finding was seen"
    )

    @field_validator("from_level", "to_level")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is not None and not is_level(value):
            raise ValueError(f"{value!r} is not a vertebral level")
        return value

    def summary(self) -> str:
        """The finding in a radiologist's words, such as "Epidural mass C5-T2, Bilsky 2, canal 60%
        compromised" (levels joined by an en dash)."""
        span = level_span(self.from_level, self.to_level) or "(levels not named)"
        words = [f"{_TYPE_WORDS[self.type]} {span}"]
        if self.bilsky_grade is not None:
            words.append(f"Bilsky {self.bilsky_grade}")
        if self.canal_compromise_pct is not None:
            words.append(f"canal {self.canal_compromise_pct:.0f}% compromised")
        elif self.side is not None:
            words.append(f"{self.side}, {self.max_thickness_mm:.0f} mm")
        return ", ".join(words)

    @property
    def compresses(self) -> bool:
        """Deforms the thecal sac or worse (Bilsky 1b and above)."""
        return self.bilsky_grade is not None and bilsky_rank(self.bilsky_grade) >= bilsky_rank(
            SUSPECTED_COMPRESSION_FROM
        )


class SeriesUse(_Model):
    """One series of the study: what it is, and whether the analysis read it and why."""

    series_instance_uid: str
    description: str = ""
    modality: str = ""
    plane: Plane | None = None
    weighting: Weighting | None = None
    used: bool
    reason: str


class TriageResult(_Model):
    study_instance_uid: str
    priority: Priority
    suspected_compression: bool
    findings: tuple[Finding, ...]
    series: tuple[SeriesUse, ...]
    timings_ms: dict[str, float] = Field(default_factory=dict)


# Seconds since the epoch stay below this for centuries, so one rank never reaches the next.
_RANK_STRIDE = 1e10


def order_score(priority: Priority, received_at: float) -> float:
    """The worklist's display order as one number, smallest first: by priority, then oldest
    first (``received_at`` in seconds since the epoch)."""
    return PRIORITY_ORDER.index(priority) * _RANK_STRIDE + received_at


def priority_for(findings: tuple[Finding, ...] | list[Finding]) -> Priority:
    return priority_of([f.bilsky_grade for f in findings], has_findings=bool(findings))


def priority_of(grades: list[BilskyGrade | None], has_findings: bool) -> Priority:
    """DESIGN.md: critical for cord compression (Bilsky 2-3), urgent for an epidural mass that
    deforms the sac (1b-1c), elevated for any other mass, routine for none."""
    worst = max((bilsky_rank(grade) for grade in grades if grade is not None), default=-1)
    if worst >= bilsky_rank("2"):
        return "critical"
    if worst >= bilsky_rank(SUSPECTED_COMPRESSION_FROM):
        return "urgent"
    return "elevated" if has_findings else "routine"


def suspected_compression(findings: tuple[Finding, ...] | list[Finding]) -> bool:
    return any(finding.compresses for finding in findings)


def result_for(
    study_uid: str,
    findings: list[Finding],
    series: list[SeriesUse],
    timings_ms: dict[str, float] | None = None,
) -> TriageResult:
    """A result whose priority and compression flag follow from its findings, never set apart."""
    ordered = sorted(findings, key=_finding_urgency)
    return TriageResult(
        study_instance_uid=study_uid,
        priority=priority_for(ordered),
        suspected_compression=suspected_compression(ordered),
        findings=tuple(ordered),
        series=tuple(series),
        timings_ms=timings_ms or {},
    )


def _finding_urgency(finding: Finding) -> tuple[int, float]:
    rank = bilsky_rank(finding.bilsky_grade) if finding.bilsky_grade is not None else -1
    return (-rank, -finding.confidence)
