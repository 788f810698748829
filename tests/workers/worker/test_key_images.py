"""Key images on synthetic arrays: the box where it was asked for, the labels beside its edges,
the caption below, the window, and a PNG of the expected size."""

from __future__ import annotations

import io

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from workers.key_images import (
    BOX_COLOUR,
    BOX_MARGIN_PX,
    KeyImageText,
    outline_box,
    render_key_image,
    upscale_factor,
    windowed,
)

BBOX = (20, 16, 40, 30)  # row_min, col_min, row_max, col_max


def gradient(rows: int = 64, columns: int = 64) -> NDArray[np.float32]:
    return np.add.outer(np.arange(rows), np.arange(columns)).astype(np.float32)


def decoded(png: bytes) -> NDArray[np.uint8]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def box_coloured(rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
    matches: NDArray[np.bool_] = np.all(rgb == np.array(BOX_COLOUR, dtype=np.uint8), axis=-1)
    return matches


@pytest.mark.parametrize(
    ("shape", "scale"),
    [((64, 64), 8), ((300, 200), 2), ((512, 512), 1), ((600, 900), 1)],
)
def test_small_images_are_enlarged_by_a_whole_factor(shape: tuple[int, int], scale: int) -> None:
    """Without a caption the PNG is the slice enlarged by the factor that reaches 512 pixels."""
    png = render_key_image(gradient(*shape), (1, 1, 2, 2))
    assert upscale_factor(shape) == scale
    assert decoded(png).shape == (shape[0] * scale, shape[1] * scale, 3)


def test_the_box_is_drawn_around_the_asked_rows_and_columns() -> None:
    """The outline runs just outside the box's pixels, enlarged; inside and far outside it the
    image keeps its grey levels."""
    rgb = decoded(render_key_image(gradient(), BBOX))
    scale = upscale_factor((64, 64))
    left, top, right, bottom = outline_box(BBOX, scale, (512, 512))
    assert (left, top) == (16 * scale - BOX_MARGIN_PX, 20 * scale - BOX_MARGIN_PX)
    assert (right, bottom) == (31 * scale - 1 + BOX_MARGIN_PX, 41 * scale - 1 + BOX_MARGIN_PX)
    coloured = box_coloured(rgb)
    assert coloured[top, left : right + 1].all()
    assert coloured[bottom, left : right + 1].all()
    assert coloured[top : bottom + 1, left].all()
    assert coloured[top : bottom + 1, right].all()
    assert not coloured[top + 10 : bottom - 10, left + 10 : right - 10].any()
    outside = coloured.copy()
    outside[top - 5 : bottom + 6, left - 5 : right + 6] = False
    assert not outside.any()


def test_labels_sit_beside_the_top_and_bottom_edges() -> None:
    """The upper level is written just above the top edge and the lower one just below the
    bottom edge, right of the box."""
    plain = box_coloured(decoded(render_key_image(gradient(), BBOX)))
    text = KeyImageText(top_label="T4", bottom_label="T6")
    labelled = box_coloured(decoded(render_key_image(gradient(), BBOX, text)))
    _, top, right, bottom = outline_box(BBOX, 8, (512, 512))
    added = labelled & ~plain
    above_top = added[top - 40 : top, right + 1 :]
    below_bottom = added[bottom + 1 : bottom + 40, right + 1 :]
    assert above_top.sum() > 20
    assert below_bottom.sum() > 20
    assert not added[top + 5 : bottom - 5, :].any()


def test_labels_go_left_of_a_box_at_the_right_edge() -> None:
    """A box against the image's right edge has its labels on its left."""
    bbox = (20, 50, 40, 63)
    text = KeyImageText(top_label="C5", bottom_label="T2")
    plain = box_coloured(decoded(render_key_image(gradient(), bbox)))
    added = box_coloured(decoded(render_key_image(gradient(), bbox, text))) & ~plain
    left = outline_box(bbox, 8, (512, 512))[0]
    assert added[:, :left].sum() > 40
    assert not added[:, left + 1 :].any()


def test_labels_of_a_box_at_the_image_ends_stay_inside_the_box_span() -> None:
    """A box that reaches the image's top and bottom rows has its labels turned inward: below
    its top edge and above its bottom edge, where they can be read."""
    bbox = (0, 16, 63, 30)
    text = KeyImageText(top_label="T3", bottom_label="T8")
    plain = box_coloured(decoded(render_key_image(gradient(), bbox)))
    added = box_coloured(decoded(render_key_image(gradient(), bbox, text))) & ~plain
    _, top, right, bottom = outline_box(bbox, 8, (512, 512))
    assert added[top + 1 : top + 40, right + 1 :].sum() > 20
    assert added[bottom - 40 : bottom, right + 1 :].sum() > 20


def test_a_caption_adds_a_band_below_the_image() -> None:
    """The caption is written in a band under the slice, wrapped to its width, the image above
    unchanged in size."""
    caption = "Epidural mass T4\u2013T6, Bilsky 1c, canal 44% compromised " * 3
    rgb = decoded(render_key_image(gradient(), BBOX, KeyImageText(caption=caption)))
    assert rgb.shape[1] == 512
    assert rgb.shape[0] > 512 + 40
    band = rgb[512:]
    assert (band == 255).all(axis=-1).any()  # white text
    assert (band == 0).all(axis=-1).any()  # on black


@pytest.mark.parametrize(
    ("hu", "grey"),
    [(-1000.0, 0), (-160.0, 0), (40.0, 128), (240.0, 255), (1000.0, 255)],
)
def test_hounsfield_units_use_the_soft_tissue_window(hu: float, grey: int) -> None:
    """CT values map through level 40, width 400: -160 HU and below black, 240 HU and above
    white."""
    assert windowed(np.full((4, 4), hu), hounsfield=True)[0, 0] == grey


def test_a_few_bright_pixels_do_not_set_the_mr_window() -> None:
    """The MR window comes from robust percentiles: one extreme pixel does not wash out the
    rest."""
    pixels = gradient().copy()
    pixels[0, 0] = 1e6
    grey = windowed(pixels, hounsfield=False)
    assert grey[0, 0] == 255
    assert grey[63, 63] > 200
    assert grey[1, 1] < 20


@pytest.mark.parametrize(
    ("pixels", "bbox", "argument"),
    [
        (np.zeros((4, 4, 4)), (0, 0, 1, 1), "pixels"),
        (np.zeros((0, 4)), (0, 0, 1, 1), "pixels"),
        (np.zeros((8, 8)), (0, 0, 8, 4), "bbox"),
        (np.zeros((8, 8)), (5, 0, 2, 4), "bbox"),
    ],
)
def test_bad_arguments_are_refused_by_name(
    pixels: NDArray[np.float64], bbox: tuple[int, int, int, int], argument: str
) -> None:
    """A non-2-D array or a box outside it raises ValueError naming the argument."""
    with pytest.raises(ValueError, match=argument):
        render_key_image(pixels, bbox)
