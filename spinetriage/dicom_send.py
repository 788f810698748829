"""``spinetriage send PATH``: C-STORE every DICOM file under a folder to a DICOM node, one
association, each file sent as stored (no transcoding), as a PACS forwarding a study would.

Files that are not DICOM are skipped and counted; an instance the node refuses is reported with
its status, and the rest are still sent."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import dcmread
from pydicom.errors import InvalidDicomError
from pynetdicom import AE
from pynetdicom.presentation import build_context

from spinetriage.commands import Command
from spinetriage.config import Settings
from spinetriage.logs import configure_logging

# A requestor may propose at most 128 presentation contexts in one association.
MAX_CONTEXTS = 128
SUCCESS = 0x0000
WARNING_STATUSES = frozenset({0x0001, 0xB000, 0xB006, 0xB007})


@dataclass(frozen=True)
class _Instance:
    path: Path
    sop_class_uid: str
    transfer_syntax_uid: str


@dataclass
class SendReport:
    sent: int = 0
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, int]] = field(default_factory=list)
    last_response_at: float = 0.0  # seconds since the epoch

    @property
    def ok(self) -> bool:
        return not self.failed


class AssociationRefusedError(Exception):
    """The node refused or did not answer the association; the message says which."""


def dicom_files(folder: Path) -> tuple[list[_Instance], list[Path]]:
    """The DICOM instances under ``folder`` in path order, and the files that are not DICOM."""
    instances, skipped = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            header = dcmread(path, stop_before_pixels=True)
            instances.append(
                _Instance(path, str(header.SOPClassUID), str(header.file_meta.TransferSyntaxUID))
            )
        except (InvalidDicomError, AttributeError, OSError):
            skipped.append(path)
    return instances, skipped


def send_folder(
    folder: Path, host: str, port: int, called_ae: str, calling_ae: str = "SPINETRIAGE-SCU"
) -> SendReport:
    """Send every DICOM file under ``folder`` in one association (more when the study holds
    more kinds of instance than one association can carry)."""
    instances, skipped = dicom_files(folder)
    report = SendReport(skipped=skipped)
    ae = AE(ae_title=calling_ae)
    for batch in _batches(instances):
        _send_batch(ae, batch, (host, port, called_ae), report)
    return report


def _batches(instances: list[_Instance]) -> Iterable[list[_Instance]]:
    """Consecutive runs of instances whose (SOP class, transfer syntax) pairs fit one
    association's presentation contexts."""
    batch: list[_Instance] = []
    kinds: set[tuple[str, str]] = set()
    for instance in instances:
        kind = (instance.sop_class_uid, instance.transfer_syntax_uid)
        if kind not in kinds and len(kinds) == MAX_CONTEXTS:
            yield batch
            batch, kinds = [], set()
        kinds.add(kind)
        batch.append(instance)
    if batch:
        yield batch


def _send_batch(
    ae: AE, batch: list[_Instance], node: tuple[str, int, str], report: SendReport
) -> None:
    host, port, called_ae = node
    kinds = sorted({(i.sop_class_uid, i.transfer_syntax_uid) for i in batch})
    ae.requested_contexts = [build_context(sop, [syntax]) for sop, syntax in kinds]
    assoc = ae.associate(host, port, ae_title=called_ae)
    if not assoc.is_established:
        raise AssociationRefusedError(f"{called_ae}@{host}:{port} refused or did not answer")
    try:
        for instance in batch:
            status = assoc.send_c_store(instance.path)
            code = int(status.Status) if "Status" in status else -1
            report.last_response_at = time.time()
            if code == SUCCESS or code in WARNING_STATUSES:
                report.sent += 1
            else:
                report.failed.append((instance.path, code))
    finally:
        assoc.release()


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="folder of DICOM files (searched recursively)")
    parser.add_argument("--host", default="127.0.0.1", help="the node's host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="the node's port (default: this service's)")
    parser.add_argument("--aec", help="the node's AE title (default: this service's)")
    parser.add_argument("--aet", default="SPINETRIAGE-SCU", help="our AE title")


def run(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level, settings.log_format)
    if not args.path.is_dir():
        print(f"spinetriage send: {args.path} is not a folder", file=sys.stderr)
        return 2
    port = args.port or settings.dicom_port
    called = args.aec or settings.dicom_ae_title
    try:
        report = send_folder(args.path, args.host, port, called, args.aet)
    except AssociationRefusedError as refused:
        print(f"spinetriage send: {refused}", file=sys.stderr)
        return 1
    print(f"sent {report.sent} instances to {called}@{args.host}:{port}")
    if report.skipped:
        print(f"skipped {len(report.skipped)} files that are not DICOM")
    for path, code in report.failed:
        print(f"refused with status 0x{code:04X}: {path}", file=sys.stderr)
    return 0 if report.ok else 1


COMMAND = Command(
    help="C-STORE a folder of DICOM files to a DICOM node (by default this service)",
    run=run,
    configure=configure,
)
