"""Interoperability with dcmtk's command-line tools, against a real listener process.

dcmtk is an independent DICOM implementation that PACS and modalities are commonly tested with,
so these tests check the listener's network behaviour from outside pynetdicom: verification,
storage of a series, compressed transfer syntaxes stored exactly as received, and resends.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)

from services.listener.spool import INCOMING
from spinetriage.dcmtk import loopback_env
from spinetriage.sample_study import SeriesSpec, write_mr_series
from tests.conftest import ListenerProcess
from tests.support import dcmtk_tools, metric

DCMTK_TOOLS = ("storescu", "echoscu", "dcmcjpeg", "dcmcjpls", "dcmcrle", "dcmconv")


TOOLS = dcmtk_tools(*DCMTK_TOOLS)

pytestmark = pytest.mark.dcmtk

AE_TITLE = "SPINETRIAGE"
INSTANCES_METRIC = "spinetriage_dicom_instances_total"
SMALL_SERIES = SeriesSpec(instances=4, rows=64, columns=64)
TOOL_TIMEOUT_S = 60

StartListener = Callable[..., ListenerProcess]


def run_dcmtk(tool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run one dcmtk tool and fail the test, with its output, unless it exits 0."""
    env = loopback_env()
    command = [str(TOOLS[tool]), *(str(arg) for arg in args)]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def storescu(
    listener: ListenerProcess, options: list[str], files: list[Path]
) -> subprocess.CompletedProcess[str]:
    """storescu's usage is: options, peer, port, then the files or folders to send."""
    return run_dcmtk(
        "storescu", "-aec", AE_TITLE, *options, "127.0.0.1", str(listener.port), *files
    )


