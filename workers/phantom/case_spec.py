"""A synthetic case, fully described: the patient's anatomy and what it holds, and every series
to acquire with its geometry and scanner settings. ``write_case`` needs nothing else (its noise
is seeded from ``seed``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spinetriage.triage import Plane, Weighting
from workers.phantom.anatomy import SpineSpec
from workers.phantom.geometry import Geometry
from workers.phantom.phantom import Contents
from workers.phantom.scanners import MrTiming, Patient, Scanner
from workers.phantom.truth import Distractor, FieldOfView

SeriesKind = Literal["mr", "ct", "mr_localizer", "ct_localizer", "screenshot", "dose_report"]
Transfer = Literal["explicit", "implicit", "rle", "j2k"]


@dataclass(frozen=True)
class SeriesPlan:
    number: int
    kind: SeriesKind
    description: str
    plane: Plane
    weighting: Weighting
    geometry: Geometry | None = None
    station: int = 0  # series of one station share their geometry (and their labels)
    acquisition: tuple[int, int] = (0, 0)  # MR: matrix actually acquired (rows, cols)
    timing: MrTiming | None = None
    snr: float = 0.0
    gain: float = 1.0  # MR: stored value of relative signal 1
    bias: float = 0.0
    bits_stored: int = 16
    rescale_slope: float | None = None  # MR: Philips-style rescale
    transfer: Transfer = "explicit"
    enhanced: bool = False  # MR: one Enhanced MR multi-frame object


@dataclass(frozen=True)
class CtPlan:
    kernel: str
    noise_hu: float
    grain_px: float
    blur_px: float
    signed: bool  # pixel representation 1 with intercept 0, else unsigned with -1024
    cortical_hu: float
    kvp: float
    tube_ma: float


@dataclass(frozen=True)
class CaseSpec:
    case_id: str
    seed: int
    modality: Literal["MR", "CT"]
    field_of_view: FieldOfView
    spine: SpineSpec
    contents: Contents
    distractors: tuple[Distractor, ...]
    series: tuple[SeriesPlan, ...]
    scanner: Scanner
    patient: Patient
    study_description: str
    ct: CtPlan | None = None
