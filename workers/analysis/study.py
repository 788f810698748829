"""A study folder in, a triage result out: load the series worth reading, read each, name the
levels across them, let T1 answer what T2 could not tell from fat (``fat_check``) or from
flowing CSF (``flow_check``), merge what they saw into findings, and say what every series was
used for.

A reader that fails on one series costs that series, not the study: the failure becomes the
series' reason and the others are still read."""

from __future__ import annotations

import time
from pathlib import Path

from spinetriage.logs import get_logger
from spinetriage.triage import SeriesUse, TriageResult, result_for
from workers.analysis.fat_check import answered
from workers.analysis.flow_check import without_flow_voids
from workers.analysis.merge import findings_from
from workers.analysis.naming import level_map
from workers.analysis.placement import Placed
from workers.analysis.readers import is_read, reader_for
from workers.loading.errors import LoaderError
from workers.loading.study import NOT_WANTED, LoadedSeries, load_study

log = get_logger(__name__)

READ = "read"


class NotAnalysableError(Exception):
    """Nothing in the study can be analysed; the message says why, without patient data."""


def analyze_folder(folder: Path) -> TriageResult:
    """Analyse every readable series under ``folder``; ``NotAnalysableError`` when no series
    could be read."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        study = load_study(folder, wanted=is_read)
    except LoaderError as error:
        raise NotAnalysableError(str(error)) from None
    loaded_ms = _ms_since(wall)
    placed: list[Placed] = []
    uses = {use.series_instance_uid: _declined(use) for use in study.uses}
    for series in study.series:
        outcome = _read(series)
        if isinstance(outcome, Placed):
            placed.append(outcome)
            note = outcome.reading.note
            uses[series.series_instance_uid] = series.use(not note, note or READ)
        else:
            uses[series.series_instance_uid] = series.use(False, outcome)
    read_ms = _ms_since(wall) - loaded_ms
    if not any(use.used for use in uses.values()):
        raise NotAnalysableError(_nothing_read(list(uses.values())))
    findings = findings_from(without_flow_voids(answered(placed)), level_map(placed))
    timings = {
        "load": loaded_ms,
        "read": read_ms,
        "total": _ms_since(wall),
        "cpu": round((time.process_time() - cpu) * 1000, 1),
    }
    return result_for(study.study_instance_uid or "", findings, list(uses.values()), timings)


def _read(series: LoadedSeries) -> Placed | str:
    reader = reader_for(series.modality, series.plane, series.weighting)
    if reader is None:  # the loader was told to decode only what a reader exists for
        return "no reader for this kind of series"
    try:
        canonical = series.volume.canonical()
        return Placed(series, canonical, reader(canonical, series.weighting))
    except Exception as error:  # one series' failure must not cost the study
        log.exception(
            "series_reading_failed", series=series.series_instance_uid, error=type(error).__name__
        )
        return f"reading failed ({type(error).__name__})"


def _declined(use: SeriesUse) -> SeriesUse:
    if use.reason != NOT_WANTED:
        return use
    kind = " ".join(str(part) for part in (use.modality, use.plane, use.weighting) if part)
    return use.model_copy(update={"used": False, "reason": f"not read: no reader for {kind}"})


def _nothing_read(uses: list[SeriesUse]) -> str:
    reasons = "; ".join(f"{use.description or 'a series'}: {use.reason}" for use in uses)
    return f"nothing analysable in the study: {reasons}"


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
