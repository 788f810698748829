"""The contrast weighting of a series, from its acquisition tags first.

Classic MR files carry RepetitionTime, EchoTime, InversionTime and ScanningSequence at the top
level; enhanced MR files carry the same facts in functional groups. The series description is
only a hint, read when the tags are missing or say nothing clear, and never against them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from spinetriage.triage import Weighting
from workers.loading.functional_groups import frame_items, frame_value

# Fat's null point is near TI 150 ms at 1.5 T and 220 ms at 3 T: inversion recovery there is STIR.
STIR_TI_MS = (100.0, 250.0)
# TI in this range nulls CSF on a T1 recovery curve (T1-FLAIR, MPRAGE): T1 contrast.
T1_IR_TI_MS = (500.0, 1400.0)
# Short TR leaves tissues partly saturated, so T1 differences dominate...
T1_MAX_TR_MS = 800.0
# ...and a short TE leaves little time for T2 decay to add its own contrast.
SHORT_TE_MS = 30.0
# Long TR lets magnetisation recover fully, removing T1 differences.
LONG_TR_MS = 1500.0
# After a long TE, what signal is left is set by T2 decay.
T2_MIN_TE_MS = 60.0
# Long TR with TE under this keeps both T1 and T2 out: proton density.
PD_MAX_TE_MS = 40.0
# ImageType values of diffusion images and maps, whose TR/TE do not describe their contrast.
DIFFUSION_IMAGE_TYPES = frozenset({"DIFFUSION", "ADC", "TRACEW", "EADC", "FA"})
# ContrastBolusAgent values that some scanners write when no contrast was given.
NO_AGENT_VALUES = frozenset({"NONE", "NO", "N/A", "NIL", "-"})

_HINTS: tuple[tuple[Weighting, re.Pattern[str]], ...] = (
    ("STIR", re.compile(r"STIR|TIRM")),
    ("T1", re.compile(r"(?<![0-9])T1(?![0-9])")),
    ("T2", re.compile(r"(?<![0-9])T2(?![0-9*]|STAR)")),
    ("PD", re.compile(r"(?<![A-Z0-9])PDW?(?![A-Z0-9])")),
)
_CONTRAST_HINT = re.compile(
    r"\+\s*C(?![A-Z])|(?<![A-Z])C\s*\+|(?<![A-Z])POST(?!ERIOR)|(?<![A-Z])GD|GAD|CONTRAST"
    r"|(?<![A-Z])KM(?![A-Z])"
)


@dataclass(frozen=True)
class MRTags:
    """The acquisition facts weighting is judged from; None where the header says nothing."""

    repetition_ms: float | None
    echo_ms: float | None
    inversion_ms: float | None
    inversion_recovery: bool
    diffusion: bool
    contrast: bool | None


def weighting_of(header: Dataset, modality: str) -> Weighting:
    """The series' weighting: "CT" for CT, from the MR tags, else from the description."""
    if modality == "CT":
        return "CT"
    if modality != "MR":
        return "unknown"
    tags = mr_tags(header)
    description = str(header.get("SeriesDescription") or "").upper()
    weighting = tag_weighting(tags) or description_weighting(description) or "unknown"
    contrast = tags.contrast
    if contrast is None:
        contrast = bool(_CONTRAST_HINT.search(description))
    return "T1_contrast" if weighting == "T1" and contrast else weighting


def tag_weighting(tags: MRTags) -> Weighting | None:
    """The weighting the tags establish: None when they are missing or in between."""
    if tags.diffusion:
        return "unknown"
    if tags.inversion_recovery:
        return _inversion_weighting(tags.inversion_ms, tags.echo_ms)
    return _echo_weighting(tags.repetition_ms, tags.echo_ms)


