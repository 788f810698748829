"""A series' voxels reoriented into the spine's axes without resampling."""

from __future__ import annotations

import numpy as np
import pytest

from workers.analysis.volume import Volume

SAGITTAL = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # slices L, rows down, cols back
AXIAL = np.array([[0, 0, -1.0], [0, 1.0, 0], [1.0, 0, 0]])  # slices down, rows back, cols left
CORONAL_REVERSED = np.array([[0, -1.0, 0], [0, 0, 1.0], [-1.0, 0, 0]])


@pytest.mark.parametrize("axes", [SAGITTAL, AXIAL, CORONAL_REVERSED])
def test_canonical_voxel_sits_where_the_patient_axes_say(axes: np.ndarray) -> None:
    """A bright voxel keeps its patient position: its canonical index grows head-to-feet,
    front-to-back and right-to-left, and maps back to its source index."""
    voxels = np.zeros((5, 6, 7), dtype=np.float32)
    source = (1, 2, 3)
    voxels[source] = 1.0
    volume = Volume(voxels, (2.0, 0.5, 0.7), (0.0, 0.0, 0.0), axes)
    canonical = volume.canonical()
    z, y, x = (int(i) for i in np.argwhere(canonical.voxels == 1.0)[0])
    assert canonical.source_index((z, y, x)) == source

    # Stepping along canonical axes moves feet-ward, backward and leftward in LPS millimetres.
    origin = volume.position_mm(canonical.source_index((0, 0, 0)))
    offset = volume.position_mm(source) - origin
    dz, dy, dx = canonical.spacing_mm
    assert offset == pytest.approx([x * dx, y * dy, -z * dz])


def test_a_patient_position_maps_back_to_its_voxel_in_another_series() -> None:
    """Positions of a sagittal series' canonical points land on the same patient spot in an
    oblique axial series: its fractional index gives back each position."""
    sagittal = Volume(
        np.zeros((5, 6, 7), np.float32), (3.0, 0.6, 0.6), (-6.0, -20.0, 40.0), SAGITTAL
    )
    tilt = np.radians(12.0)
    tilted = np.array(
        [[0, np.sin(tilt), -np.cos(tilt)], [0, np.cos(tilt), np.sin(tilt)], [1.0, 0, 0]]
    )
    axial = Volume(np.zeros((9, 8, 8), np.float32), (4.0, 0.8, 0.8), (-10.0, -30.0, 45.0), tilted)
    canonical = sagittal.canonical()
    points = np.array([[0.0, 0.0, 0.0], [2.5, 3.25, 1.0], [4.0, 5.0, 4.0]])
    positions = sagittal.position_mm(canonical.source_points(points))
    index = axial.index_at(positions)
    assert axial.position_mm(index) == pytest.approx(positions)
    assert sagittal.index_at(positions) == pytest.approx(canonical.source_points(points))


def test_too_oblique_series_is_refused() -> None:
    """Two series axes along one patient axis cannot be reoriented."""
    diagonal = np.array([[0.7071, 0.7071, 0], [0.7071, -0.7071, 0], [0, 0, 1.0]])
    volume = Volume(np.zeros((2, 2, 2), np.float32), (1.0, 1.0, 1.0), (0, 0, 0), diagonal)
    with pytest.raises(ValueError, match="oblique"):
        volume.canonical()


def test_wrong_shapes_name_the_argument() -> None:
    """A 2D array is refused with a message naming `voxels`."""
    with pytest.raises(ValueError, match="voxels"):
        Volume(np.zeros((2, 2), np.float32), (1.0, 1.0, 1.0), (0, 0, 0), SAGITTAL)
