"""``spinetriage eval``: score the heuristics on the labelled set and print the figures.

The set (seeds from ``labelled_set.FIRST_SEED``) is written into a cache folder the first time
and reused; each study is analysed in a process of its own for its CPU time and peak memory.
Exits 1 when a figure misses its target."""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Sequence
from pathlib import Path

from spinetriage.commands import Command
from spinetriage.config import Settings
from spinetriage.levels import level_span
from workers.evaluation import labelled_set
from workers.evaluation.runner import analyse_all
from workers.evaluation.scoring import (
    GRADE_CLASSES,
    Report,
    Scored,
    grade_class,
    matching_finding,
    score,
)

TARGETS = {
    "sensitivity": 0.95,
    "specificity": 0.95,
    "extent within one level": 0.90,
    "kappa": 0.80,
}
MR_CPU_TARGET_S = 1.0
CT_CPU_TARGET_S = 3.0
CT_PEAK_TARGET_MB = 1024.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=_default_cache(),
        help="folder for the labelled set (written once, reused; default %(default)s)",
    )
    parser.add_argument(
        "--size", type=int, default=labelled_set.SIZE, help="studies (default %(default)s)"
    )
    parser.add_argument(
        "--first-seed",
        type=int,
        default=labelled_set.FIRST_SEED,
        help="another first seed makes a tuning set instead (default %(default)s)",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="studies at a time (default: cores)"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="only the figures, not every study's line"
    )


def run(args: argparse.Namespace, _settings: Settings) -> int:
    last = args.first_seed + args.size - 1
    print(f"labelled set in {args.data} (seeds {args.first_seed}-{last})", flush=True)
    cases = labelled_set.ensure_set(
        args.data,
        args.size,
        args.jobs,
        args.first_seed,
        progress=lambda t: print(f"  wrote {t.case_id}", flush=True),
    )
    scored = analyse_all(cases, args.jobs, progress=None if args.quiet else _print_case)
    report = score(scored)
    lines, missed = figures(scored, report)
    print("\n".join(lines))
    return 1 if missed else 0


def figures(scored: Sequence[Scored], report: Report) -> tuple[list[str], list[str]]:
    """The printed report, and the names of the targets it misses."""
    missed: list[str] = []

    def check(name: str, value: float | None) -> str:
        target = TARGETS[name]
        ok = value is not None and value >= target
        if not ok:
            missed.append(name)
        return f"target >= {target:.2f} {'met' if ok else 'MISSED'}"

    positives = sum(s.truth.suspected_compression for s in scored)
    negatives = len(scored) - positives
    modalities = {m: sum(s.truth.modality == m for s in scored) for m in ("MR", "CT")}
    lines = [
        "",
        f"studies: {len(scored)} ({modalities['MR']} MR, {modalities['CT']} CT); "
        f"{positives} with suspected compression, {negatives} negatives or distractors "
        f"({negatives / max(len(scored), 1):.0%})",
        f"suspected compression  sensitivity {report.sensitivity}  "
        + check("sensitivity", report.sensitivity.value),
        f"                       specificity {report.specificity}  "
        + check("specificity", report.specificity.value),
        "detection per compartment: "
        + ", ".join(f"{name} {value}" for name, value in report.detection.items()),
        "studies without a mass given one, per compartment: "
        + ", ".join(f"{name} {value}" for name, value in report.false_findings.items()),
        f"level extent where an anchor is in view: exact {report.extent_exact}, "
        f"within one level {report.extent_within_one}  "
        + check("extent within one level", report.extent_within_one.value),
        f"levels left unnamed where no anchor is in view: {report.levels_withheld_without_anchor}",
        f"grade agreement, linear weighted kappa over {' / '.join(GRADE_CLASSES)}: "
        f"all studies {report.kappa:.3f}  " + check("kappa", report.kappa),
        f"                 studies with an epidural mass: {report.kappa_positives:.3f}",
        "confusion (rows truth, columns analysis): "
        + "; ".join(
            f"{GRADE_CLASSES[i]}: {' '.join(f'{n:3d}' for n in row)}"
            for i, row in enumerate(report.confusion)
        ),
    ]
    lines += _cost_lines(scored, missed)
    if missed:
        lines.append(f"MISSED: {', '.join(missed)}")
    return lines, missed


def _cost_lines(scored: Sequence[Scored], missed: list[str]) -> list[str]:
    lines = []
    for modality, target in (("MR", MR_CPU_TARGET_S), ("CT", CT_CPU_TARGET_S)):
        times = sorted(s.cpu_s for s in scored if s.truth.modality == modality)
        if not times:
            continue
        worst = times[-1]
        if worst > target:
            missed.append(f"{modality} CPU time")
        lines.append(
            f"CPU per {modality} study (one core, loading included): median "
            f"{statistics.median(times):.2f} s, max {worst:.2f} s (target <= {target:.0f} s)"
        )
    peaks = [s.peak_rss_mb for s in scored if s.truth.modality == "CT"]
    if peaks:
        if max(peaks) > CT_PEAK_TARGET_MB:
            missed.append("CT peak memory")
        lines.append(
            f"peak memory of a CT study's process: max {max(peaks):.0f} MB (target < 1 GiB)"
        )
    return lines


def _print_case(s: Scored) -> None:
    truth = s.truth
    expected = "; ".join(_truth_words(s)) or "nothing"
    if s.result is None:
        seen = "declined"
    else:
        seen = "; ".join(f.summary() for f in s.result.findings) or "nothing"
    flag = ""
    if truth.suspected_compression != bool(s.result and s.result.suspected_compression):
        flag = "  <-- MISSED" if truth.suspected_compression else "  <-- FALSE FLAG"
    elif grade_class(s.truth_worst) != grade_class(s.predicted_worst):
        flag = "  <-- grade class"
    print(
        f"{truth.case_id} {truth.modality} {truth.field_of_view:15} truth: {expected} | "
        f"analysis: {seen} | {s.cpu_s:.2f} s{flag}",
        flush=True,
    )


def _truth_words(s: Scored) -> list[str]:
    words = []
    for f in s.truth.findings:
        grade = f" Bilsky {f.bilsky_grade}" if f.bilsky_grade else ""
        found = s.result is not None and matching_finding(f, s.result.findings) is not None
        words.append(
            f"{f.type} {level_span(f.from_level, f.to_level)}{grade}{'' if found else ' (missed)'}"
        )
    return words


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "spinetriage" / "labelled-set"


COMMAND = Command(
    help="score the heuristics on the labelled set of synthetic studies",
    run=run,
    configure=configure,
)
