"""Analysis benchmark: CPU time and peak memory to analyse one study, on one core.

Two synthetic studies of the sizes the targets name: an MR study of three sagittal series (T2,
T1, STIR) of 16 slices at 512x512, and a CT study of 248 axial slices at 512x512. Each run is a
fresh process (imports excluded from the timing, loading included), with the numeric libraries
held to one thread; the figures are the median and worst CPU time over the runs and the
process's peak resident memory."""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from spinetriage.logs import configure_logging
from workers.analysis.study import analyze_folder
from workers.evaluation.runner import ONE_CORE
from workers.phantom import generate

RUNS = 5
# Seeds (outside the labelled set) whose studies have the sizes the targets name.
STUDIES = {
    "MR, 3 sagittal series x 16 slices, 512x512": 1011,
    "CT, 248 axial slices, 512x512": 1032,
}
TARGETS_S = {"MR": 1.0, "CT": 3.0}
PEAK_TARGET_MB = 1024.0


@dataclass(frozen=True)
class Run:
    cpu_s: float
    wall_s: float
    peak_mb: float


def analyse_once(folder: Path) -> Run:
    """In a fresh process: analyse the study, report its CPU time and the process's peak memory."""
    configure_logging("warning")
    wall, cpu = time.perf_counter(), time.process_time()
    analyze_folder(folder)
    return Run(
        cpu_s=time.process_time() - cpu,
        wall_s=time.perf_counter() - wall,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def main() -> int:
    os.environ.update(ONE_CORE)  # inherited by the analysing processes
    context = multiprocessing.get_context("spawn")
    print(f"analysis benchmark (one core, {RUNS} fresh processes per study)")
    missed = False
    with tempfile.TemporaryDirectory(prefix="spinetriage-bench-") as scratch:
        for label, seed in STUDIES.items():
            truth = generate(seed, Path(scratch))
            folder = Path(scratch) / truth.case_id / "dicom"
            with ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=1) as pool:
                runs = list(pool.map(analyse_once, [folder] * RUNS))
            cpu = [run.cpu_s for run in runs]
            target = TARGETS_S[label[:2]]
            peak = max(run.peak_mb for run in runs)
            missed |= max(cpu) > target or peak > PEAK_TARGET_MB
            print(
                f"  {label}: CPU median {statistics.median(cpu):.2f} s, max {max(cpu):.2f} s "
                f"(target <= {target:.0f} s); wall median "
                f"{statistics.median(r.wall_s for r in runs):.2f} s; peak memory {peak:.0f} MB"
            )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
