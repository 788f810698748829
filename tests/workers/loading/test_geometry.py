"""Series become volumes whose every voxel sits where the headers put it in the patient."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.workers.loading.builders import (
    AXIAL,
    CORONAL,
    SAGITTAL,
    SeriesSpec,
    WrittenSeries,
    rewrite,
    write_series,
)
from workers.loading import LoadedSeries, load_study

# A head-first axial stack read from the feet: columns run to the patient's right.
AXIAL_REVERSED = (-1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
# A sagittal stack whose columns run forwards and rows upwards.
SAGITTAL_FLIPPED = (0.0, -1.0, 0.0, 0.0, 0.0, 1.0)


def only_series(folder: Path) -> LoadedSeries:
    study = load_study(folder)
    assert len(study.series) == 1, study.uses
    return study.series[0]


@pytest.mark.parametrize(
    ("orientation", "plane"),
    [
        (SAGITTAL, "sagittal"),
        (SAGITTAL_FLIPPED, "sagittal"),
        (AXIAL, "axial"),
        (AXIAL_REVERSED, "axial"),
        (CORONAL, "coronal"),
    ],
)
def test_slices_follow_their_positions_not_names_or_numbers(
    tmp_path: Path, orientation: tuple[float, ...], plane: str
) -> None:
    """Slices written under shuffled file names and instance numbers come out in position
    order, each with the SOP Instance UID it came from, in the plane of their normal."""
    written = write_series(tmp_path, SeriesSpec(slices=7, orientation=orientation))
    series = only_series(tmp_path)
    assert series.plane == plane
    np.testing.assert_array_equal(series.volume.voxels, written.pixels.astype(np.float32))
    assert series.slice_sources == [(sop, None) for sop in written.sop_uids]
    assert series.volume.voxels.dtype == np.float32


def test_spacing_comes_from_positions_not_slice_thickness(tmp_path: Path) -> None:
    """Slices 3.3 mm apart but 3 mm thick give a slice spacing of 3.3 mm; rows and columns
    take PixelSpacing's row and column values in that order."""
    write_series(tmp_path, SeriesSpec(step_mm=3.3, slice_thickness_mm=3.0))
    series = only_series(tmp_path)
    assert series.volume.spacing_mm == pytest.approx((3.3, 0.8, 0.6))
    assert series.slice_thickness_mm == pytest.approx(3.0)


def marked_series(folder: Path, spec: SeriesSpec, index: tuple[int, int, int]) -> WrittenSeries:
    pixels = np.zeros((spec.slices, spec.rows, spec.columns), dtype=np.int32)
    pixels[index] = 1000
    return write_series(folder, spec, pixels=pixels)


def expected_position(
    written: WrittenSeries, spec: SeriesSpec, index: tuple[int, int, int]
) -> np.ndarray:
    """DICOM's own formula: the slice's ImagePositionPatient plus column and row steps."""
    row_cosines, column_cosines = np.array(spec.orientation[:3]), np.array(spec.orientation[3:])
    slice_index, row, column = index
    return (
        np.array(written.positions_mm[slice_index])
        + row * spec.pixel_spacing_mm[0] * column_cosines
        + column * spec.pixel_spacing_mm[1] * row_cosines
    )


@pytest.mark.parametrize("orientation", [SAGITTAL, SAGITTAL_FLIPPED, AXIAL_REVERSED, CORONAL])
def test_a_marked_voxel_sits_at_its_patient_position(
    tmp_path: Path, orientation: tuple[float, ...]
) -> None:
    """One bright voxel maps to the LPS position DICOM's formula gives, and in the canonical
    view it sits at the head-to-feet, front-to-back, right-to-left index of that position."""
    spec = SeriesSpec(slices=6, orientation=orientation)
    index = (4, 2, 7)
    written = marked_series(tmp_path, spec, index)
    volume = only_series(tmp_path).volume
    k, i, j = (int(value) for value in np.argwhere(volume.voxels == 1000)[0])
    position = expected_position(written, spec, index)
    np.testing.assert_allclose(volume.position_mm((k, i, j)), position, atol=1e-6)

    canonical = volume.canonical()
    z, y, x = (int(i) for i in np.argwhere(canonical.voxels == 1000)[0])
    corner = volume.position_mm(canonical.source_index((0, 0, 0)))
    dz, dy, dx = canonical.spacing_mm
    np.testing.assert_allclose(position - corner, [x * dx, y * dy, -z * dz], atol=1e-6)


