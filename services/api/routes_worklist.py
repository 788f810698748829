"""Reading the worklist: the list in display order, one study, and a finding's key image."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from services.api.errors import INVALID, NOT_FOUND, UNAUTHORIZED, problem
from services.api.schemas import KeptDismissal, Problem, StudyDetail, WorklistPage
from spinetriage.triage import Priority
from spinetriage.worklist import StudyNotFoundError, WorklistStore
from spinetriage.worklist_item import Status

# The store is read this far down before filtering; the page never shows more.
SCAN_LIMIT = 2000
DEFAULT_LIMIT = 500
MAX_FINDINGS = 64
UID_MAX_CHARS = 128

StudyUid = Annotated[str, Path(min_length=1, max_length=UID_MAX_CHARS)]


def worklist_router(store: WorklistStore, dependencies: list[Any]) -> APIRouter:
    """The list and one study."""
    router = APIRouter(
        prefix="/api/v1",
        tags=["worklist"],
        dependencies=dependencies,
        responses={**UNAUTHORIZED, **INVALID},
    )

    @router.get("/worklist", response_model=WorklistPage)
    def worklist(
        status: Annotated[list[Status] | None, Query(description="repeatable")] = None,
        priority: Annotated[list[Priority] | None, Query(description="repeatable")] = None,
        limit: Annotated[int, Query(ge=1, le=SCAN_LIMIT)] = DEFAULT_LIMIT,
    ) -> WorklistPage:
        """Every study in display order: most urgent first, oldest first within a priority."""
        items = [
            item
            for item in store.items(limit=SCAN_LIMIT)
            if (not status or item.status in status) and (not priority or item.priority in priority)
        ]
        return WorklistPage(items=items[:limit])

    @router.get("/studies/{study_instance_uid}", response_model=StudyDetail, responses=NOT_FOUND)
    def study(study_instance_uid: StudyUid) -> StudyDetail:
        """One study with its findings and every dismissal of its flags."""
        item = store.item_or_raise(study_instance_uid)
        kept = [KeptDismissal.model_validate(raw) for raw in store.dismissals(study_instance_uid)]
        return StudyDetail(**item.model_dump(), dismissals=tuple(kept))

    return router


def key_image_router(store: WorklistStore, dependencies: list[Any]) -> APIRouter:
    """Each finding's key image, as PNG."""
    router = APIRouter(
        prefix="/api/v1",
        tags=["worklist"],
        dependencies=dependencies,
        responses={**UNAUTHORIZED, **INVALID},
    )

    @router.get(
        "/studies/{study_instance_uid}/key-images/{finding_index}",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}, 404: {"model": Problem}},
    )
    def key_image(
        study_instance_uid: StudyUid,
        finding_index: Annotated[int, Path(ge=0, lt=MAX_FINDINGS)],
    ) -> Response:
        """The PNG of the slice that shows the finding best (findings counted from 0)."""
        png = store.key_image(study_instance_uid, finding_index)
        if png is None:
            if store.item(study_instance_uid) is None:
                raise StudyNotFoundError(study_instance_uid)
            return problem(404, f"the study has no key image for finding {finding_index}")
        return Response(png, media_type="image/png")

    return router
