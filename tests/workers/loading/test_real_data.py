"""Real images: a vendor CT series in JPEG 2000, and a real cervical T2 MRI through DICOM.

The data live outside the project (../shared/data/real); each test skips when they are absent."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from tests.workers.loading.nifti_series import RAS_TO_LPS, write_nifti_as_dicom_series
from workers.loading import LoadedSeries, load_study

REAL = Path(__file__).resolve().parents[4] / "shared" / "data" / "real"
REAL_CT = REAL / "totalseg_ct_dicom"
REAL_T2 = REAL / "sct_t2_cervical" / "t2.nii.gz"
# Hounsfield units: air is -1000, fat about -100, soft tissue (muscle, organs) 0 to 100.
AIR_HU = (-1050.0, -950.0)
SOFT_TISSUE_HU = (0.0, 100.0)


def needs(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"real data not present: {path}")


def histogram_peak(values: np.ndarray, low: float, high: float) -> float:
    """The most common value (10 HU bins) among those between low and high."""
    counts, edges = np.histogram(values, bins=np.arange(low, high + 10, 10))
    return float(edges[np.argmax(counts)] + 5)


def test_real_ct_loads_as_an_axial_volume_in_hounsfield_units() -> None:
    """The Siemens CT (JPEG 2000, SOP Class only in the file meta, empty series UID) loads as
    one axial CT volume, 2 mm apart by position though 3 mm thick, air and soft tissue
    where Hounsfield units put them."""
    needs(REAL_CT)
    study = load_study(REAL_CT)
    assert len(study.series) == 1, study.uses
    series = study.series[0]
    assert (series.modality, series.plane, series.weighting) == ("CT", "axial", "CT")
    assert series.volume.voxels.shape == (20, 512, 512)
    assert series.volume.spacing_mm == pytest.approx((2.0, 0.9765625, 0.9765625))
    assert series.slice_thickness_mm == pytest.approx(3.0)
    assert all(uid.startswith("1.3.12.2.1107.5.1.4.60064") for uid, _ in series.slice_sources)
    voxels = series.volume.voxels
    assert AIR_HU[0] <= histogram_peak(voxels, -1100, -500) <= AIR_HU[1]
    assert SOFT_TISSUE_HU[0] <= histogram_peak(voxels, -200, 300) <= SOFT_TISSUE_HU[1]


def load_t2(tmp_path: Path, nifti_path: Path) -> LoadedSeries:
    write_nifti_as_dicom_series(nifti_path, tmp_path / "dicom")
    study = load_study(tmp_path / "dicom")
    assert len(study.series) == 1, study.uses
    return study.series[0]


def test_real_t2_loads_as_a_sagittal_t2_with_its_geometry(tmp_path: Path) -> None:
    """The cervical T2 (NIfTI, PSR, 1 mm) written as DICOM loads as a sagittal T2 at 1 mm,
    whose canonical view is the NIfTI data head-to-feet, front-to-back, right-to-left, and
    whose voxels sit at the NIfTI affine's positions."""
    needs(REAL_T2)
    image = nib.load(REAL_T2)
    data = np.asanyarray(image.dataobj)
    series = load_t2(tmp_path, REAL_T2)
    assert (series.plane, series.weighting) == ("sagittal", "T2")
    assert series.volume.spacing_mm == pytest.approx((1.0, 1.0, 1.0))
    canonical = series.volume.canonical()
    # PSR data: axis 0 runs backwards, axis 1 up, axis 2 to the right.
    np.testing.assert_array_equal(canonical.voxels, data.transpose(1, 0, 2)[::-1, :, ::-1])

    index_to_lps = RAS_TO_LPS @ image.affine
    for z, y, x in [(0, 0, 0), (10, 20, 30), (54, 59, 51)]:
        nifti_index = np.array([y, data.shape[1] - 1 - z, data.shape[2] - 1 - x, 1.0])
        position = series.volume.position_mm(canonical.source_index((z, y, x)))
        np.testing.assert_allclose(position, (index_to_lps @ nifti_index)[:3], atol=1e-4)


def test_real_t2_in_another_voxel_order_gives_the_same_canonical_volume(tmp_path: Path) -> None:
    """The same T2 resaved in RAS voxel order, written as DICOM and loaded, gives exactly the
    same canonical volume: the writer and the loader follow the affine, not the array order."""
    needs(REAL_T2)
    ras = nib.as_closest_canonical(nib.load(REAL_T2))
    nib.save(ras, tmp_path / "ras.nii.gz")
    original = load_t2(tmp_path / "psr", REAL_T2).volume.canonical().voxels
    reordered = load_t2(tmp_path / "ras", tmp_path / "ras.nii.gz").volume.canonical().voxels
    np.testing.assert_array_equal(original, reordered)
