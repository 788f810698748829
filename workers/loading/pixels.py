"""Decoding pixel data into a preallocated float32 volume, one frame at a time.

This is the only place that touches pixel data. Each file is opened once, its frames are
decoded by pydicom's pixel plugins (native, JPEG, JPEG-LS, JPEG 2000, RLE) and written straight
into their slot of the volume with the frame's rescale applied, so a series never exists as a
list of per-slice arrays."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom import dcmread
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.utils import iter_pixels
from pydicom.uid import UID

from workers.loading.errors import UnusableSeriesError
from workers.loading.frames import Frame

# Decoder messages can run to many lines; a reason keeps them on one line, this long at most.
MAX_MESSAGE_CHARS = 240


def read_voxels(frames: list[Frame], transfer_syntaxes: dict[Path, str]) -> NDArray[np.float32]:
    """Voxels for ``frames`` in their order (slice, row, column), rescaled, as float32."""
    rows, columns = frames[0].shape
    voxels = np.empty((len(frames), rows, columns), dtype=np.float32)
    slots: defaultdict[Path, dict[int, int]] = defaultdict(dict)
    for slot, frame in enumerate(frames):
        slots[frame.path][frame.frame_index] = slot
    for path, slot_of in slots.items():
        syntax = UID(transfer_syntaxes[path])
        _check_decoder(syntax)
        indices = sorted(slot_of)
        try:
            for index, pixels in zip(indices, _decoded(path, syntax, indices), strict=True):
                _store(voxels[slot_of[index]], pixels, frames[slot_of[index]].rescale)
        except UnusableSeriesError:
            raise
        # Plugins report corrupt or truncated data with whatever exception their codec raises.
        except Exception as error:
            raise UnusableSeriesError(_decode_failure(syntax, error)) from error
    return voxels


def _check_decoder(syntax: UID) -> None:
    name = syntax.name or str(syntax)
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError as error:
        raise UnusableSeriesError(f"no pixel decoder exists for transfer syntax {name}") from error
    if not decoder.is_available:
        missing = "; ".join(decoder.missing_dependencies) or "a decoding plugin"
        raise UnusableSeriesError(f"no pixel decoder installed for {name} (missing: {missing})")


def _decoded(path: Path, syntax: UID, indices: list[int]) -> Iterator[NDArray[np.generic]]:
    """Frames of one file. From a path pydicom reads only the pixel module and the frames; a
    deflated file must be inflated whole first, so it is read as a dataset."""
    source = dcmread(path) if syntax.is_deflated else path
    return iter_pixels(source, indices=indices)


def _store(
    slot: NDArray[np.float32], pixels: NDArray[np.generic], rescale: tuple[float, float]
) -> None:
    if pixels.shape != slot.shape:
        raise UnusableSeriesError(f"a frame decoded to shape {pixels.shape}, expected {slot.shape}")
    slot[...] = pixels
    slope, intercept = rescale
    if slope != 1.0:
        slot *= np.float32(slope)
    if intercept != 0.0:
        slot += np.float32(intercept)


def _decode_failure(syntax: UID, error: Exception) -> str:
    # Plugin failures put the codec's own words on the lines after a generic first line.
    message = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    detail = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return f"pixel data could not be decoded ({syntax.name or syntax}): {detail}"
