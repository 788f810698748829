"""Reading the header of every file in a study folder and grouping the files into series.

Headers are read once and without pixel data (``stop_before_pixels``); pixels are decoded later,
one file at a time, and only for series that pass every check."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import MediaStorageDirectoryStorage

NOT_DICOM = "not a DICOM file"
DICOMDIR = "DICOMDIR (an index of files, not an image)"
HIDDEN = "hidden file (temporary or system file)"
OTHER_STUDY = "belongs to another study"
NO_SOP_CLASS = "DICOM file without a SOP Class UID (empty or damaged)"


@dataclass(frozen=True)
class Instance:
    """One DICOM file: its header (no pixel data) and the identifiers the loader needs."""

    path: Path
    header: Dataset
    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str | None
    series_instance_uid: str


@dataclass(frozen=True)
class SeriesFiles:
    """The files of one series, in path order; ``series_instance_uid`` is "" when they carry
    none (such files are grouped by frame of reference, number, modality and description)."""

    series_instance_uid: str
    instances: list[Instance]

    @property
    def header(self) -> Dataset:
        return self.instances[0].header


@dataclass(frozen=True)
class FolderScan:
    study_instance_uid: str | None
    series: list[SeriesFiles]
    skipped_files: dict[str, int]


def scan_folder(folder: Path) -> FolderScan:
    """Every file under ``folder``, read as a header or skipped with a reason."""
    instances: list[Instance] = []
    skipped: Counter[str] = Counter()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            skipped[HIDDEN] += 1
            continue
        instance = read_instance(path)
        if isinstance(instance, str):
            skipped[instance] += 1
        else:
            instances.append(instance)
    study = _main_study(instances)
    kept = [instance for instance in instances if instance.study_instance_uid == study]
    if len(kept) < len(instances):
        skipped[OTHER_STUDY] += len(instances) - len(kept)
    return FolderScan(study, _group_series(kept), dict(skipped))


def read_instance(path: Path) -> Instance | str:
    """The file's header and identifiers, or why the file cannot be used."""
    try:
        header = dcmread(path, stop_before_pixels=True)
        meta = getattr(header, "file_meta", Dataset())
        # Some files leave SOP Class/Instance UID empty and keep them only in the file meta.
        sop_class = str(header.get("SOPClassUID") or meta.get("MediaStorageSOPClassUID") or "")
        sop_instance = str(
            header.get("SOPInstanceUID") or meta.get("MediaStorageSOPInstanceUID") or ""
        )
        study = str(header.get("StudyInstanceUID") or "") or None
        series = str(header.get("SeriesInstanceUID") or "")
    except InvalidDicomError:
        return NOT_DICOM
    # Malformed files raise whatever the parser meets first (EOFError, ValueError, struct.error,
    # ...); any of them means this one file is unusable, never that the study is.
    except Exception as error:
        return f"unreadable DICOM file ({type(error).__name__})"
    if not sop_class:
        return NO_SOP_CLASS
    if sop_class == MediaStorageDirectoryStorage:
        return DICOMDIR
    return Instance(path, header, sop_class, sop_instance, study, series)


def _main_study(instances: list[Instance]) -> str | None:
    """The study most files belong to; the others are reported, never mixed in."""
    counts = Counter(instance.study_instance_uid for instance in instances)
    if not counts:
        return None
    # Ties go to the smallest UID so that the same folder always gives the same answer.
    return min(counts, key=lambda study: (-counts[study], study or ""))


def _group_series(instances: list[Instance]) -> list[SeriesFiles]:
    groups: defaultdict[tuple[str, ...], list[Instance]] = defaultdict(list)
    for instance in instances:
        groups[_series_key(instance)].append(instance)
    series = [SeriesFiles(files[0].series_instance_uid, files) for files in groups.values()]
    return sorted(series, key=_series_order)


def _series_key(instance: Instance) -> tuple[str, ...]:
    if instance.series_instance_uid:
        return (instance.series_instance_uid,)
    header = instance.header
    return (
        "",
        str(header.get("FrameOfReferenceUID") or ""),
        str(header.get("SeriesNumber") or ""),
        str(header.get("Modality") or ""),
        str(header.get("SeriesDescription") or ""),
    )


def _series_order(series: SeriesFiles) -> tuple[int, str]:
    number = series.header.get("SeriesNumber")
    try:
        return (int(number), series.series_instance_uid)
    except (TypeError, ValueError):
        return (1 << 31, series.series_instance_uid)
