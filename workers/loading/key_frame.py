"""One stored frame as a 2-D array, for drawing a finding's key image.

The key image names its instance by SOP Instance UID and its frame by number; its box is in that
frame's stored rows and columns, so the frame is returned as stored (rescaled, not reoriented),
with which way the patient's head lies on it."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from workers.loading.errors import LoaderError
from workers.loading.frames import frames_of
from workers.loading.headers import Instance, read_instance
from workers.loading.pixels import read_voxels

HEAD_FOOT = 2  # the LPS component along the patient's head-foot axis (+ towards the head)
# Rows run along the head-foot axis when going down a column moves at least this much along it
# (cos 60 degrees): sagittal and coronal images, even tilted ones; never axial ones.
ALONG_HEAD_FOOT = 0.5

# Where the patient's head is on the image: at its top, at its bottom, or neither (axial).
HeadSide = Literal["top", "bottom", "across"]


@dataclass(frozen=True)
class KeyFrame:
    pixels: NDArray[np.float32]  # rows, columns; stored values after the rescale
    head: HeadSide


def key_frame(folder: Path, sop_instance_uid: str, frame_number: int | None) -> KeyFrame:
    """The frame (1-based ``frame_number``; None for a single-frame file) of the instance under
    ``folder``; ``LoaderError`` when the instance or the frame is not there or cannot be read."""
    instance = _find(folder, sop_instance_uid)
    frames = frames_of(instance)
    index = (frame_number or 1) - 1
    if not 0 <= index < len(frames):
        raise LoaderError(f"frame {frame_number} is not in an instance of {len(frames)} frame(s)")
    frame = frames[index]
    syntax = str(instance.header.file_meta.TransferSyntaxUID)
    pixels = read_voxels([frame], {instance.path: syntax})[0]
    return KeyFrame(pixels, _head_side(frame.orientation))


def _find(folder: Path, sop_instance_uid: str) -> Instance:
    """The instance's file: those named after the UID first (the spool names files so), then
    every other file's header."""
    named = sorted(folder.rglob(f"{sop_instance_uid}.dcm"))
    others = (path for path in sorted(folder.rglob("*")) if path.is_file() and path not in named)
    for path in chain(named, others):
        instance = read_instance(path)
        if isinstance(instance, Instance) and instance.sop_instance_uid == sop_instance_uid:
            return instance
    raise LoaderError("the key image's instance is not in the folder")


def _head_side(orientation: tuple[float, ...]) -> HeadSide:
    """From ImageOrientationPatient: its column cosines say where going down the image leads."""
    down_towards_head = orientation[3 + HEAD_FOOT]
    if down_towards_head <= -ALONG_HEAD_FOOT:
        return "top"
    if down_towards_head >= ALONG_HEAD_FOOT:
        return "bottom"
    return "across"
