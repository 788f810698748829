"""Writing a NIfTI volume out as a sagittal DICOM MR series, so that real NIfTI images can go
through the DICOM path like a scanner's series would.

NIfTI places voxels in RAS+ millimetres (+x towards the patient's right, +y to the front, +z
up); DICOM in LPS (+x left, +y back, +z up), so x and y change sign. Slices are taken along the
voxel axis closest to left-right (sagittal), rows along the one closest to head-feet, running
down, and columns along the last one, running backwards, as a scanner shows a sagittal image."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import nibabel as nib
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import MRImageStorage

from tests.workers.loading.builders import (
    T2_TAGS,
    apply_tags,
    base_dataset,
    new_uid,
    set_pixels,
)

RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])
# Stored values must fit signed 16 bits; other data are scaled into this range.
INT16_RANGE = (-32768, 32767)
SCALED_MAX = 4095


def write_nifti_as_dicom_series(
    nifti_path: Path,
    folder: Path,
    weighting_tags: Mapping[str, object] | None = None,
    description: str = "SAG T2",
    study_uid: str | None = None,
) -> list[Path]:
    """Write the NIfTI volume as one sagittal MR file per slice; returns the paths.

    ``weighting_tags`` replace the default T2 acquisition tags (TR 3000 ms, TE 100 ms)."""
    image = nib.load(nifti_path)
    stored, slope, intercept = _stored_values(image)
    index_to_lps = RAS_TO_LPS @ image.affine
    order, flips = _sagittal_axes(index_to_lps[:3, :3])
    voxels = np.transpose(stored, order)
    to_source = _index_map(order, flips, voxels.shape)
    voxels = voxels[tuple(slice(None, None, -1) if flip else slice(None) for flip in flips)]
    geometry = index_to_lps @ to_source
    folder.mkdir(parents=True, exist_ok=True)
    uids = (study_uid or new_uid(), new_uid(), new_uid())
    tags = {**T2_TAGS, **(weighting_tags or {}), "SeriesDescription": description}
    paths = []
    for k in range(voxels.shape[0]):
        ds = _slice_dataset(uids, geometry, k, voxels[k], tags)
        if (slope, intercept) != (1.0, 0.0):
            ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
        path = folder / f"{k + 1:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def _stored_values(image: nib.Nifti1Image) -> tuple[NDArray[np.int32], float, float]:
    """Integers to store, with the rescale that turns them back into the image's values."""
    raw = np.asanyarray(image.dataobj)
    slope, intercept = image.header.get_slope_inter()
    slope = 1.0 if slope is None else float(slope)
    intercept = 0.0 if intercept is None else float(intercept)
    fits = raw.size and INT16_RANGE[0] <= raw.min() and raw.max() <= INT16_RANGE[1]
    if np.issubdtype(raw.dtype, np.integer) and fits:
        return raw.astype(np.int32), slope, intercept
    values = raw * slope + intercept
    low, span = float(values.min()), float(np.ptp(values)) or 1.0
    scaled = np.rint((values - low) / span * SCALED_MAX).astype(np.int32)
    return scaled, span / SCALED_MAX, low


def _sagittal_axes(directions: NDArray[np.float64]) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    """Voxel axes for slices, rows and columns, and whether each must be reversed so that
    rows run down (-z) and columns run backwards (+y)."""
    slice_axis = int(np.argmax(np.abs(directions[0])))
    others = [axis for axis in range(3) if axis != slice_axis]
    row_axis = max(others, key=lambda axis: abs(directions[2, axis]))
    column_axis = next(axis for axis in others if axis != row_axis)
    flips = (False, bool(directions[2, row_axis] > 0), bool(directions[1, column_axis] < 0))
    return (slice_axis, row_axis, column_axis), flips


def _index_map(
    order: tuple[int, ...], flips: tuple[bool, ...], shape: tuple[int, ...]
) -> NDArray[np.float64]:
    """Homogeneous matrix from a (slice, row, column) index to the NIfTI voxel index."""
    matrix = np.zeros((4, 4))
    matrix[3, 3] = 1.0
    for axis, (source, flip) in enumerate(zip(order, flips, strict=True)):
        matrix[source, axis] = -1.0 if flip else 1.0
        matrix[source, 3] = shape[axis] - 1 if flip else 0.0
    return matrix


def _slice_dataset(
    uids: tuple[str, str, str],
    geometry: NDArray[np.float64],
    k: int,
    pixels: NDArray[np.int32],
    tags: Mapping[str, object],
) -> Dataset:
    study_uid, series_uid, frame_uid = uids
    # Moving down one row, and across one column, in patient millimetres.
    next_row, next_column = geometry[:3, 1], geometry[:3, 2]
    ds = base_dataset(MRImageStorage, new_uid(), study_uid, series_uid, "MR")
    ds.FrameOfReferenceUID = frame_uid
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
    ds.InstanceNumber = k + 1
    ds.ImagePositionPatient = [float(v) for v in geometry @ np.array([k, 0.0, 0.0, 1.0])][:3]
    # DICOM's row cosines point along a row (to the next column), column cosines down a column.
    ds.ImageOrientationPatient = [
        *(float(v) for v in next_column / np.linalg.norm(next_column)),
        *(float(v) for v in next_row / np.linalg.norm(next_row)),
    ]
    ds.PixelSpacing = [float(np.linalg.norm(next_row)), float(np.linalg.norm(next_column))]
    ds.SliceThickness = float(np.linalg.norm(geometry[:3, 0]))
    ds.MagneticFieldStrength = 3.0
    set_pixels(ds, np.ascontiguousarray(pixels), 16, True)
    apply_tags(ds, tags)
    return ds
