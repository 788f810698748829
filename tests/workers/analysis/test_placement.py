"""Readings placed in the patient: heights of canonical slices and key images in stored pixels."""

from __future__ import annotations

import pytest

from tests.workers.analysis.placed import detection, placed, sagittal_series


def test_height_of_a_canonical_slice_follows_the_rows_of_a_sagittal_series() -> None:
    """Canonical z of a sagittal series is its row: 1 mm rows from 100 mm down."""
    where = placed(sagittal_series("1.2.3"))
    assert where.height_mm(0) == pytest.approx(100.0)
    assert where.height_mm(10.5) == pytest.approx(89.5)


def test_span_of_a_detection_covers_its_first_and_last_slices_whole() -> None:
    """A mass on rows 20 to 29 spans 10 mm, from 80.5 mm down to 70.5 mm."""
    where = placed(sagittal_series("1.2.3"))
    assert where.span_mm(detection(20, 29)) == pytest.approx((80.5, 70.5))


def test_key_image_names_the_stored_slice_and_its_box_in_rows_and_columns() -> None:
    """Canonical (z, y, x) is (row, column, slice) of a sagittal series."""
    key = placed(sagittal_series("1.2.3")).key_image(detection(20, 29))
    assert key.series_instance_uid == "1.2.3"
    assert key.slice_index == 2
    assert key.sop_instance_uid == "1.2.3.2"
    assert key.frame_number is None
    assert key.bbox == (20, 30, 29, 50)
