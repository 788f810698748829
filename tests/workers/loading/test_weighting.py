"""Weighting comes from the acquisition tags; the description is a hint, never an override."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from tests.workers.loading.builders import SeriesSpec, write_series
from workers.loading import load_study
from workers.loading.weighting import weighting_of

IR = ["SE", "IR"]
GADOLINIUM = {"ContrastBolusAgent": "GADOBUTROL"}


def header(description: str = "", **tags: object) -> Dataset:
    ds = Dataset()
    ds.SeriesDescription = description
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    return ds


def acquisition(
    tr: float | None,
    te: float | None,
    ti: float | None = None,
    sequence: object = None,
    **extra: object,
) -> dict[str, object]:
    """Acquisition tags: RepetitionTime, EchoTime, InversionTime, ScanningSequence (ms)."""
    tags = {"RepetitionTime": tr, "EchoTime": te, "InversionTime": ti, "ScanningSequence": sequence}
    return {key: value for key, value in {**tags, **extra}.items() if value is not None}


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (acquisition(500, 12, sequence="SE"), "T1"),
        (acquisition(600, 10, **GADOLINIUM), "T1_contrast"),
        (acquisition(550, 9, ContrastBolusStartTime="101500"), "T1_contrast"),
        (acquisition(600, 10, ContrastBolusAgent="NONE"), "T1"),
        (acquisition(3500, 110, sequence="SE"), "T2"),
        (acquisition(3500, 110, **GADOLINIUM), "T2"),
        (acquisition(2500, 20), "PD"),
        (acquisition(4000, 60, 160, IR), "STIR"),
        (acquisition(5000, 40, 220, "IR"), "STIR"),
        (acquisition(4000, 50, 150), "STIR"),
        (acquisition(2000, 9, 860, IR), "T1"),
        (acquisition(2000, 3, 900, ["GR", "IR"], **GADOLINIUM), "T1_contrast"),
        (acquisition(9000, 120, 2500, IR), "unknown"),
        (acquisition(1000, 45), "unknown"),
        (acquisition(None, None), "unknown"),
        (acquisition(5000, 80, sequence="EP"), "unknown"),
        (acquisition(5000, 80, ImageType=["DERIVED", "PRIMARY", "ADC"]), "unknown"),
    ],
)
def test_tags_decide_the_weighting(tags: dict[str, object], expected: str) -> None:
    """TR, TE, TI, inversion recovery and contrast tags give the weighting on their own."""
    assert weighting_of(header(**tags), "MR") == expected


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("SAG T2 TSE", "T2"),
        ("t2_tse_sag_384", "T2"),
        ("sag STIR", "STIR"),
        ("t2_tirm_sag", "STIR"),
        ("SAG T1 SE", "T1"),
        ("sT1W_SE", "T1"),
        ("SAG T1 +C", "T1_contrast"),
        ("T1 FS POST GD", "T1_contrast"),
        ("AX T1 POSTERIOR ELEMENTS", "T1"),
        ("PD_TSE_SAG", "PD"),
        ("T1 FLAIR SAG", "T1"),
        ("T2 FLAIR SAG", "unknown"),
        ("T2* MEDIC", "unknown"),
        ("T1 T2 COMBINED", "unknown"),
        ("DWI", "unknown"),
    ],
)
def test_description_is_read_when_tags_are_missing(description: str, expected: str) -> None:
    """Without TR/TE, the series description's weighting words give the weighting."""
    assert weighting_of(header(description), "MR") == expected


@pytest.mark.parametrize(
    ("description", "tags", "expected"),
    [
        ("SAG T2", acquisition(500, 10), "T1"),
        ("T1 +C", acquisition(3500, 100), "T2"),
        ("SAG T1", acquisition(4000, 60, 150, IR), "STIR"),
        ("SAG T1 POST", acquisition(500, 10), "T1_contrast"),
    ],
)
def test_clear_tags_beat_a_misleading_description(
    description: str, tags: dict[str, object], expected: str
) -> None:
    """A description naming another weighting does not override clear tags; it only adds
    contrast where no tag says whether contrast was given."""
    assert weighting_of(header(description, **tags), "MR") == expected


def test_enhanced_contrast_usage_saying_no_beats_a_post_description() -> None:
    """An enhanced header whose Contrast/Bolus Usage says no agent was given stays plain T1,
    whatever the description says."""
    usage = Dataset()
    usage.ContrastBolusAgentNumber = 1
    usage.ContrastBolusAgentAdministered = "NO"
    groups = Dataset()
    groups.ContrastBolusUsageSequence = Sequence([usage])
    ds = header("T1 POST GD", RepetitionTime=500, EchoTime=10)
    ds.SharedFunctionalGroupsSequence = Sequence([groups])
    assert weighting_of(ds, "MR") == "T1"


def test_ct_is_ct_whatever_its_description() -> None:
    """A CT series is weighted "CT" even when its description mentions T2."""
    assert weighting_of(header("T2 LEVEL RECON"), "CT") == "CT"


def test_loaded_series_report_their_weighting(tmp_path: Path) -> None:
    """Through the loader, each series carries the weighting its tags give, in its SeriesUse
    too."""
    spec = SeriesSpec(description="SAG T2")
    write_series(tmp_path, spec.with_tags(RepetitionTime=520.0, EchoTime=9.0, **GADOLINIUM))
    study = load_study(tmp_path)
    assert [series.weighting for series in study.series] == ["T1_contrast"]
    assert [(use.weighting, use.used, use.reason) for use in study.uses] == [
        ("T1_contrast", True, "loaded")
    ]
