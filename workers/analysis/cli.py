"""``spinetriage analyze PATH``: analyse a folder of DICOM files offline and print the result.

With ``--json`` the result is printed in the contract's shape; a folder with nothing
analysable prints ``{"error": ..., "message": ...}`` and exits 1. Without it, a short summary
a person reads."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from spinetriage.commands import Command
from spinetriage.config import Settings
from spinetriage.logs import configure_logging
from spinetriage.triage import TriageResult
from workers.analysis.study import NotAnalysableError, analyze_folder

NOT_ANALYSABLE = "not_analysable"
EXIT_DECLINED = 1
EXIT_USAGE = 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="folder of DICOM files (searched recursively)")
    parser.add_argument(
        "--json", action="store_true", help="print the result as the contract's JSON"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level, settings.log_format)
    if not args.path.is_dir():
        return _declined(args.json, "path_not_found", f"{args.path} is not a folder", EXIT_USAGE)
    try:
        result = analyze_folder(args.path)
    except NotAnalysableError as declined:
        return _declined(args.json, NOT_ANALYSABLE, str(declined), EXIT_DECLINED)
    print(result.model_dump_json(indent=2) if args.json else summary(result))
    return 0


def summary(result: TriageResult) -> str:
    lines = [f"{result.priority.upper()}  suspected compression: {result.suspected_compression}"]
    lines += [f"  {f.summary()} (confidence {f.confidence:.2f})" for f in result.findings] or [
        "  no finding"
    ]
    lines += [
        f"  series {use.description or use.series_instance_uid}: "
        f"{'used' if use.used else 'not used'} ({use.reason})"
        for use in result.series
    ]
    lines.append(f"  {result.timings_ms.get('cpu', 0):.0f} ms CPU")
    return "\n".join(lines)


def _declined(as_json: bool, error: str, message: str, code: int) -> int:
    if as_json:
        print(json.dumps({"error": error, "message": message}))
    else:
        print(f"spinetriage analyze: {message}", file=sys.stderr)
    return code


COMMAND = Command(
    help="analyse a folder of DICOM files offline and print the triage result",
    run=run,
    configure=configure,
)
