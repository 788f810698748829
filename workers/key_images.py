"""A finding's key image as a PNG a radiologist can read at a glance: the slice windowed,
enlarged when small, the mass's box outlined, its upper and lower levels written at the box's
edges and the finding's summary as a caption below.

Pure: a 2-D array and the box in, PNG bytes out; it knows nothing of DICOM or the worklist."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

# Images smaller than this (longer side, pixels) are enlarged by a whole factor to reach it, so
# that the box and the text stay legible in a browser.
MIN_SIDE_PX = 512
# Robust window for MR (arbitrary units): a few bright or dark pixels do not set the contrast.
LOW_PERCENTILE = 0.5
HIGH_PERCENTILE = 99.5
# CT soft-tissue window (Hounsfield units): masses, muscle and the thecal sac separate in it.
SOFT_TISSUE_LEVEL_HU = 40.0
SOFT_TISSUE_WIDTH_HU = 400.0
# Saturated, so it never occurs in the greyscale image under it.
BOX_COLOUR = (255, 176, 0)
CAPTION_COLOUR = (255, 255, 255)
CAPTION_BACKGROUND = (0, 0, 0)
OUTLINE_COLOUR = (0, 0, 0)
# The box is drawn this far outside the mass (output pixels), so the line never hides its edge.
BOX_MARGIN_PX = 3
# Output pixels per text size unit: line and font sizes follow the image's width.
LINE_WIDTH_PER_PX = 1 / 256
FONT_SIZE_PER_PX = 1 / 28
MIN_FONT_SIZE = 12
LABEL_GAP_PX = 6
LINE_SPACING = 1.3  # caption line pitch, in text heights

# Pillow's built-in font has no dashes but the hyphen; a missing glyph would print as a box.
DASHES = str.maketrans({"\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class KeyImageText:
    """What is written on the image: labels at the box's top and bottom edges, and a caption."""

    top_label: str | None = None
    bottom_label: str | None = None
    caption: str = ""


