"""Paraspinal and prevertebral masses on sagittal MR series of phantom studies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workers.analysis.mr_outside import outside_masses_sagittal
from workers.analysis.reading import Detection
from workers.analysis.volume import CanonicalVolume, Volume
from workers.loading import LoadedSeries, load_study
from workers.phantom import case_for, named_case, write_case
from workers.phantom.case_spec import CaseSpec
from workers.phantom.spine import Spine

NEGATIVE_SEED = 1009  # a cervicothoracic study without masses or distractors
Z_TOLERANCE_MM = 15.0


def _sagittal(case_dir: Path) -> list[LoadedSeries]:
    study = load_study(case_dir / "dicom")
    return [series for series in study.series if series.plane == "sagittal"]


def _detections(series: list[LoadedSeries]) -> list[tuple[LoadedSeries, Detection]]:
    return [
        (s, d) for s in series for d in outside_masses_sagittal(s.volume.canonical(), s.weighting)
    ]


def _blob_z_mm(spec: CaseSpec, kind: str, volume: Volume) -> tuple[float, float]:
    """Phantom truth: the blob's head-to-feet extent as mm below the series' first row."""
    spine = Spine(spec.spine)
    canonical = volume.canonical()
    top = float(volume.position_mm(canonical.source_index((0, 0, 0)))[2])
    heights = [
        top - float(spine.to_lps(_one(lobe.s + ds), _one(lobe.u), _one(lobe.v))[0, 2])
        for blob in spec.contents.blobs
        if blob.kind == kind
        for lobe in blob.lobes
        for ds in (-lobe.rs, lobe.rs)
    ]
    return min(heights), max(heights)


def _one(value: float) -> np.ndarray:
    return np.array([value], dtype=np.float32)


@pytest.fixture(scope="module")
def sickle(tmp_path_factory: pytest.TempPathFactory) -> tuple[CaseSpec, list[LoadedSeries]]:
    spec = named_case("sickle_t4_t6")
    folder = tmp_path_factory.mktemp("sickle")
    write_case(spec, folder)
    return spec, _sagittal(folder)


@pytest.fixture(scope="module")
def lung_ca(tmp_path_factory: pytest.TempPathFactory) -> list[LoadedSeries]:
    folder = tmp_path_factory.mktemp("lung_ca")
    write_case(named_case("lung_ca_c5_t2"), folder)
    return _sagittal(folder)


@pytest.fixture(scope="module")
def negative(tmp_path_factory: pytest.TempPathFactory) -> list[LoadedSeries]:
    folder = tmp_path_factory.mktemp("negative")
    write_case(case_for(NEGATIVE_SEED), folder)
    return _sagittal(folder)


def test_left_paravertebral_mass_is_found_on_the_left_at_its_height(
    sickle: tuple[CaseSpec, list[LoadedSeries]],
) -> None:
    """The sickle-cell child's left paravertebral mass is detected on the left, where it is."""
    spec, series = sickle
    paraspinal = [(s, d) for s, d in _detections(series) if d.type == "paraspinal_mass"]
    assert paraspinal
    for loaded, detection in paraspinal:
        assert detection.side == "left"
        first, last = _blob_z_mm(spec, "paraspinal", loaded.volume)
        dz = loaded.volume.canonical().spacing_mm[0]
        assert detection.z_range[0] * dz > first - Z_TOLERANCE_MM
        assert detection.z_range[1] * dz < last + Z_TOLERANCE_MM
        assert detection.max_thickness_mm >= 5.0
        assert detection.canal_compromise_pct is None
        assert detection.bilsky_grade is None


def test_prevertebral_mass_of_the_lung_cancer_case_is_found(lung_ca: list[LoadedSeries]) -> None:
    """The 24 mm prevertebral mass in front of the thoracolumbar bodies is detected."""
    prevertebral = [d for _, d in _detections(lung_ca) if d.type == "prevertebral_mass"]
    assert prevertebral
    assert all(d.side == "anterior" for d in prevertebral)
    assert max(d.max_thickness_mm for d in prevertebral) >= 10.0


def test_study_without_masses_gives_no_detection(negative: list[LoadedSeries]) -> None:
    """A normal cervicothoracic study yields no paraspinal or prevertebral detection."""
    assert _detections(negative) == []


def test_detections_lie_inside_the_volume(sickle: tuple[CaseSpec, list[LoadedSeries]]) -> None:
    """Boxes and key voxels are canonical indices within the series."""
    _, series = sickle
    for loaded, detection in _detections(series):
        shape = loaded.volume.canonical().voxels.shape
        z0, y0, x0, z1, y1, x1 = detection.box
        assert 0 <= z0 <= z1 < shape[0]
        assert 0 <= y0 <= y1 < shape[1]
        assert 0 <= x0 <= x1 < shape[2]
        assert all(0 <= k < n for k, n in zip(detection.key_voxel, shape, strict=True))


@pytest.mark.parametrize("slices", [1, 3])
def test_too_few_slices_give_nothing(slices: int) -> None:
    """A series too thin to hold the column and beside it is declined, not guessed at."""
    volume = CanonicalVolume(
        voxels=np.random.default_rng(0).random((64, 64, slices), dtype=np.float32),
        spacing_mm=(1.0, 1.0, 3.0),
        source_axes=(1, 2, 0),
        flipped=(False, False, False),
        obliquity_deg=0.0,
        source_shape=(slices, 64, 64),
    )
    assert outside_masses_sagittal(volume, "T2") == ()
