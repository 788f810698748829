"""Files compressed by dcmtk, an independent implementation, decode to the original voxels.

Each case writes an uncompressed series, compresses every file with a dcmtk tool and loads
both: lossless syntaxes must give exactly the same voxels, lossy ones nearly the same."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from tests.support import dcmtk_tools
from tests.workers.loading.compression import loaded_voxels, relative_error, write_smooth_series

TOOLS = dcmtk_tools("dcmcjpeg", "dcmcjpls", "dcmcrle", "dcmconv")

pytestmark = pytest.mark.dcmtk

TOOL_TIMEOUT_S = 60
# Lossy codecs on smooth images: mean error under 1 % and no error over 5 % of the range.
LOSSY_MEAN, LOSSY_MAX = 0.01, 0.05

LOSSLESS = [
    ("dcmcjpeg", [], JPEGLosslessSV1),
    ("dcmcjpeg", ["+el"], JPEGLossless),
    ("dcmcjpls", [], JPEGLSLossless),
    ("dcmcrle", [], RLELossless),
    ("dcmconv", ["+td"], DeflatedExplicitVRLittleEndian),
]
# (tool, options, syntax, bits allocated, bits stored): baseline JPEG is 8-bit, extended 12.
# dcmcjpeg's lossy default stretches values to the full range and writes an identity rescale;
# +sr keeps them, +rm stretches them but writes the rescale that undoes it.
LOSSY = [
    ("dcmcjpeg", ["+eb", "+sr"], JPEGBaseline8Bit, 8, 8),
    ("dcmcjpeg", ["+ee", "+rm"], JPEGExtended12Bit, 16, 12),
    ("dcmcjpls", ["+en"], JPEGLSNearLossless, 16, 12),
]


def compress_folder(tool: str, options: list[str], source: Path, target: Path) -> None:
    """Compress every file of ``source`` into ``target`` with one dcmtk tool."""
    target.mkdir()
    for path in sorted(source.iterdir()):
        command = [str(TOOLS[tool]), *options, str(path), str(target / path.name)]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
        )
        assert result.returncode == 0, f"{' '.join(command)}: {result.stdout}{result.stderr}"


def transfer_syntax(folder: Path) -> str:
    return str(dcmread(next(folder.iterdir()), stop_before_pixels=True).file_meta.TransferSyntaxUID)


@pytest.mark.parametrize(("tool", "options", "syntax"), LOSSLESS)
def test_lossless_syntaxes_decode_to_identical_voxels(
    tmp_path: Path, tool: str, options: list[str], syntax: str
) -> None:
    """A losslessly compressed copy loads to exactly the original's voxels."""
    written = write_smooth_series(tmp_path / "plain", 16, BitsStored=12, HighBit=11)
    compress_folder(tool, options, tmp_path / "plain", tmp_path / "compressed")
    assert transfer_syntax(tmp_path / "compressed") == syntax
    voxels = loaded_voxels(tmp_path / "compressed")
    np.testing.assert_array_equal(voxels, loaded_voxels(tmp_path / "plain"))
    np.testing.assert_array_equal(voxels, written.pixels)


@pytest.mark.parametrize(("tool", "options", "syntax", "bits", "stored"), LOSSY)
def test_lossy_syntaxes_decode_to_nearly_the_same_voxels(
    tmp_path: Path, tool: str, options: list[str], syntax: str, bits: int, stored: int
) -> None:
    """A lossy copy loads to voxels within a small fraction of the original's range."""
    written = write_smooth_series(tmp_path / "plain", bits, BitsStored=stored, HighBit=stored - 1)
    compress_folder(tool, options, tmp_path / "plain", tmp_path / "compressed")
    assert transfer_syntax(tmp_path / "compressed") == syntax
    mean, largest = relative_error(loaded_voxels(tmp_path / "compressed"), written.pixels)
    assert mean < LOSSY_MEAN
    assert largest < LOSSY_MAX
