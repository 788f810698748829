"""The thecal sac on each slice of an axial T2 (or STIR) MR block: where the canal is, and per
slice the sac's area, extent and centre, the cord inside it and the CSF left around the cord.

On T2 the sac is a ring of bright CSF round the grey cord, inside dark bone and grey-white
epidural fat; as a blob it is brighter than the ring of bone around it on every slice, while a
disc's nucleus is bright only on the few slices through the disc. The canal is therefore
where that blob-against-ring contrast is highest averaged over the block."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

Floats = NDArray[np.float32]

SAC_RADIUS_MM = 6.0  # the blob looked for: about the sac's radius
RING_RADIUS_MM = 13.0  # no air this near the canal
SURROUND_OFFSET_MM = 13.0  # the sac is compared with blobs this far in front, behind, beside
CENTRAL_SHARE = 0.7  # the canal lies in the central part of the field, left to right
REFINE_MM = 8.0  # per slice, the sac is looked for this near the block's canal
WINDOW_MM = 22.0  # half-size of the window the sac is read in
CSF_PERCENTILE = 97.0  # the CSF's brightness in the window, over the whole block
CSF_FRACTION = 0.86  # CSF is brighter than this fraction of it; disc nucleus about 0.78
SMOOTH_PX = 0.7  # noise smoothing at native resolution
SAC_REACH_MM = 12.0  # the sac lies within this of the canal's centre; a disc's nucleus not
AIR_FRACTION = 0.1  # darker than this share of the bright tissue is air or lung
MAX_AIR_SHARE = 0.3  # the canal is deep in the body; its bone cortex is dark but thin


@dataclass(frozen=True)
class SacSection:
    """The sac on one slice, in mm and mm^2 (positions in canonical pixels)."""

    area_mm2: float
    csf_mm2: float
    cord_mm2: float
    ap_mm: float
    width_mm: float
    centre: tuple[float, float]  # canonical (y, x), pixels
    cord_touches_wall: bool
    box: tuple[int, int, int, int]  # y0, x0, y1, x1, canonical pixels


def canal_centre(voxels: Floats, pixel_mm: float) -> tuple[int, int]:
    """The canal's (y, x) over the whole block: a bright blob darker all round (bone in front,
    behind and on both sides), where a bright region's edge is dark on one side only."""
    step = max(1, round(1.0 / pixel_mm))
    coarse = voxels[:, ::step, ::step].astype(np.float32)
    mm = pixel_mm * step
    inner = ndimage.uniform_filter(
        coarse, (1, _px(2 * SAC_RADIUS_MM, mm), _px(2 * SAC_RADIUS_MM, mm))
    )
    shift = _px(SURROUND_OFFSET_MM, mm)
    surround = np.max(
        [np.roll(inner, offset, axis=axis) for axis in (1, 2) for offset in (shift, -shift)],
        axis=0,
    )
    scale = np.percentile(coarse, 99, axis=(1, 2))[:, None, None] + 1e-6
    air = (coarse < AIR_FRACTION * scale).astype(np.float32)
    near_air = ndimage.uniform_filter(
        air, (1, _px(2 * RING_RADIUS_MM, mm), _px(2 * RING_RADIUS_MM, mm))
    )
    per_slice = np.where(near_air > MAX_AIR_SHARE, 0.0, (inner - surround) / scale)
    contrast = per_slice.mean(axis=0)
    n_x = contrast.shape[1]
    margin = int(n_x * (1 - CENTRAL_SHARE) / 2)
    contrast[:, :margin] = -np.inf
    contrast[:, n_x - margin :] = -np.inf
    y, x = np.unravel_index(int(np.argmax(contrast)), contrast.shape)
    return int(y) * step + step // 2, int(x) * step + step // 2


def sac_sections(voxels: Floats, pixel_mm: float) -> list[SacSection | None]:
    """The sac on every slice (None where no sac is seen near the canal)."""
    cy, cx = canal_centre(voxels, pixel_mm)
    half = _px(WINDOW_MM, pixel_mm)
    y0, x0 = max(0, cy - half), max(0, cx - half)
    window = voxels[:, y0 : cy + half, x0 : cx + half].astype(np.float32)
    window = ndimage.gaussian_filter(window, (0, SMOOTH_PX, SMOOTH_PX))
    csf_level = float(np.percentile(window, CSF_PERCENTILE))
    return [_section(plane, csf_level, pixel_mm, (cy - y0, cx - x0), (y0, x0)) for plane in window]


def _section(
    plane: Floats,
    csf_level: float,
    pixel_mm: float,
    centre: tuple[int, int],
    origin: tuple[int, int],
) -> SacSection | None:
    rows, columns = np.ogrid[: plane.shape[0], : plane.shape[1]]
    reach_px = SAC_REACH_MM / pixel_mm
    around = (rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= reach_px**2
    csf = (plane > CSF_FRACTION * csf_level) & around
    labels, count = ndimage.label(csf)
    if not count:
        return None
    reach = _px(REFINE_MM, pixel_mm)
    near = labels[
        max(0, centre[0] - reach) : centre[0] + reach, max(0, centre[1] - reach) : centre[1] + reach
    ]
    present = np.unique(near[near > 0])
    if not present.size:
        return None
    sizes = ndimage.sum(csf, labels, present)
    ring = labels == present[int(np.argmax(sizes))]
    sac = ndimage.binary_fill_holes(ring)
    cord = _largest(sac & ~ring)
    area = float(sac.sum()) * pixel_mm**2
    ys, xs = np.nonzero(sac)
    touches = bool(cord.any() and (ndimage.binary_dilation(cord, iterations=2) & ~sac).any())
    return SacSection(
        area_mm2=area,
        csf_mm2=float(ring.sum()) * pixel_mm**2,
        cord_mm2=float(cord.sum()) * pixel_mm**2,
        ap_mm=float(ys.max() - ys.min() + 1) * pixel_mm,
        width_mm=float(xs.max() - xs.min() + 1) * pixel_mm,
        centre=(float(ys.mean()) + origin[0], float(xs.mean()) + origin[1]),
        cord_touches_wall=touches,
        box=(
            int(ys.min()) + origin[0],
            int(xs.min()) + origin[1],
            int(ys.max()) + origin[0],
            int(xs.max()) + origin[1],
        ),
    )


def _largest(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    labels, count = ndimage.label(mask)
    if not count:
        return mask
    largest: NDArray[np.bool_] = labels == int(np.bincount(labels.ravel())[1:].argmax()) + 1
    return largest


def _px(mm: float, pixel_mm: float) -> int:
    return max(1, round(mm / pixel_mm))
