"""Which series the analysis reads, and with which reader.

Sagittal MR gives the canal, the levels and every compartment; axial MR is a second opinion on
the canal and beside it; axial CT gives everything at once. Other series (coronal, CT
reformats, unknown weightings) are declined with a reason before their pixels are decoded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from spinetriage.triage import Plane, SeriesUse, Weighting
from workers.analysis.ct_axial import read_axial_ct
from workers.analysis.mr_axial import read_axial_mr
from workers.analysis.mr_outside import outside_masses_sagittal
from workers.analysis.reading import SeriesReading
from workers.analysis.sagittal_mr import read_sagittal_mr
from workers.analysis.volume import CanonicalVolume

Reader = Callable[[CanonicalVolume, Weighting], SeriesReading]

MR_SAGITTAL_WEIGHTINGS: tuple[Weighting, ...] = ("T2", "STIR", "T1", "T1_contrast", "PD")
# The canal reader needs CSF bright against the cord and epidural tissue.
CANAL_WEIGHTINGS: tuple[Weighting, ...] = ("T2", "STIR", "PD")
MR_AXIAL_WEIGHTINGS: tuple[Weighting, ...] = ("T2", "STIR")


def read_sagittal(volume: CanonicalVolume, weighting: Weighting) -> SeriesReading:
    """Fluid-bright series: canal, levels and epidural masses; every weighting: the masses
    beside and in front of the spine (T1 shows those against fat and lung)."""
    outside = outside_masses_sagittal(volume, weighting)
    if weighting not in CANAL_WEIGHTINGS:
        return SeriesReading(segments=(), anchor=None, detections=outside)
    reading = read_sagittal_mr(volume, weighting)
    return replace(
        reading,
        detections=reading.detections + outside,
        note=reading.note if not outside else "",
    )


def read_ct(volume: CanonicalVolume, _weighting: Weighting) -> SeriesReading:
    return read_axial_ct(volume)


def reader_for(modality: str, plane: Plane | None, weighting: Weighting | None) -> Reader | None:
    if modality == "MR" and plane == "sagittal" and weighting in MR_SAGITTAL_WEIGHTINGS:
        return read_sagittal
    if modality == "MR" and plane == "axial" and weighting in MR_AXIAL_WEIGHTINGS:
        return read_axial_mr
    if modality == "CT" and plane == "axial" and weighting == "CT":
        return read_ct
    return None


def is_read(use: SeriesUse) -> bool:
    """Whether a series is worth decoding: a reader exists for its kind."""
    return reader_for(use.modality, use.plane, use.weighting) is not None