def test_a_gantry_tilted_stack_keeps_its_voxels_in_place(tmp_path: Path) -> None:
    """Axial slices whose origins move backwards as they move up (a tilted gantry) are
    stacked along that sheared direction, so voxels keep their true positions."""
    spec = SeriesSpec(modality="CT", orientation=AXIAL, slices=5, step_mm=2.0)
    pixels = np.zeros((spec.slices, spec.rows, spec.columns), dtype=np.int32)
    pixels[3, 5, 4] = 1000
    written = write_series(tmp_path, spec, pixels=pixels)
    for k, path in enumerate(written.paths):
        # Each origin 0.5 mm further back than the one below: a shear of about 14 degrees.
        x, y, z = written.positions_mm[k]
        rewrite(path, ImagePositionPatient=[x, y + 0.5 * k, z])
    volume = only_series(tmp_path).volume
    step = np.array([0.0, 0.5, 2.0])
    assert volume.spacing_mm[0] == pytest.approx(float(np.linalg.norm(step)))
    np.testing.assert_allclose(volume.axes[0], step / np.linalg.norm(step), atol=1e-9)
    origin = np.array(written.positions_mm[3]) + np.array([0.0, 1.5, 0.0])
    # Rows run backwards (+y) and columns to the left (+x) on an axial image.
    expected = origin + np.array([4 * spec.pixel_spacing_mm[1], 5 * spec.pixel_spacing_mm[0], 0])
    np.testing.assert_allclose(volume.position_mm((3, 5, 4)), expected, atol=1e-6)


@pytest.mark.parametrize(
    ("slope", "intercept", "signed"),
    [(1.0, -1024.0, False), (2.0, -1024.0, False), (0.25, 10.0, False), (1.0, 0.0, True)],
)
def test_ct_rescale_gives_hounsfield_units(
    tmp_path: Path, slope: float, intercept: float, signed: bool
) -> None:
    """Stored CT values become slope * value + intercept, signed pixels included."""
    spec = SeriesSpec(modality="CT", orientation=AXIAL, signed=signed).with_tags(
        RescaleSlope=slope, RescaleIntercept=intercept, RescaleType="HU"
    )
    written = write_series(tmp_path, spec)
    series = only_series(tmp_path)
    assert series.weighting == "CT"
    np.testing.assert_allclose(series.volume.voxels, written.pixels * slope + intercept, rtol=1e-6)


def test_each_slice_uses_its_own_rescale(tmp_path: Path) -> None:
    """Slices stored with different intercepts (as some scanners write them) are each rescaled
    with their own values."""
    spec = SeriesSpec(modality="CT", orientation=AXIAL, slices=4)
    written = write_series(tmp_path, spec, shuffle_names=False)
    for k, path in enumerate(written.paths):
        rewrite(path, RescaleSlope=1, RescaleIntercept=-1000 - 10 * k)
    voxels = only_series(tmp_path).volume.voxels
    for k in range(spec.slices):
        np.testing.assert_array_equal(voxels[k], written.pixels[k] - 1000 - 10 * k)


def tilted_axial(degrees: float) -> tuple[float, ...]:
    """Axial orientation tilted about the left-right axis: the normal leans back from z."""
    angle = np.radians(degrees)
    return (1.0, 0.0, 0.0, 0.0, float(np.cos(angle)), float(-np.sin(angle)))


@pytest.mark.parametrize(("degrees", "plane"), [(0, "axial"), (25, "axial"), (40, "oblique")])
def test_slices_far_from_every_patient_axis_are_oblique(
    tmp_path: Path, degrees: float, plane: str
) -> None:
    """A slice normal within 30 degrees of an axis keeps that axis' plane; beyond, oblique."""
    write_series(tmp_path, SeriesSpec(orientation=tilted_axial(degrees)))
    assert only_series(tmp_path).plane == plane
