"""Enhanced multi-frame MR and CT: geometry, rescale and weighting from functional groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.workers.loading.builders import AXIAL, SAGITTAL, SeriesSpec
from tests.workers.loading.enhanced import STIR_MACROS, write_enhanced
from workers.loading import load_study

# Frames stored in an order unrelated to their positions along the normal.
SHUFFLED = [3, 0, 5, 1, 4, 2]


def test_enhanced_mr_frames_are_stacked_by_position(tmp_path: Path) -> None:
    """Frames stored out of order come out in position order, each named by its SOP Instance
    UID and frame number, with spacing from the per-frame positions."""
    spec = SeriesSpec(slices=6, orientation=SAGITTAL, step_mm=3.3, slice_thickness_mm=3.0)
    written = write_enhanced(tmp_path, spec, STIR_MACROS, frame_order=SHUFFLED)
    series = load_study(tmp_path).series[0]
    np.testing.assert_array_equal(series.volume.voxels, written.pixels.astype(np.float32))
    assert series.slice_sources == [(written.sop_uid, number) for number in written.frame_numbers]
    assert series.volume.spacing_mm == pytest.approx((3.3, 0.8, 0.6))
    assert series.slice_thickness_mm == pytest.approx(3.0)
    assert series.plane == "sagittal"


@pytest.mark.parametrize(
    ("macros", "expected"),
    [
        (STIR_MACROS, "STIR"),
        (
            {
                "MRTimingAndRelatedParametersSequence": {"RepetitionTime": 3200.0},
                "MREchoSequence": {"EffectiveEchoTime": 95.0},
                "MRModifierSequence": {"InversionRecovery": "NO"},
            },
            "T2",
        ),
        (
            {
                "MRTimingAndRelatedParametersSequence": {"RepetitionTime": 550.0},
                "MREchoSequence": {"EffectiveEchoTime": 8.0},
                "ContrastBolusUsageSequence": {
                    "ContrastBolusAgentNumber": 1,
                    "ContrastBolusAgentAdministered": "YES",
                },
            },
            "T1_contrast",
        ),
    ],
)
def test_enhanced_mr_weighting_comes_from_functional_groups(
    tmp_path: Path, macros: dict[str, dict[str, object]], expected: str
) -> None:
    """Timing, echo, inversion recovery and contrast usage read from the shared functional
    groups decide the weighting, with no top-level TR or TE present."""
    write_enhanced(tmp_path, SeriesSpec(description="", slices=4), macros)
    assert load_study(tmp_path).series[0].weighting == expected


def test_enhanced_ct_applies_each_frames_rescale(tmp_path: Path) -> None:
    """Per-frame Pixel Value Transformation items rescale each frame with its own values."""
    spec = SeriesSpec(modality="CT", orientation=AXIAL, slices=4, description="AX CT")
    rescales = [(1.0, -1024.0), (1.0, -1000.0), (2.0, -1024.0), (0.5, 0.0)]
    written = write_enhanced(tmp_path, spec, {}, frame_order=[2, 0, 3, 1], rescales=rescales)
    series = load_study(tmp_path).series[0]
    assert (series.modality, series.weighting, series.plane) == ("CT", "CT", "axial")
    for k, number in enumerate(written.frame_numbers):
        slope, intercept = rescales[number - 1]
        np.testing.assert_allclose(series.volume.voxels[k], written.pixels[k] * slope + intercept)
