"""A series' reading placed in the patient: canonical slices as heights (mm along the patient's
head-foot axis), so that what several series saw can be compared and levels named across them,
and canonical voxels back to the stored slice, row and column for the key image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from spinetriage.triage import KeyImage, Plane, Weighting
from workers.analysis.reading import Detection, SeriesReading
from workers.analysis.volume import CanonicalVolume
from workers.loading.study import LoadedSeries

HEAD_FOOT = 2  # the LPS component along the patient's head-foot axis (+ towards the head)

# Which series grades a finding seen by several: where cord, CSF and sac separate best first.
GRADING_PREFERENCE: tuple[tuple[Plane, Weighting], ...] = (
    ("sagittal", "T2"),
    ("sagittal", "STIR"),
    ("axial", "T2"),
    ("axial", "CT"),
    ("axial", "STIR"),
    ("sagittal", "PD"),
    ("sagittal", "T1_contrast"),
    ("sagittal", "T1"),
)


@dataclass(frozen=True)
class Placed:
    series: LoadedSeries
    canonical: CanonicalVolume
    reading: SeriesReading

    @property
    def kind(self) -> str:
        return f"{self.series.plane} {self.series.weighting}"

    @property
    def grading_rank(self) -> int:
        """Lower grades better; kinds of series not listed come last."""
        kind = (self.series.plane, self.series.weighting)
        return (
            GRADING_PREFERENCE.index(kind)
            if kind in GRADING_PREFERENCE
            else len(GRADING_PREFERENCE)
        )

    def height_mm(self, z: float) -> float:
        """Height of a canonical slice (fractional) in the patient, larger towards the head."""
        last = int(self.canonical.voxels.shape[0]) - 1
        top = self._position((0, 0, 0))
        if last == 0:
            return top
        bottom = self._position((last, 0, 0))
        return top + (bottom - top) * z / last

    def span_mm(self, detection: Detection) -> tuple[float, float]:
        """Top and bottom height of a detection, covering its first and last slices whole."""
        first, last = detection.z_range
        return self.height_mm(first - 0.5), self.height_mm(last + 0.5)

    def key_image(self, detection: Detection) -> KeyImage:
        """The stored slice holding the detection's key voxel, with its box in rows and columns."""
        source = self.canonical.source_index(detection.key_voxel)
        z0, y0, x0, z1, y1, x1 = detection.box
        corners = [self.canonical.source_index(c) for c in ((z0, y0, x0), (z1, y1, x1))]
        rows = sorted(c[1] for c in corners)
        columns = sorted(c[2] for c in corners)
        sop_instance_uid, frame_number = self.series.slice_sources[source[0]]
        return KeyImage(
            series_instance_uid=self.series.series_instance_uid,
            sop_instance_uid=sop_instance_uid,
            slice_index=source[0],
            frame_number=frame_number,
            bbox=(rows[0], columns[0], rows[1], columns[1]),
        )

    def positions_mm(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """Patient positions (LPS, mm) of fractional canonical (z, y, x) points, one per row."""
        return self.series.volume.position_mm(self.canonical.source_points(points))

    def _position(self, canonical_index: tuple[int, int, int]) -> float:
        source = self.canonical.source_index(canonical_index)
        return float(self.series.volume.position_mm(source)[HEAD_FOOT])