def render_key_image(
    pixels: NDArray[np.generic],
    bbox: tuple[int, int, int, int],
    text: KeyImageText | None = None,
    *,
    hounsfield: bool = False,
) -> bytes:
    """PNG of ``pixels`` (rows, columns) with ``bbox`` (row_min, col_min, row_max, col_max,
    inclusive) outlined; ``hounsfield`` selects the CT soft-tissue window."""
    _check(pixels, bbox)
    text = _drawable(text or KeyImageText())
    scale = upscale_factor(pixels.shape)
    grey = Image.fromarray(windowed(pixels, hounsfield), mode="L")
    size = (pixels.shape[1] * scale, pixels.shape[0] * scale)
    image = grey.resize(size, Image.Resampling.BILINEAR).convert("RGB")
    font = ImageFont.load_default(size=max(MIN_FONT_SIZE, round(size[0] * FONT_SIZE_PER_PX)))
    box = outline_box(bbox, scale, size)
    draw = ImageDraw.Draw(image)
    draw.rectangle(box, outline=BOX_COLOUR, width=max(2, round(size[0] * LINE_WIDTH_PER_PX)))
    _edge_labels(draw, box, text, font, size)
    if text.caption:
        image = _with_caption(image, text.caption, font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def upscale_factor(shape: tuple[int, ...]) -> int:
    """The whole factor that brings the longer side to at least ``MIN_SIDE_PX`` (1 if it is)."""
    return max(1, math.ceil(MIN_SIDE_PX / max(shape[0], shape[1])))


def windowed(pixels: NDArray[np.generic], hounsfield: bool) -> NDArray[np.uint8]:
    """Grey levels 0-255: the soft-tissue window for CT, robust percentiles otherwise."""
    values = np.nan_to_num(pixels.astype(np.float64))
    if hounsfield:
        low = SOFT_TISSUE_LEVEL_HU - SOFT_TISSUE_WIDTH_HU / 2
        high = SOFT_TISSUE_LEVEL_HU + SOFT_TISSUE_WIDTH_HU / 2
    else:
        low, high = (float(v) for v in np.percentile(values, (LOW_PERCENTILE, HIGH_PERCENTILE)))
    if high <= low:  # a flat image: mid grey rather than a division by zero
        high = low + 1.0
    scaled = (values - low) / (high - low) * 255.0
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def outline_box(
    bbox: tuple[int, int, int, int], scale: int, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The box's outline in output pixels (left, top, right, bottom): around the enlarged
    pixels of the mass with a margin, kept inside the image."""
    row_min, col_min, row_max, col_max = bbox
    width, height = size
    return (
        max(0, col_min * scale - BOX_MARGIN_PX),
        max(0, row_min * scale - BOX_MARGIN_PX),
        min(width - 1, (col_max + 1) * scale - 1 + BOX_MARGIN_PX),
        min(height - 1, (row_max + 1) * scale - 1 + BOX_MARGIN_PX),
    )


def _drawable(text: KeyImageText) -> KeyImageText:
    return KeyImageText(
        top_label=text.top_label.translate(DASHES) if text.top_label else None,
        bottom_label=text.bottom_label.translate(DASHES) if text.bottom_label else None,
        caption=text.caption.translate(DASHES),
    )


def _check(pixels: NDArray[np.generic], bbox: tuple[int, int, int, int]) -> None:
    if pixels.ndim != 2 or 0 in pixels.shape:
        raise ValueError(f"pixels must be a non-empty 2-D array, got shape {pixels.shape}")
    if len(bbox) != 4:
        raise ValueError(f"bbox must be (row_min, col_min, row_max, col_max), got {bbox}")
    row_min, col_min, row_max, col_max = bbox
    rows, columns = pixels.shape
    if not (0 <= row_min <= row_max < rows and 0 <= col_min <= col_max < columns):
        raise ValueError(f"bbox {bbox} is not inside pixels of shape {pixels.shape}")


def _edge_labels(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    text: KeyImageText,
    font: Font,
    image_size: tuple[int, int],
) -> None:
    """The top label sits on the box's top edge, the bottom label hangs from its bottom edge,
    both beside the box (right of it where they fit, else left), so they never overlap; a
    label that would leave the image turns to the box's side of its edge."""
    left, top, right, bottom = box
    image_width, image_height = image_size
    height = font.getbbox("T8")[3]
    # Pillow anchors: "d" puts the text's descender on the edge (above it), "a" its ascender.
    for label, edge_y, vertical in (
        (text.top_label, top, "d" if top >= height else "a"),
        (text.bottom_label, bottom, "a" if bottom + height <= image_height else "d"),
    ):
        if not label:
            continue
        on_right = right + 2 * LABEL_GAP_PX + draw.textlength(label, font=font) < image_width
        edge_x, x = (right, right + LABEL_GAP_PX) if on_right else (left, left - LABEL_GAP_PX)
        draw.line([(edge_x, edge_y), (x, edge_y)], fill=BOX_COLOUR, width=2)
        draw.text(
            (x, edge_y),
            label,
            fill=BOX_COLOUR,
            font=font,
            anchor=("l" if on_right else "r") + vertical,
            stroke_width=2,
            stroke_fill=OUTLINE_COLOUR,
        )


def _with_caption(image: Image.Image, caption: str, font: Font) -> Image.Image:
    """The image with a black band below it holding the caption, wrapped to the width."""
    margin = LABEL_GAP_PX * 2
    measure = ImageDraw.Draw(image)
    lines = _wrapped(
        caption, lambda line: measure.textlength(line, font=font), image.width - 2 * margin
    )
    line_height = round(measure.textbbox((0, 0), "Ag", font=font)[3] * LINE_SPACING)
    band = margin * 2 + line_height * len(lines)
    out = Image.new("RGB", (image.width, image.height + band), CAPTION_BACKGROUND)
    out.paste(image, (0, 0))
    draw = ImageDraw.Draw(out)
    for number, line in enumerate(lines):
        draw.text(
            (margin, image.height + margin + number * line_height), line, CAPTION_COLOUR, font
        )
    return out


def _wrapped(text: str, length: Callable[[str], float], width: float) -> list[str]:
    """Greedy word wrap: as many words on a line as fit in ``width`` (a long word alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and length(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines
