"""The radiologists' actions on one study: claim, release, mark read, dismiss the flag.

Each answers the updated item. A study another radiologist holds is theirs: reading or
dismissing it is refused like claiming it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.api.errors import CONFLICT, INVALID, NOT_FOUND, UNAUTHORIZED
from services.api.routes_worklist import StudyUid
from services.api.schemas import DismissAction, UserAction
from spinetriage.logs import get_logger
from spinetriage.metrics import ApiMetrics
from spinetriage.worklist import WorklistStore
from spinetriage.worklist_item import WorklistItem

log = get_logger(__name__)


def actions_router(store: WorklistStore, metrics: ApiMetrics, dependencies: list[Any]) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1/studies/{study_instance_uid}",
        tags=["actions"],
        dependencies=dependencies,
        responses={**UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
    )

    def done(action: str, study_uid: str, user: str, item: WorklistItem) -> WorklistItem:
        metrics.actions.labels(action).inc()
        log.info("worklist_action", action=action, study=study_uid, user=user)
        return item

    @router.post("/claim", response_model=WorklistItem)
    def claim(study_instance_uid: StudyUid, body: UserAction) -> WorklistItem:
        """Take the study to read it; 409 when another radiologist holds it."""
        item = store.claim(study_instance_uid, body.user)
        return done("claim", study_instance_uid, body.user, item)

    @router.post("/release", response_model=WorklistItem)
    def release(study_instance_uid: StudyUid, body: UserAction) -> WorklistItem:
        """Give the study back to the list; 409 when another radiologist holds it."""
        item = store.release(study_instance_uid, body.user)
        return done("release", study_instance_uid, body.user, item)

    @router.post("/read", response_model=WorklistItem)
    def read(study_instance_uid: StudyUid, body: UserAction) -> WorklistItem:
        """Mark the study read; the claim ends with it; 409 when another radiologist holds it."""
        item = store.mark_read(study_instance_uid, body.user)
        return done("read", study_instance_uid, body.user, item)

    @router.post("/dismiss", response_model=WorklistItem)
    def dismiss(study_instance_uid: StudyUid, body: DismissAction) -> WorklistItem:
        """Say the flag is wrong and why: the study drops to routine and the dismissal is kept;
        409 when there is no finding to dismiss or another radiologist holds the study."""
        item = store.dismiss(study_instance_uid, body.user, body.reason)
        return done("dismiss", study_instance_uid, body.user, item)

    return router
