"""``spinetriage demo``: send a few synthetic studies to the running service, so a new user sees
the worklist at work: two studies without a finding first, then the thalassemia case of the
clinical reports (lobulated epidural masses T3-T8 compressing the cord, with paraspinal masses),
which rises above them as critical.

The studies are written once into ``<data dir>/demo`` and reused."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spinetriage.commands import Command
from spinetriage.config import Settings
from spinetriage.dicom_send import AssociationRefusedError, send_folder
from spinetriage.logs import configure_logging
from workers.phantom.case_spec import CaseSpec
from workers.phantom.cases import case_for
from workers.phantom.named import named_case
from workers.phantom.truth import DICOM_DIR, TRUTH_FILE, StudyTruth
from workers.phantom.writer import write_case

# Lumbar and thoracic MR without a finding (seeds of the tuning range), then the critical case.
ROUTINE_SEEDS = (5033, 5053)
CRITICAL_CASE = "thalassemia_t3_t8"


def demo_specs() -> list[CaseSpec]:
    return [*(case_for(seed) for seed in ROUTINE_SEEDS), named_case(CRITICAL_CASE)]


def written(spec: CaseSpec, root: Path) -> StudyTruth:
    """The case's folder under ``root``, written unless a previous demo left it complete."""
    folder = root / spec.case_id
    if (folder / TRUTH_FILE).is_file():
        return StudyTruth.read(folder)
    return write_case(spec, folder)


def truth_dicom(root: Path, spec: CaseSpec) -> Path:
    return root / spec.case_id / DICOM_DIR


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="the listener's host")
    parser.add_argument("--port", type=int, help="the listener's port (default: the setting)")
    parser.add_argument("--out", type=Path, help="where the studies are kept (<data dir>/demo)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Writing the studies logs every encoded frame at info; the demo's own lines say enough.
    configure_logging("warning", settings.log_format)
    root = args.out or settings.data_dir / "demo"
    port = args.port or settings.dicom_port
    for spec in demo_specs():
        truth = written(spec, root)
        try:
            report = send_folder(truth_dicom(root, spec), args.host, port, settings.dicom_ae_title)
        except AssociationRefusedError as refused:
            print(f"spinetriage demo: {refused}; is `spinetriage up` running?", file=sys.stderr)
            return 1
        made = truth.priority
        print(f"sent {spec.case_id} ({truth.modality}, {report.sent} instances), made {made}")
    print("Open the worklist page: the critical study rises to the top once it is analysed.")
    return 0


COMMAND = Command(
    help="send a few synthetic studies to the running service (one of them critical)",
    run=run,
    configure=configure,
)
