"""Reading of an axial CT series of the spine: the canal, the vertebral segments and the
epidural, paraspinal and prevertebral masses it shows, in canonical voxels.

The steps are: follow the canal (``ct_canal``), sample its cross-section on every slice
(``ct_section``), find bodies and discs in front of it and name them from an anchor
(``ct_levels``), then look for masses inside the canal (``ct_epidural``) and beside and in
front of the bodies (``ct_outside``). Every step reads the HU volume through small crops or
samples around the canal, never a full-size copy."""

from __future__ import annotations

from workers.analysis.ct_canal import canal_path
from workers.analysis.ct_epidural import epidural_detections
from workers.analysis.ct_levels import read_levels
from workers.analysis.ct_outside import outside_detections
from workers.analysis.ct_section import sections
from workers.analysis.reading import SeriesReading
from workers.analysis.volume import CanonicalVolume

MIN_SLICES = 8  # fewer axial slices cannot show a vertebra and its neighbours


def read_axial_ct(volume: CanonicalVolume) -> SeriesReading:
    """Segments, anchor and detections of one axial CT volume (voxels in HU)."""
    if volume.voxels.ndim != 3:
        raise ValueError(f"volume: expected 3 dimensions, got shape {volume.voxels.shape}")
    if volume.voxels.shape[0] < MIN_SLICES:
        return SeriesReading(segments=(), anchor=None, detections=(), note="too few slices")
    path = canal_path(volume)
    if path is None:
        return SeriesReading(segments=(), anchor=None, detections=(), note="canal not found")
    section = sections(volume, path)
    levels = read_levels(volume, path, section)
    slice_mm, pixel_y, pixel_x = volume.spacing_mm
    detections = (
        *epidural_detections(section, path, levels.sac_range, slice_mm, (pixel_y, pixel_x)),
        *outside_detections(volume, path, section, levels.sac_range),
    )
    return SeriesReading(segments=levels.segments, anchor=levels.anchor, detections=detections)
