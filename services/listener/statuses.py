"""DIMSE statuses the listener answers with (PS3.4 Annex B and PS3.7 Annex C)."""

from __future__ import annotations

from pydicom import Dataset

SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
CANNOT_UNDERSTAND = 0xC210
# 0xC211 is what pynetdicom answers when a handler raises; ours stay distinct from it.
CANNOT_UNDERSTAND_UIDS = 0xC212

ERROR_COMMENT_MAX_CHARS = 64


def failure(status: int, comment: str) -> Dataset:
    """A status dataset whose Error Comment tells the sender why, without patient data."""
    ds = Dataset()
    ds.Status = status
    ds.ErrorComment = comment[:ERROR_COMMENT_MAX_CHARS]
    return ds
