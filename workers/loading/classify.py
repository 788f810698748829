"""What a series is, before any pixel is read: images to measure, or something to skip, and in
which anatomical plane its slices lie."""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray
from pydicom.uid import (
    UID,
    CTImageStorage,
    EnhancedCTImageStorage,
    EnhancedMRImageStorage,
    LegacyConvertedEnhancedCTImageStorage,
    LegacyConvertedEnhancedMRImageStorage,
    MRImageStorage,
    MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
    MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    MultiFrameSingleBitSecondaryCaptureImageStorage,
    MultiFrameTrueColorSecondaryCaptureImageStorage,
    SecondaryCaptureImageStorage,
)

from spinetriage.triage import Plane
from workers.loading.headers import SeriesFiles

# Cross-sectional images whose headers place every pixel in the patient.
IMAGE_SOP_CLASSES = frozenset(
    {
        CTImageStorage,
        EnhancedCTImageStorage,
        LegacyConvertedEnhancedCTImageStorage,
        MRImageStorage,
        EnhancedMRImageStorage,
        LegacyConvertedEnhancedMRImageStorage,
    }
)
# Pictures of images (screenshots, annotated key images): no trustworthy geometry.
SECONDARY_CAPTURE_SOP_CLASSES = frozenset(
    {
        SecondaryCaptureImageStorage,
        MultiFrameSingleBitSecondaryCaptureImageStorage,
        MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
        MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
        MultiFrameTrueColorSecondaryCaptureImageStorage,
    }
)
# ImageType values that mark images which are not anatomy to measure, with what they are.
NON_ANATOMICAL_IMAGE_TYPES = {
    "LOCALIZER": "localizer",
    "SCREEN SAVE": "screen save",
    "SCREENSHOT": "screen save",
    "PROJECTION IMAGE": "projection image (MIP)",
    "MIP": "projection image (MIP)",
    "MOSAIC": "mosaic (several slices tiled in one image)",
    "CSA REPORT": "scanner report page",
}
# Derived secondary images are kept only when they are reformats (CT sagittal reformats are
# what the heuristics read); other derived secondaries are subtractions, fusions, renderings.
REFORMAT_IMAGE_TYPES = frozenset({"MPR", "REFORMATTED", "MULTIPLANAR"})
# Series descriptions that scanners give to planning images.
LOCALIZER_DESCRIPTION = re.compile(
    r"LOCALI[ZS]ER|SCOUT|SURVEY|TRI-?PLANE|3-?PLANE|(?<![A-Z])LOC(?![A-Z])"
)
# A slice normal further than this from every patient axis makes the series oblique.
OBLIQUE_FROM_DEG = 30.0
# Which plane a slice normal along the LPS x, y or z axis belongs to.
PLANE_OF_NORMAL_AXIS: tuple[Plane, Plane, Plane] = ("sagittal", "coronal", "axial")


def skip_reason(series: SeriesFiles) -> str | None:
    """Why the series is not images to measure, judged from its headers; None if it may be."""
    classes = {instance.sop_class_uid for instance in series.instances}
    if classes & SECONDARY_CAPTURE_SOP_CLASSES:
        return "secondary capture (a picture of images, without patient geometry)"
    others = sorted(classes - IMAGE_SOP_CLASSES)
    if others:
        return f"not a CT or MR image ({UID(others[0]).name or 'no SOP class'})"
    return _image_type_reason(series) or _pixel_format_reason(series)


def plane_of(normal: NDArray[np.float64]) -> Plane:
    """The plane of slices with this unit normal (LPS), oblique when it is near no axis."""
    component = int(np.argmax(np.abs(normal)))
    cosine = min(1.0, float(abs(normal[component])))
    if np.degrees(np.arccos(cosine)) > OBLIQUE_FROM_DEG:
        return "oblique"
    return PLANE_OF_NORMAL_AXIS[component]


def _image_type_reason(series: SeriesFiles) -> str | None:
    values: set[str] = set()
    for instance in series.instances:
        values.update(str(value).strip().upper() for value in _image_type(instance.header))
    for value, reason in NON_ANATOMICAL_IMAGE_TYPES.items():
        if value in values:
            return reason
    if {"DERIVED", "SECONDARY"} <= values and not values & REFORMAT_IMAGE_TYPES:
        return "derived secondary image (not a reformat of acquired slices)"
    description = str(series.header.get("SeriesDescription") or "").upper()
    if LOCALIZER_DESCRIPTION.search(description):
        return "localizer (by its series description)"
    return None


def _image_type(header: object) -> list[object]:
    value = getattr(header, "ImageType", None)
    if value is None:
        return []
    return list(value) if not isinstance(value, str) else [value]


def _pixel_format_reason(series: SeriesFiles) -> str | None:
    for instance in series.instances:
        header = instance.header
        samples = header.get("SamplesPerPixel") or 1
        photometric = str(header.get("PhotometricInterpretation") or "MONOCHROME2")
        if int(samples) != 1 or not photometric.startswith("MONOCHROME"):
            return f"colour image ({photometric}): CT and MR are measured in grey levels"
    return None