def expected_spool_path(listener: ListenerProcess, sent: Path) -> Path:
    """Where the listener must put `sent`: <spool>/<study>/<series>/<sop>.dcm."""
    ds = dcmread(sent, stop_before_pixels=True)
    uids = (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
    return listener.spool / uids[0] / uids[1] / f"{uids[2]}.dcm"


def split_part10(path: Path) -> tuple[UID, bytes]:
    """A Part 10 file's transfer syntax and its raw dataset bytes (everything after group 0002),
    found by walking the explicit-VR-little-endian meta elements rather than trusting a parser."""
    data = path.read_bytes()
    assert data[128:132] == b"DICM", f"{path} is not a Part 10 file"
    offset = 132
    transfer_syntax = None
    while offset < len(data):
        group, element = struct.unpack_from("<HH", data, offset)
        if group != 0x0002:
            break
        vr = data[offset + 4 : offset + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            (length,) = struct.unpack_from("<I", data, offset + 8)
            value_start = offset + 12
        else:
            (length,) = struct.unpack_from("<H", data, offset + 6)
            value_start = offset + 8
        if element == 0x0010:
            transfer_syntax = data[value_start : value_start + length].rstrip(b"\0 ").decode()
        offset = value_start + length
    assert transfer_syntax is not None, f"{path} has no Transfer Syntax UID in its meta"
    return UID(transfer_syntax), data[offset:]


def inflate(deflated: bytes) -> bytes:
    """The dataset a raw Deflate stream holds; trailing padding after the stream is ignored."""
    return zlib.decompressobj(-zlib.MAX_WBITS).decompress(deflated)


@pytest.fixture
def series(tmp_path: Path) -> list[Path]:
    return write_mr_series(tmp_path / "series", SMALL_SERIES, seed=7)


def test_echoscu_verification_succeeds(start_listener: StartListener) -> None:
    """A C-ECHO from dcmtk's echoscu to the listener's AE title is answered with success."""
    listener = start_listener()

    run_dcmtk("echoscu", "-aec", AE_TITLE, "127.0.0.1", str(listener.port))


def test_storescu_series_lands_in_spool_with_identical_pixels(
    start_listener: StartListener, series: list[Path]
) -> None:
    """A series sent by storescu is spooled one Part 10 file per instance at
    <study>/<series>/<sop>.dcm, each with exactly the pixel data that was sent."""
    listener = start_listener()

    storescu(listener, ["+sd"], [series[0].parent])

    expected = {expected_spool_path(listener, sent): sent for sent in series}
    assert sorted(expected) == listener.spooled_files()
    for spooled, sent in expected.items():
        received, original = dcmread(spooled), dcmread(sent)
        assert received.SOPInstanceUID == original.SOPInstanceUID
        assert received.PixelData == original.PixelData
    assert metric(listener.metrics_url, INSTANCES_METRIC, outcome="stored") == len(series)


COMPRESSORS = [
    pytest.param(["dcmcjpeg"], ["--propose-lossless"], JPEGLosslessSV1, id="jpeg-lossless"),
    pytest.param(["dcmcjpls"], ["--propose-jls-lossless"], JPEGLSLossless, id="jpeg-ls-lossless"),
    pytest.param(["dcmcrle"], ["--propose-rle"], RLELossless, id="rle"),
    pytest.param(
        ["dcmconv", "+td"], ["--propose-deflated"], DeflatedExplicitVRLittleEndian, id="deflated"
    ),
]


@pytest.mark.parametrize(("compressor", "propose", "transfer_syntax"), COMPRESSORS)
def test_compressed_transfer_syntax_is_stored_as_received(
    start_listener: StartListener,
    series: list[Path],
    tmp_path: Path,
    compressor: list[str],
    propose: list[str],
    transfer_syntax: UID,
) -> None:
    """An instance storescu sends in a compressed transfer syntax is spooled in that transfer
    syntax with a dataset byte-identical to the one sent, never transcoded."""
    compressed_dir = tmp_path / "compressed"
    compressed_dir.mkdir()
    compressed = []
    for source in series[:2]:
        target = compressed_dir / source.name
        run_dcmtk(*compressor, source, target)
        assert split_part10(target)[0] == transfer_syntax, f"{compressor[0]} wrote another syntax"
        compressed.append(target)
    listener = start_listener()

    # --required proposes only the SOP classes the files need; the propose option offers the
    # files' own compressed syntax (plus the uncompressed ones) in its own presentation context.
    storescu(listener, ["--required", *propose], compressed)

    for sent in compressed:
        spooled = expected_spool_path(listener, sent)
        assert spooled.is_file(), f"{sent.name} was not spooled at {spooled}"
        spooled_syntax, spooled_dataset = split_part10(spooled)
        sent_syntax, sent_dataset = split_part10(sent)
        assert spooled_syntax == sent_syntax == transfer_syntax
        received = dcmread(spooled)
        assert received.file_meta.TransferSyntaxUID == transfer_syntax
        if transfer_syntax == DeflatedExplicitVRLittleEndian:
            assert inflate(spooled_dataset) == inflate(sent_dataset)
            if len(sent_dataset) % 2:
                # DICOM values and PDVs are even-length, so dcmtk sends an odd-length deflated
                # stream with one trailing NUL that its file writer leaves off.
                sent_dataset += b"\0"
        assert spooled_dataset == sent_dataset
        assert received.PixelData == dcmread(sent).PixelData
    assert len(listener.spooled_files()) == len(compressed)


def test_storescu_resend_replaces_instead_of_duplicating(
    start_listener: StartListener, series: list[Path]
) -> None:
    """Sending the same series twice with storescu leaves one spooled file per SOP instance and
    counts every instance of the second run as replaced."""
    listener = start_listener()

    storescu(listener, ["+sd"], [series[0].parent])
    assert metric(listener.metrics_url, INSTANCES_METRIC, outcome="stored") == len(series)
    assert metric(listener.metrics_url, INSTANCES_METRIC, outcome="replaced") == 0
    storescu(listener, ["+sd"], [series[0].parent])

    assert listener.spooled_files() == sorted(
        expected_spool_path(listener, sent) for sent in series
    )
    assert metric(listener.metrics_url, INSTANCES_METRIC, outcome="stored") == len(series)
    assert metric(listener.metrics_url, INSTANCES_METRIC, outcome="replaced") == len(series)
    assert not [p for p in (listener.spool / INCOMING).rglob("*") if p.is_file()]
