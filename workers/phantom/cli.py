"""``spinetriage phantom``: write synthetic studies with their ground truth.

``spinetriage phantom OUT --seed 7 --count 20`` writes ``OUT/<case_id>/dicom/...`` and
``OUT/<case_id>/truth.json`` for seeds 7..26 and prints one line per case; ``--case NAME``
writes a named clinical case instead (``--list`` shows them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spinetriage.commands import Command
from spinetriage.config import Settings
from spinetriage.levels import level_span
from workers.phantom.cases import case_for
from workers.phantom.named import NAMED_CASES, named_case
from workers.phantom.truth import StudyTruth, TruthFinding
from workers.phantom.writer import write_case


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, nargs="?", help="folder to write the cases into")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--count", type=int, default=1, help="how many seeds (default 1)")
    parser.add_argument(
        "--case", action="append", choices=sorted(NAMED_CASES), help="a named case (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="list the named cases and exit")


def run(args: argparse.Namespace, _settings: Settings) -> int:
    if args.list:
        for name, make in NAMED_CASES.items():
            print(f"{name:20} {_first_line(make.__doc__)}")
        return 0
    if args.out is None:
        print("spinetriage phantom: OUT is required (or --list)", file=sys.stderr)
        return 2
    if args.count < 1:
        print("spinetriage phantom: --count must be at least 1", file=sys.stderr)
        return 2
    names = args.case or []
    specs = (
        (named_case(n) for n in names)
        if names
        else (case_for(seed) for seed in range(args.seed, args.seed + args.count))
    )
    for spec in specs:
        truth = write_case(spec, args.out / spec.case_id)
        print(summary(truth), flush=True)
    return 0


def summary(truth: StudyTruth) -> str:
    """One line: case, modality, field of view (levels seen, anchor), findings."""
    seen = (
        level_span(truth.levels_in_view[0], truth.levels_in_view[-1])
        if truth.levels_in_view
        else "-"
    )
    view = f"{truth.field_of_view} {seen} anchor={truth.anchor or 'none'}"
    findings = "; ".join(_finding(f) for f in truth.findings) or "no finding"
    extra = f" [distractors: {', '.join(truth.distractors)}]" if truth.distractors else ""
    return f"{truth.case_id}  {truth.modality}  {view}  {truth.priority}: {findings}{extra}"


def _finding(f: TruthFinding) -> str:
    grade = f" Bilsky {f.bilsky_grade}" if f.bilsky_grade else ""
    return (
        f"{f.type} {level_span(f.from_level, f.to_level)} {f.side} {f.max_thickness_mm:g} mm{grade}"
    )


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc else ""


COMMAND = Command(
    help="write synthetic spine studies (DICOM) with their ground truth",
    run=run,
    configure=configure,
)
