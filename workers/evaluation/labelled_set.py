"""The labelled set the heuristics are scored on: synthetic studies from fixed seeds that no
threshold was tuned on (tuning used seeds below ``FIRST_SEED``).

The set is written once into a cache folder and reused; a fingerprint of the generator's source
beside it makes a changed generator write the set afresh rather than score stale studies."""

from __future__ import annotations

import hashlib
import multiprocessing
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import workers.phantom
from workers.phantom import case_for, write_case
from workers.phantom.truth import TRUTH_FILE, StudyTruth

FIRST_SEED = 900_000
SIZE = 100
FINGERPRINT_FILE = "generator.sha256"


def seeds(size: int = SIZE, first: int = FIRST_SEED) -> range:
    return range(first, first + size)


def generator_fingerprint() -> str:
    """Digest of the generator's source files: the cases a seed yields depend on nothing else."""
    digest = hashlib.sha256()
    package = Path(workers.phantom.__file__).parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_set(
    folder: Path,
    size: int = SIZE,
    jobs: int = 1,
    first_seed: int = FIRST_SEED,
    progress: Callable[[StudyTruth], None] | None = None,
) -> list[Path]:
    """Case folders of the set under ``folder``, writing those missing (all of them when the
    generator changed since they were written), ``jobs`` at a time. Another ``first_seed``
    makes a tuning set of the same kind."""
    fingerprint = generator_fingerprint()
    marker = folder / FINGERPRINT_FILE
    if marker.exists() and marker.read_text().strip() != fingerprint:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(fingerprint + "\n")
    cases = {seed: folder / case_for(seed).case_id for seed in seeds(size, first_seed)}
    missing = [seed for seed, case_dir in cases.items() if not (case_dir / TRUTH_FILE).exists()]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for truth in pool.map(_write, missing, [folder] * len(missing)):
            if progress is not None:
                progress(truth)
    return list(cases.values())


def _write(seed: int, folder: Path) -> StudyTruth:
    """Write one case afresh; its truth is written last, so a case with truth is complete."""
    spec = case_for(seed)
    shutil.rmtree(folder / spec.case_id, ignore_errors=True)
    return write_case(spec, folder / spec.case_id)
