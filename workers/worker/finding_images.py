"""The key image of every finding of a result, drawn from the study's files.

A key image is an extra: one that cannot be drawn is left out (and logged), never worth the
result it illustrates."""

from __future__ import annotations

from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded

from spinetriage.levels import level_span
from spinetriage.logs import get_logger
from spinetriage.triage import Finding, TriageResult
from workers.key_images import KeyImageText, render_key_image
from workers.loading.key_frame import HeadSide, key_frame

log = get_logger(__name__)


def key_images_for(folder: Path, result: TriageResult) -> dict[int, bytes]:
    """PNG per finding index, for the findings whose key image could be drawn."""
    modalities = {use.series_instance_uid: use.modality for use in result.series}
    images: dict[int, bytes] = {}
    for index, finding in enumerate(result.findings):
        try:
            images[index] = _draw(folder, finding, modalities.get(finding.series_instance_uid))
        except SoftTimeLimitExceeded:
            raise
        # Whatever spoils one picture (a file gone, an odd frame) must not cost the result.
        except Exception as error:
            log.warning(
                "key_image_failed",
                study=result.study_instance_uid,
                finding=index,
                error=type(error).__name__,
            )
    return images


def _draw(folder: Path, finding: Finding, modality: str | None) -> bytes:
    key = finding.key_image
    if key.sop_instance_uid is None:
        raise LookupError("the key image names no instance")
    frame = key_frame(folder, key.sop_instance_uid, key.frame_number)
    text = _text(finding, frame.head)
    return render_key_image(frame.pixels, key.bbox, text, hounsfield=modality == "CT")


def _text(finding: Finding, head: HeadSide) -> KeyImageText:
    """Levels at the box's edges where the image runs head to foot, the upper level on the
    head's side; on an axial image the span beside the box's top edge."""
    upper, lower, caption = finding.from_level, finding.to_level, finding.summary()
    if head == "top":
        return KeyImageText(upper, lower, caption)
    if head == "bottom":
        return KeyImageText(lower, upper, caption)
    return KeyImageText(level_span(upper, lower), None, caption)
