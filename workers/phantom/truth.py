"""Ground truth of a synthetic study, written beside its DICOM files, never inside them.

A case folder holds ``dicom/`` (what a scanner would send) and ``truth.json`` (this model): what
the generator put in the images, for tests and for scoring the heuristics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spinetriage.triage import (
    BilskyGrade,
    FindingType,
    Plane,
    Priority,
    Side,
    Weighting,
    priority_of,
)

TRUTH_FILE = "truth.json"
DICOM_DIR = "dicom"

FieldOfView = Literal["cervical", "cervicothoracic", "thoracic", "thoracolumbar", "lumbar"]
Anchor = Literal["skull_base", "sacrum"]
Distractor = Literal[
    "disc_bulge", "narrow_canal", "hemangioma", "low_snr", "flow_artefact", "paraspinal_only"
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TruthFinding(_Model):
    type: FindingType
    from_level: str
    to_level: str
    side: Side
    max_thickness_mm: float = Field(ge=0)
    bilsky_grade: BilskyGrade | None = Field(default=None, description="epidural masses only")
    canal_compromise_pct: float | None = Field(default=None, ge=0, le=100)


class TruthSeries(_Model):
    series_instance_uid: str
    plane: Plane
    weighting: Weighting
    slices: int


class StudyTruth(_Model):
    case_id: str
    seed: int
    study_instance_uid: str
    modality: Literal["MR", "CT"]
    field_of_view: FieldOfView
    levels_in_view: tuple[str, ...] = Field(description="levels whose body is wholly in view")
    anchor: Anchor | None = Field(description="the anchor in view; None: levels cannot be named")
    findings: tuple[TruthFinding, ...]
    distractors: tuple[Distractor, ...] = ()
    series: tuple[TruthSeries, ...]

    @property
    def priority(self) -> Priority:
        return priority_of([f.bilsky_grade for f in self.findings], bool(self.findings))

    @property
    def suspected_compression(self) -> bool:
        return self.priority in ("critical", "urgent")

    def write(self, case_dir: Path) -> Path:
        path = case_dir / TRUTH_FILE
        path.write_text(json.dumps(self.model_dump(mode="json"), indent=2) + "\n")
        return path

    @classmethod
    def read(cls, case_dir: Path) -> StudyTruth:
        return cls.model_validate_json((case_dir / TRUTH_FILE).read_text())
