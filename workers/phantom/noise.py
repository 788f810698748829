"""What a scanner adds to the ideal image: coil shading, tissue texture, thermal noise, and the
blur of a limited acquisition matrix.

MR noise is complex Gaussian in k-space; the image is acquired on a smaller matrix and
zero-filled to the stored one, so the magnitude is Rician, correlated between neighbouring
pixels, and edges ring slightly (Gibbs) as they do on real scanners."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import fft
from scipy.ndimage import gaussian_filter

from workers.phantom.floats import Floats

TEXTURE_GRAIN_PX = 1.3  # tissue texture is correlated over a pixel or two
BIAS_HARMONICS = 2  # coil shading varies slowly: a couple of cosines per axis
BANK_SIZE = 4  # smooth random fields precomputed per series
FERMI_RADIUS, FERMI_WIDTH = 0.92, 0.05  # k-space filter: mild, leaves a trace of Gibbs ringing


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], sigma_px: float) -> Floats:
    """Gaussian random field with unit standard deviation, correlated over sigma_px."""
    white = rng.standard_normal(shape, dtype=np.float32)
    field = gaussian_filter(white, sigma_px, mode="wrap")
    field /= max(float(field.std()), 1e-6)
    result: Floats = field.astype(np.float32)
    return result


class FieldBank:
    """A few smooth random fields computed once, from which each slice takes one, shifted and
    flipped at random: as good as a fresh field per slice for texture and noise, at the cost
    of a copy instead of a filter."""

    def __init__(self, rng: np.random.Generator, shape: tuple[int, int], sigma_px: float) -> None:
        self.fields = [
            smooth_field(rng, shape, sigma_px) if sigma_px > 0 else _white(rng, shape)
            for _ in range(BANK_SIZE)
        ]

    def draw(self, rng: np.random.Generator) -> Floats:
        field = self.fields[int(rng.integers(BANK_SIZE))]
        shift = (int(rng.integers(field.shape[0])), int(rng.integers(field.shape[1])))
        shifted = np.roll(field, shift, axis=(0, 1))
        result: Floats = shifted[::-1] if rng.random() < 0.5 else shifted
        return result


def _white(rng: np.random.Generator, shape: tuple[int, int]) -> Floats:
    result: Floats = rng.standard_normal(shape, dtype=np.float32)
    return result


def bias_field(
    rng: np.random.Generator, shape: tuple[int, int], strength: float, posterior_axis: int
) -> Floats:
    """Multiplicative coil shading (mean 1): brighter towards the posterior spine coil along
    ``posterior_axis`` (0 rows, 1 columns) plus a few random slow undulations."""
    rows, cols = shape
    y = np.linspace(-0.5, 0.5, rows, dtype=np.float32)[:, None]
    x = np.linspace(-0.5, 0.5, cols, dtype=np.float32)[None, :]
    toward_coil = (y if posterior_axis == 0 else x) * strength * 1.6
    log_gain = np.broadcast_to(toward_coil, shape).astype(np.float32).copy()
    for kx in range(1, BIAS_HARMONICS + 1):
        for ky in range(1, BIAS_HARMONICS + 1):
            amp = rng.normal(0, strength * 0.25 / (kx * ky))
            phase_x, phase_y = rng.uniform(0, 2 * np.pi, 2)
            log_gain += amp * np.cos(np.pi * kx * x + phase_x) * np.cos(np.pi * ky * y + phase_y)
    result: Floats = np.exp(log_gain - log_gain.mean()).astype(np.float32)
    return result


def acquire_mr(
    image: Floats, sigma: float, acquisition: tuple[int, int], rng: np.random.Generator
) -> Floats:
    """What the scanner stores for an ideal image (on the stored grid): keep the central
    ``acquisition`` block of k-space (the resolution actually acquired), soften its edge with
    a Fermi filter as scanners do, add complex Gaussian noise (``sigma`` per channel in the
    stored image), zero-fill back and take the magnitude (Rician)."""
    rows, cols = image.shape
    ra, ca = min(acquisition[0], rows), min(acquisition[1], cols)
    spectrum = fft.fftshift(fft.fft2(image.astype(np.complex64), workers=1))
    r0, c0 = (rows - ra) // 2, (cols - ca) // 2
    block = spectrum[r0 : r0 + ra, c0 : c0 + ca] * _fermi(ra, ca)
    k_sigma = sigma * rows * cols / np.sqrt(ra * ca)
    noise = rng.standard_normal((ra, ca, 2), dtype=np.float32) * np.float32(k_sigma)
    block += noise[..., 0] + 1j * noise[..., 1]
    padded = np.zeros((rows, cols), dtype=np.complex64)
    padded[r0 : r0 + ra, c0 : c0 + ca] = block
    result: Floats = np.abs(fft.ifft2(fft.ifftshift(padded), workers=1)).astype(np.float32)
    return result


def _fermi(rows: int, cols: int) -> NDArray[np.float32]:
    ky = np.linspace(-1, 1, rows, dtype=np.float32)[:, None]
    kx = np.linspace(-1, 1, cols, dtype=np.float32)[None, :]
    radius = np.sqrt(kx * kx + ky * ky)
    result = 1 / (1 + np.exp((radius - FERMI_RADIUS) / FERMI_WIDTH))
    return result.astype(np.float32)
