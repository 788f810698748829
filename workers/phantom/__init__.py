"""Synthetic spine MR and CT studies with ground truth, for testing and scoring the analysis.

``case_for(seed)`` draws a case, ``named_case(name)`` builds one of the clinical cases,
``write_case(spec, case_dir)`` renders and writes it (``case_dir/dicom/`` and
``case_dir/truth.json``), ``truth_of(spec)`` gives its truth without rendering, and
``generate(seed, out_dir)`` draws and writes into ``out_dir/<case_id>``."""

from __future__ import annotations

from pathlib import Path

from workers.phantom.case_spec import CaseSpec
from workers.phantom.cases import case_for
from workers.phantom.named import NAMED_CASES, named_case
from workers.phantom.truth import StudyTruth
from workers.phantom.writer import truth_of, write_case

__all__ = [
    "NAMED_CASES",
    "CaseSpec",
    "case_for",
    "generate",
    "named_case",
    "truth_of",
    "write_case",
]


def generate(seed: int, out_dir: Path) -> StudyTruth:
    """Draw the case of ``seed`` and write it into ``out_dir/<case_id>``."""
    spec = case_for(seed)
    return write_case(spec, out_dir / spec.case_id)
