"""Series a loader must recognise and skip: the MR three-plane localizer and a secondary-capture
screenshot. Both are real images of the same patient, and carry nothing about the findings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.uid import MRImageStorage, SecondaryCaptureImageStorage

from workers.phantom.case_spec import SeriesPlan
from workers.phantom.dicom_base import (
    Study,
    _ds,
    base_dataset,
    image_plane,
    pixel_module,
    save,
    window,
)
from workers.phantom.geometry import Geometry, centred
from workers.phantom.intensity import mr_contrast
from workers.phantom.phantom import Phantom
from workers.phantom.render import MrSettings, render_mr

LOCALIZER = (256, 160, 1.7, 8.0)  # matrix, acquired matrix, pixel (mm), slice thickness (mm)
LOCALIZER_SNR = 10.0
SCREENSHOT_SIZE = 512
SCREENSHOT_FRAME = 24  # grey border of the viewer around the captured image


def localizer_planes(centre: NDArray[np.float64]) -> list[Geometry]:
    """Sagittal, coronal and axial single slices through a point."""
    matrix, _, pixel, thickness = LOCALIZER
    axes = (
        (np.array([0.0, 1, 0]), np.array([0.0, 0, -1])),
        (np.array([1.0, 0, 0]), np.array([0.0, 0, -1])),
        (np.array([1.0, 0, 0]), np.array([0.0, 1, 0])),
    )
    return [
        centred(
            centre,
            row,
            col,
            size=(1, matrix, matrix),
            spacing=(thickness, pixel, pixel),
            thickness_mm=thickness,
        )
        for row, col in axes
    ]


def write_localizer(
    study: Study,
    plan: SeriesPlan,
    phantom: Phantom,
    *,
    centre: NDArray[np.float64],
    rng: np.random.Generator,
    names: list[Path],
) -> None:
    """A gradient-echo three-plane localizer, one image per plane, ImageType LOCALIZER."""
    _, acquired, _, _ = LOCALIZER
    contrast = mr_contrast("T1", study.spec.spine.marrow_fat)
    settings = MrSettings(contrast, LOCALIZER_SNR, 1800.0, 0.3, 4095, (acquired, acquired))
    for index, geometry in enumerate(localizer_planes(centre)):
        frame = render_mr(phantom, geometry, [settings], rng)[0][0]
        ds = base_dataset(study, plan, MRImageStorage, index)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
        image_plane(ds, study, geometry, 0, spacing_tag=False)
        ds.ScanningSequence, ds.SequenceVariant = "GR", "SP"
        ds.MRAcquisitionType = "2D"
        ds.RepetitionTime, ds.EchoTime, ds.FlipAngle = "8.6", "4.0", "20"
        ds.MagneticFieldStrength = _ds(study.spec.scanner.field_t)
        pixel_module(ds, frame, 12, signed=False)
        window(ds, 900, 1800)
        save(ds, names[index], plan.transfer, study.spec.scanner.vendor)


def write_screenshot(
    study: Study, plan: SeriesPlan, image: NDArray[np.integer], path: Path
) -> None:
    """A viewer screenshot of one image: RGB, scaled into a grey frame, no geometry."""
    ds = base_dataset(study, plan, SecondaryCaptureImageStorage, 0)
    ds.Modality = "OT"
    ds.ConversionType = "WSD"
    ds.ImageType = ["DERIVED", "SECONDARY"]
    rgb = _screen(image)
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = rgb.shape[0], rgb.shape[1]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = rgb.tobytes()
    save(ds, path, "explicit", study.spec.scanner.vendor)


def _screen(image: NDArray[np.integer]) -> NDArray[np.uint8]:
    inner = SCREENSHOT_SIZE - 2 * SCREENSHOT_FRAME
    rows = np.linspace(0, image.shape[0] - 1, inner).astype(np.intp)
    cols = np.linspace(0, image.shape[1] - 1, inner).astype(np.intp)
    shown = image[np.ix_(rows, cols)].astype(np.float32)
    low, high = np.percentile(shown, [1, 99])
    grey = (np.clip((shown - low) / max(high - low, 1e-6), 0, 1) * 255).astype(np.uint8)
    canvas = np.full((SCREENSHOT_SIZE, SCREENSHOT_SIZE), 48, dtype=np.uint8)
    canvas[SCREENSHOT_FRAME:-SCREENSHOT_FRAME, SCREENSHOT_FRAME:-SCREENSHOT_FRAME] = grey
    return np.repeat(canvas[:, :, None], 3, axis=2)
