"""What the API reads and answers besides the worklist item itself (``WorklistItem``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from spinetriage.triage import Finding, Priority
from spinetriage.worklist_item import WorklistItem

USER_MAX_CHARS = 64
REASON_MAX_CHARS = 500

# A name shown on every screen: one line, no control characters.
UserName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=USER_MAX_CHARS,
        pattern=r"^[^\x00-\x1f\x7f]+$",
    ),
]
# A reason may span lines, but carries no other control character.
Reason = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=REASON_MAX_CHARS,
        pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+$",
    ),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UserAction(_Body):
    """Who claims, releases or reads the study."""

    user: UserName


class DismissAction(_Body):
    """Who says the flag is wrong, and why."""

    user: UserName
    reason: Reason


class WorklistPage(BaseModel):
    items: list[WorklistItem]


class KeptDismissal(BaseModel):
    """One dismissal of the study's flag, with the priority and findings it dismissed."""

    by: str
    reason: str
    at: datetime
    priority: Priority
    findings: tuple[Finding, ...] = ()


class StudyDetail(WorklistItem):
    """The worklist item with every dismissal of its flags, oldest first."""

    dismissals: tuple[KeptDismissal, ...] = ()


class Problem(BaseModel):
    """Why a request was refused, in words."""

    detail: str


class ValidationProblem(Problem):
    """A request with bad input: the message, and each error in pydantic's shape."""

    errors: list[dict[str, Any]]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "degraded", "unavailable"]
    detail: str = ""
    failed: list[Literal["redis", "workers"]] = []  # the checks that failed
