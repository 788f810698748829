"""Attributes of one frame of an enhanced multi-frame image.

Enhanced CT and MR files keep most per-image attributes in functional groups: a macro that
varies from frame to frame sits in that frame's item of the Per-frame Functional Groups
Sequence, one that does not sits once in the Shared Functional Groups Sequence. Classic files
keep the same attributes at the top level, which is where a lookup ends."""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

PER_FRAME = "PerFrameFunctionalGroupsSequence"
SHARED = "SharedFunctionalGroupsSequence"


def is_enhanced(header: Dataset) -> bool:
    return PER_FRAME in header or SHARED in header


def frame_value(header: Dataset, frame_index: int, macro: str, keyword: str) -> Any:
    """``keyword`` inside functional group ``macro`` for the frame (0-based), per-frame groups
    first, then shared ones, then the top level of the header; None when absent or empty."""
    for groups in (_per_frame_groups(header, frame_index), _first_item(header, SHARED)):
        item = _first_item(groups, macro) if groups is not None else None
        value = _value(item, keyword) if item is not None else None
        if value is not None:
            return value
    return _value(header, keyword)


def frame_items(header: Dataset, frame_index: int, macro: str) -> list[Dataset]:
    """All items of functional group ``macro`` for the frame (per-frame first, then shared)."""
    for groups in (_per_frame_groups(header, frame_index), _first_item(header, SHARED)):
        if groups is not None and macro in groups and groups[macro].value:
            return list(groups[macro].value)
    return []


def _per_frame_groups(header: Dataset, frame_index: int) -> Dataset | None:
    if PER_FRAME not in header:
        return None
    items = header[PER_FRAME].value
    return items[frame_index] if frame_index < len(items) else None


def _first_item(dataset: Dataset, keyword: str) -> Dataset | None:
    if keyword in dataset and dataset[keyword].value:
        item: Dataset = dataset[keyword].value[0]
        return item
    return None


def _value(dataset: Dataset, keyword: str) -> Any:
    if keyword not in dataset:
        return None
    value = dataset[keyword].value
    return None if value is None or value == "" else value
