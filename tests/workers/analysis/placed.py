"""Readings placed on small sagittal volumes, for testing what is done with readings without
running a reader."""

from __future__ import annotations

import numpy as np

from spinetriage.levels import LEVELS
from spinetriage.triage import Plane, Weighting
from workers.analysis.placement import Placed
from workers.analysis.reading import Anchor, Detection, Segment, SeriesReading
from workers.analysis.volume import Volume
from workers.loading.study import LoadedSeries

# Sagittal: slices step to the patient's left, rows run head to feet, columns front to back.
SAGITTAL_AXES = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
SLICES, ROWS, COLUMNS = 5, 200, 120


def sagittal_series(
    uid: str, weighting: Weighting = "T2", top_mm: float = 100.0, plane: Plane = "sagittal"
) -> LoadedSeries:
    """Slices 3 mm apart, 1 mm pixels; row 0 at height ``top_mm``."""
    volume = Volume(
        voxels=np.zeros((SLICES, ROWS, COLUMNS), dtype=np.float32),
        spacing_mm=(3.0, 1.0, 1.0),
        origin_mm=(-6.0, -50.0, top_mm),
        axes=SAGITTAL_AXES,
    )
    return LoadedSeries(
        series_instance_uid=uid,
        description=f"{plane} {weighting}",
        modality="MR",
        plane=plane,
        weighting=weighting,
        volume=volume,
        slice_sources=[(f"{uid}.{k}", None) for k in range(SLICES)],
    )


def detection(
    first_z: int,
    last_z: int,
    *,
    kind: str = "epidural_mass",
    grade: str | None = "2",
    side: str | None = "posterior",
    confidence: float = 0.6,
) -> Detection:
    middle = (first_z + last_z) // 2
    return Detection(
        type=kind,  # type: ignore[arg-type]
        z_range=(first_z, last_z),
        side=side,  # type: ignore[arg-type]
        max_thickness_mm=6.0,
        canal_compromise_pct=50.0 if kind == "epidural_mass" else None,
        bilsky_grade=grade,  # type: ignore[arg-type]
        confidence=confidence,
        key_voxel=(middle, 40, 2),
        box=(first_z, 30, 2, last_z, 50, 2),
    )


def placed(
    series: LoadedSeries,
    detections: tuple[Detection, ...] = (),
    segments: tuple[Segment, ...] = (),
    anchor: Anchor | None = None,
) -> Placed:
    reading = SeriesReading(segments=segments, anchor=anchor, detections=detections)
    return Placed(series, series.volume.canonical(), reading)


def named_segments(
    first_level_index: int, count: int, height_px: float = 30.0
) -> tuple[Segment, ...]:
    """Consecutive segments from canonical z 10, each ``height_px`` tall, named from a level."""
    return tuple(
        Segment(
            top_z=10 + i * height_px,
            bottom_z=10 + (i + 1) * height_px,
            name=LEVELS[first_level_index + i],
        )
        for i in range(count)
    )
