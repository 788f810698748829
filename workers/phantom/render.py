"""Images of the phantom: tissue labels on each slice's grid, signal per sequence, then what the
scanner adds (``noise``).

Labels are found adaptively: a coarse grid first, then every pixel of the blocks whose corners
disagree. Uniform blocks are filled from their corner, which is exact except for structures
thinner than a block that fall between samples; the block is small enough (2 px) for that to
spare only sub-millimetre detail. MR slices are averaged over samples through their thickness
(partial volume); CT slices are blurred by the reconstruction kernel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter

from workers.phantom.geometry import Geometry, Plane
from workers.phantom.intensity import Contrast
from workers.phantom.noise import TEXTURE_GRAIN_PX, FieldBank, acquire_mr, bias_field
from workers.phantom.phantom import Phantom

BLOCK_PX = 2  # adaptive labelling: uniform 2x2 blocks are filled from one corner
THROUGH_SLICE_SAMPLES = 2  # MR partial volume: label planes averaged within a slice
THIN_SLICE_MM = 1.6  # slices this thin are sampled once
NOISE_REFERENCE = 0.4  # SNR is quoted for a tissue of this relative signal (cord, muscle)
KERNEL_TRUNCATE = 2.5  # the reconstruction kernel's blur, cut at 2.5 sigma


def label_plane(phantom: Phantom, plane: Plane) -> NDArray[np.uint8]:
    """Tissue labels on a plane's grid, shape (rows, cols)."""
    b = BLOCK_PX
    rc, cc = -(-plane.rows // b) + 1, -(-plane.cols // b) + 1
    ci = np.arange(rc, dtype=np.float32)[:, None] * b
    cj = np.arange(cc, dtype=np.float32)[None, :] * b
    coarse = phantom.labels(plane.points(ci, cj))
    corner = coarse[:-1, :-1]
    uniform = (corner == coarse[1:, :-1]) & (corner == coarse[:-1, 1:]) & (corner == coarse[1:, 1:])
    full = np.repeat(np.repeat(corner, b, axis=0), b, axis=1)
    bi, bj = np.nonzero(~uniform)
    if bi.size:
        offsets = np.arange(b)
        pi = (bi[:, None, None] * b + offsets[None, :, None]).repeat(b, axis=2)
        pj = (bj[:, None, None] * b + offsets[None, None, :]).repeat(b, axis=1)
        full[pi, pj] = phantom.labels(plane.points(pi.astype(np.float32), pj.astype(np.float32)))
    return full[: plane.rows, : plane.cols]


@dataclass(frozen=True)
class MrSettings:
    """How one MR series turns relative signal into stored values."""

    contrast: Contrast
    snr: float
    gain: float  # stored value of relative signal 1.0
    bias_strength: float
    max_stored: int
    acquisition: tuple[int, int] = (256, 256)  # matrix actually acquired (k-space kept)


def render_mr(
    phantom: Phantom, geometry: Geometry, series: list[MrSettings], rng: np.random.Generator
) -> list[NDArray[np.uint16]]:
    """Stored pixel values (slices, rows, cols) of each series planned on one geometry."""
    shape = (geometry.slices, geometry.rows, geometry.cols)
    frames = [np.zeros(shape, dtype=np.uint16) for _ in series]
    posterior_axis = 1 if abs(geometry.row_dir[1]) > abs(geometry.col_dir[1]) else 0
    biases = [bias_field(rng, shape[1:], mr.bias_strength, posterior_axis) for mr in series]
    thickness = geometry.slice_thickness_mm
    samples = 1 if thickness <= THIN_SLICE_MM else THROUGH_SLICE_SAMPLES
    offsets = (np.arange(samples) + 0.5) / samples * thickness - thickness / 2
    textures = FieldBank(rng, shape[1:], TEXTURE_GRAIN_PX)
    for k in range(geometry.slices):
        planes = [label_plane(phantom, geometry.plane(k, *shape[1:], float(o))) for o in offsets]
        texture = textures.draw(rng)
        for mr, bias, out in zip(series, biases, frames, strict=True):
            signal = sum(mr.contrast.mean[labels] for labels in planes) / samples
            signal = signal * (1 + mr.contrast.texture[planes[0]] * texture) * bias
            sigma = NOISE_REFERENCE / mr.snr
            magnitude = acquire_mr(signal.astype(np.float32), sigma, mr.acquisition, rng)
            out[k] = np.clip(np.rint(magnitude * mr.gain), 0, mr.max_stored).astype(np.uint16)
    return frames


@dataclass(frozen=True)
class CtSettings:
    contrast: Contrast
    noise_hu: float
    grain_px: float  # noise correlation: larger for soft kernels
    blur_px: float  # reconstruction kernel's point spread
    intercept: float  # stored = HU - intercept
    signed: bool


@dataclass(frozen=True)
class CtImages:
    slices: NDArray[np.integer]
    lateral_projection: NDArray[np.float32]  # (slices, rows): summed attenuation, for a scout


def render_ct(
    phantom: Phantom, geometry: Geometry, ct: CtSettings, rng: np.random.Generator
) -> CtImages:
    shape = (geometry.slices, geometry.rows, geometry.cols)
    dtype = np.int16 if ct.signed else np.uint16
    info = np.iinfo(dtype)
    out = np.zeros(shape, dtype=dtype)
    projection = np.zeros((geometry.slices, geometry.rows), dtype=np.float32)
    textures = FieldBank(rng, shape[1:], TEXTURE_GRAIN_PX)
    noises = FieldBank(rng, shape[1:], ct.grain_px)
    for k in range(geometry.slices):
        labels = label_plane(phantom, geometry.plane(k, geometry.rows, geometry.cols))
        hu = ct.contrast.mean[labels] + ct.contrast.texture[labels] * textures.draw(rng)
        if ct.blur_px > 0:
            hu = gaussian_filter(hu, ct.blur_px, truncate=KERNEL_TRUNCATE)
        projection[k] = np.clip(hu + 1000.0, 0, None).sum(axis=1) / 1000.0
        hu += noises.draw(rng) * ct.noise_hu
        out[k] = np.clip(np.rint(hu - ct.intercept), info.min, info.max).astype(dtype)
    return CtImages(out, projection)