def _echo_weighting(tr: float | None, te: float | None) -> Weighting | None:
    if tr is None or te is None:
        return None
    if tr < T1_MAX_TR_MS and te < SHORT_TE_MS:
        return "T1"
    if tr > LONG_TR_MS and te > T2_MIN_TE_MS:
        return "T2"
    if tr > LONG_TR_MS and te < PD_MAX_TE_MS:
        return "PD"
    return None


def _inversion_weighting(ti: float | None, te: float | None) -> Weighting | None:
    if ti is None:
        return None
    if STIR_TI_MS[0] <= ti <= STIR_TI_MS[1]:
        return "STIR"
    if T1_IR_TI_MS[0] <= ti <= T1_IR_TI_MS[1] and (te is None or te < SHORT_TE_MS):
        return "T1"
    # Other inversion times (T2-FLAIR, double IR) darken CSF: no weighting the heuristics read.
    return "unknown"


def description_weighting(description: str) -> Weighting | None:
    """The weighting a (upper-case) series description names, if it names exactly one."""
    named = [weighting for weighting, pattern in _HINTS if pattern.search(description)]
    if named[:1] == ["STIR"]:
        return "STIR"
    if len(named) != 1 or ("FLAIR" in description and named != ["T1"]):
        return None
    return named[0]


def mr_tags(header: Dataset) -> MRTags:
    """Acquisition facts of an MR header, classic or enhanced (first frame's groups)."""
    timing = "MRTimingAndRelatedParametersSequence"
    echo = frame_value(header, 0, "MREchoSequence", "EffectiveEchoTime")
    inversion = frame_value(header, 0, "MRModifierSequence", "InversionTimes")
    return MRTags(
        repetition_ms=_number(frame_value(header, 0, timing, "RepetitionTime")),
        echo_ms=_number(echo if echo is not None else header.get("EchoTime")),
        inversion_ms=_number(inversion if inversion is not None else header.get("InversionTime")),
        inversion_recovery=_inversion_recovery(header),
        diffusion=_diffusion(header),
        contrast=_contrast(header),
    )


def _inversion_recovery(header: Dataset) -> bool:
    flag = frame_value(header, 0, "MRModifierSequence", "InversionRecovery")
    if flag is not None:
        return str(flag).upper() == "YES"
    sequence = _strings(header.get("ScanningSequence"))
    if sequence:
        return "IR" in sequence
    # Neither tag present: an inversion time is the only evidence left.
    return _number(header.get("InversionTime")) is not None


def _diffusion(header: Dataset) -> bool:
    image_type = set(_strings(header.get("ImageType")))
    b_value = _number(frame_value(header, 0, "MRDiffusionSequence", "DiffusionBValue"))
    echo_planar = str(header.get("EchoPlanarPulseSequence") or "").upper() == "YES"
    return (
        bool(image_type & DIFFUSION_IMAGE_TYPES)
        or (b_value is not None and b_value > 0)
        or echo_planar
        or "EP" in _strings(header.get("ScanningSequence"))
    )


def _contrast(header: Dataset) -> bool | None:
    """True/False when the tags say whether contrast was given, None when they do not."""
    usage = frame_items(header, 0, "ContrastBolusUsageSequence")
    given = [str(item.get("ContrastBolusAgentAdministered") or "").upper() for item in usage]
    if "YES" in given:
        return True
    if given and all(value == "NO" for value in given):
        return False
    if header.get("ContrastBolusAgentSequence"):
        return True
    agent = str(header.get("ContrastBolusAgent") or "").strip().upper()
    if agent:
        return agent not in NO_AGENT_VALUES
    return True if header.get("ContrastBolusStartTime") else None


def _strings(value: Any) -> list[str]:
    """A code string attribute's values, upper case, whether it holds one value or several."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple | MultiValue) else [value]
    return [str(item).strip().upper() for item in items]


def _number(value: Any) -> float | None:
    """The (first) number in a numeric attribute, None when absent or not a number."""
    if isinstance(value, list | tuple | MultiValue):
        value = value[0] if len(value) else None
    try:
        return float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
