"""Each study of the labelled set analysed in a process of its own, so that its CPU time and
peak memory are its alone; ``jobs`` studies at a time."""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from spinetriage.logs import configure_logging
from workers.analysis.study import NotAnalysableError, analyze_folder
from workers.evaluation.scoring import Scored
from workers.phantom.truth import DICOM_DIR, StudyTruth

ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def analyse_all(
    cases: Sequence[Path], jobs: int, progress: Callable[[Scored], None] | None = None
) -> list[Scored]:
    os.environ.update(ONE_CORE)  # inherited by the analysing processes: CPU time on one core
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_quiet, max_tasks_per_child=1
    ) as pool:
        scored = []
        for item in pool.map(analyse_case, cases):
            if progress is not None:
                progress(item)
            scored.append(item)
    return scored


def analyse_case(case_dir: Path) -> Scored:
    truth = StudyTruth.read(case_dir)
    started = time.process_time()
    try:
        result = analyze_folder(case_dir / DICOM_DIR)
    except NotAnalysableError:
        result = None
    cpu_s = time.process_time() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Scored(truth=truth, result=result, cpu_s=cpu_s, peak_rss_mb=peak_mb)


def _quiet() -> None:
    configure_logging("warning")
