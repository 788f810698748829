"""Where the spool keeps a study: ``<root>/<study UID>/<series UID>/<SOP instance UID>.dcm``.

The listener writes this layout and the workers read it; both ask here. UIDs are checked by the
listener before they name a path (digits and dots only), so they cannot leave the spool."""

from __future__ import annotations

from pathlib import Path

INSTANCE_SUFFIX = ".dcm"


def study_dir(root: Path, study_uid: str) -> Path:
    """The folder holding every series of one study."""
    return root / study_uid


def instance_path(root: Path, study_uid: str, series_uid: str, sop_uid: str) -> Path:
    """The file of one instance."""
    return study_dir(root, study_uid) / series_uid / f"{sop_uid}{INSTANCE_SUFFIX}"
