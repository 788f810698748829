"""A study folder in, volumes out: every series loaded or skipped with a reason.

Headers of every file are read first (no pixels); series are classified and their planes
stacked from the headers alone; only series that pass every check have their pixels decoded."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spinetriage.logs import get_logger
from spinetriage.triage import Plane, SeriesUse, Weighting
from workers.analysis.volume import Volume
from workers.loading.classify import plane_of, skip_reason
from workers.loading.errors import LoaderError, UnusableSeriesError
from workers.loading.frames import Frame, frames_of
from workers.loading.functional_groups import frame_value
from workers.loading.headers import SeriesFiles, scan_folder
from workers.loading.pixels import read_voxels
from workers.loading.stack import common_orientation, slice_normal, stack_frames
from workers.loading.weighting import weighting_of

LOADED = "loaded"
NOT_WANTED = "not requested (pixels not decoded)"

# Told how a series would be reported if loaded; answers whether its pixels are worth decoding.
Wanted = Callable[[SeriesUse], bool]

log = get_logger(__name__)


@dataclass(frozen=True)
class LoadedSeries:
    """One series as a volume. ``slice_sources[k]`` names the SOP Instance UID and frame number
    (None for single-frame files) that ``volume.voxels[k]`` came from. No patient data."""

    series_instance_uid: str
    description: str
    modality: str
    plane: Plane
    weighting: Weighting
    volume: Volume
    slice_sources: list[tuple[str, int | None]]
    series_number: int | None = None
    slice_thickness_mm: float | None = None
    field_strength_t: float | None = None
    manufacturer: str = ""

    def use(self, used: bool = True, reason: str = LOADED) -> SeriesUse:
        """This series as the result contract describes it; by default, marked as loaded."""
        known = _Known(
            self.series_instance_uid, self.modality, self.description, self.plane, self.weighting
        )
        return known.use(used, reason)


@dataclass(frozen=True)
class LoadedStudy:
    """The series that loaded, a ``SeriesUse`` for every series (skipped ones with the reason),
    and how many files were skipped for each reason."""

    study_instance_uid: str | None
    series: list[LoadedSeries]
    uses: list[SeriesUse]
    skipped_files: dict[str, int] = field(default_factory=dict)


def load_study(folder: Path, wanted: Wanted | None = None) -> LoadedStudy:
    """Load every analysable series under ``folder`` (searched recursively).

    ``wanted``, if given, sees each series that passed every header check (plane, weighting
    and geometry known, pixels not yet decoded) and may decline it, so that a study with many
    reconstructions holds only the volumes the analysis reads; declined series are reported
    with ``NOT_WANTED``. Raises ``LoaderError`` when the folder holds no series that loads."""
    started = time.process_time()
    scan = scan_folder(folder)
    loaded: list[LoadedSeries] = []
    uses: list[SeriesUse] = []
    for files in scan.series:
        outcome = _load_series(files, wanted)
        if isinstance(outcome, LoadedSeries):
            loaded.append(outcome)
            uses.append(outcome.use())
        else:
            uses.append(outcome)
            log.info("series_skipped", series=files.series_instance_uid, reason=outcome.reason)
    log.info(
        "study_loaded",
        study=scan.study_instance_uid,
        series_loaded=len(loaded),
        series_skipped=len(uses) - len(loaded),
        files_skipped=sum(scan.skipped_files.values()),
        cpu_s=round(time.process_time() - started, 3),
    )
    if not loaded:
        raise LoaderError(_nothing_message(uses, scan.skipped_files))
    return LoadedStudy(scan.study_instance_uid, loaded, uses, scan.skipped_files)


@dataclass
class _Known:
    """What has been learnt about a series so far, for its SeriesUse whatever happens next."""

    series_instance_uid: str
    modality: str
    description: str
    plane: Plane | None = None
    weighting: Weighting | None = None

    def use(self, used: bool, reason: str) -> SeriesUse:
        return SeriesUse(
            series_instance_uid=self.series_instance_uid,
            description=self.description,
            modality=self.modality,
            plane=self.plane,
            weighting=self.weighting,
            used=used,
            reason=reason,
        )


def _load_series(files: SeriesFiles, wanted: Wanted | None) -> LoadedSeries | SeriesUse:
    known = _Known(
        series_instance_uid=files.series_instance_uid,
        modality=str(files.header.get("Modality") or ""),
        description=str(files.header.get("SeriesDescription") or ""),
    )
    try:
        return _read_series(files, known, wanted)
    except UnusableSeriesError as rejected:
        reason = rejected.reason
    # A header value of the wrong type or form surfaces only when it is read; it spoils this
    # series, not the study.
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as error:
        reason = f"malformed header ({type(error).__name__})"
    return known.use(used=False, reason=reason)


def _read_series(files: SeriesFiles, known: _Known, wanted: Wanted | None) -> LoadedSeries:
    """Classify, stack and decode one series; raises UnusableSeriesError with the reason."""
    reason = skip_reason(files)
    if reason is not None:
        raise UnusableSeriesError(reason)
    weighting = known.weighting = weighting_of(files.header, known.modality)
    frames = [frame for instance in files.instances for frame in frames_of(instance)]
    plane = known.plane = plane_of(slice_normal(*common_orientation(frames)))
    stack = stack_frames(frames)
    if wanted is not None and not wanted(known.use(used=True, reason=LOADED)):
        raise UnusableSeriesError(NOT_WANTED)
    syntaxes = {i.path: str(i.header.file_meta.TransferSyntaxUID) for i in files.instances}
    volume = Volume(
        read_voxels(stack.frames, syntaxes), stack.spacing_mm, stack.origin_mm, stack.axes
    )
    log.info(
        "series_loaded",
        series=known.series_instance_uid,
        plane=plane,
        weighting=weighting,
        shape=list(volume.voxels.shape),
        spacing_mm=[round(value, 3) for value in volume.spacing_mm],
    )
    return _loaded_series(files, known, (plane, weighting), volume, stack.frames)


def _loaded_series(
    files: SeriesFiles,
    known: _Known,
    kind: tuple[Plane, Weighting],
    volume: Volume,
    frames: list[Frame],
) -> LoadedSeries:
    header = files.header
    return LoadedSeries(
        series_instance_uid=known.series_instance_uid,
        description=known.description,
        modality=known.modality,
        plane=kind[0],
        weighting=kind[1],
        volume=volume,
        slice_sources=[(frame.sop_instance_uid, frame.frame_number) for frame in frames],
        series_number=_optional_int(header.get("SeriesNumber")),
        slice_thickness_mm=_optional_float(
            frame_value(header, 0, "PixelMeasuresSequence", "SliceThickness")
        ),
        field_strength_t=_optional_float(header.get("MagneticFieldStrength")),
        manufacturer=str(header.get("Manufacturer") or ""),
    )


def _nothing_message(uses: list[SeriesUse], skipped: dict[str, int]) -> str:
    parts = [
        f"{use.description or use.series_instance_uid or 'a series'}: {use.reason}" for use in uses
    ]
    parts += [f"{count} file(s): {reason}" for reason, count in sorted(skipped.items())]
    found = "; ".join(parts) if parts else "no files"
    return f"nothing analysable in the folder: {found}"


def _optional_float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _optional_int(value: Any) -> int | None:
    number = _optional_float(value)
    return int(number) if number is not None else None
