"""Tissues look as they should at known anatomy: the labels the phantom draws on a slice pick
out CSF, cord, muscle, fat and bone, and the stored pixels there have the expected contrast."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import FileDataset
from scipy.ndimage import binary_erosion

from tests.workers.phantom.conftest import Written
from workers.phantom.case_spec import SeriesPlan
from workers.phantom.phantom import Phantom
from workers.phantom.render import label_plane
from workers.phantom.tissues import Tissue

INTERIOR_PX = 1  # tissue pixels this far inside their tissue: little partial volume


def _middle_slice(case: Written, plan: SeriesPlan) -> tuple[NDArray[np.float64], NDArray[np.uint8]]:
    """Real values (after rescale) and phantom labels of the slice nearest the canal."""
    geometry = plan.geometry
    assert geometry is not None
    phantom = Phantom(case.spec.spine, case.spec.contents)
    series = next(d for d in case.series().values() if d[0].SeriesNumber == plan.number)
    frames = _frames_by_position(series)
    middle = geometry.centre().astype(np.float32)[None, :]
    centre = phantom.spine.point(float(phantom.spine.local(middle).s[0]))
    offsets = [
        abs(float((geometry.position(i) - centre) @ geometry.normal))
        for i in range(geometry.slices)
    ]
    k = int(np.argmin(offsets))
    values = frames[_key(geometry.position(k))]
    labels = label_plane(phantom, geometry.plane(k, geometry.rows, geometry.cols))
    return values, labels


def _key(position: object) -> tuple[float, ...]:
    return tuple(round(float(x), 2) for x in position)  # type: ignore[attr-defined]


def _frames_by_position(series: list[FileDataset]) -> dict[tuple[float, ...], NDArray[np.float64]]:
    """Real-valued frames keyed by position, from classic or Enhanced MR objects."""
    frames = {}
    for ds in series:
        if "PerFrameFunctionalGroupsSequence" in ds:
            shared = ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0]
            slope, intercept = float(shared.RescaleSlope), float(shared.RescaleIntercept)
            for group, pixels in zip(
                ds.PerFrameFunctionalGroupsSequence, ds.pixel_array, strict=True
            ):
                position = group.PlanePositionSequence[0].ImagePositionPatient
                frames[_key(position)] = pixels * slope + intercept
        else:
            slope, intercept = (
                float(ds.get("RescaleSlope", 1)),
                float(ds.get("RescaleIntercept", 0)),
            )
            frames[_key(ds.ImagePositionPatient)] = ds.pixel_array * slope + intercept
    return frames


def _median(values: NDArray[np.float64], labels: NDArray[np.uint8], *tissues: Tissue) -> float:
    mask = binary_erosion(np.isin(labels, tissues), iterations=INTERIOR_PX)
    assert mask.sum() > 10, f"too few interior pixels of {tissues}"
    return float(np.median(values[mask]))


def _plan(case: Written, weighting: str) -> SeriesPlan:
    return next(
        p
        for p in case.spec.series
        if p.kind in ("mr", "ct") and p.weighting == weighting and p.station == 0
    )


def test_t2_csf_is_brighter_than_cord_and_muscle(mr_enhanced: Written) -> None:
    """On sagittal T2 the CSF in the canal is brighter than the cord and than muscle."""
    values, labels = _middle_slice(mr_enhanced, _plan(mr_enhanced, "T2"))
    csf = _median(values, labels, Tissue.CSF)
    assert csf > 1.5 * _median(values, labels, Tissue.CORD)
    assert csf > 2.0 * _median(values, labels, Tissue.MUSCLE)


def test_t1_fat_is_brighter_than_csf(mr_enhanced: Written) -> None:
    """On sagittal T1 fat (epidural and subcutaneous) is brighter than CSF, the cord brighter
    than CSF."""
    values, labels = _middle_slice(mr_enhanced, _plan(mr_enhanced, "T1"))
    csf = _median(values, labels, Tissue.CSF)
    assert _median(values, labels, Tissue.FAT, Tissue.EPIDURAL_FAT) > 3 * csf
    assert _median(values, labels, Tissue.CORD) > csf


def test_stir_suppresses_fat(mr_enhanced: Written) -> None:
    """On STIR fat is dark and CSF bright."""
    values, labels = _middle_slice(mr_enhanced, _plan(mr_enhanced, "STIR"))
    assert _median(values, labels, Tissue.CSF) > 4 * _median(values, labels, Tissue.FAT)


def test_ct_bone_is_dense_and_canal_contents_are_soft(ct: Written) -> None:
    """On CT vertebral marrow is above 150 HU, cortex higher, the canal contents below 60 HU
    and fat negative."""
    values, labels = _middle_slice(ct, _plan(ct, "CT"))
    assert _median(values, labels, Tissue.MARROW) > 150
    assert _median(values, labels, Tissue.CSF, Tissue.CORD) < 60
    assert _median(values, labels, Tissue.FAT) < -50
