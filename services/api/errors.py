"""Every refusal is JSON with a ``detail`` message: the store's errors, bad input, and Redis
being unreachable each get their status here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from services.api.schemas import Problem, ValidationProblem
from spinetriage.logs import get_logger
from spinetriage.worklist import ClaimedByOtherError, NothingToDismissError, StudyNotFoundError

log = get_logger(__name__)

# The error responses routes declare, so that the schema shows what clients will get.
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": Problem}}
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"model": Problem}}
INVALID: dict[int | str, dict[str, Any]] = {422: {"model": ValidationProblem}}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {503: {"model": Problem}}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StudyNotFoundError, _study_not_found)
    app.add_exception_handler(ClaimedByOtherError, _claimed_by_other)
    app.add_exception_handler(NothingToDismissError, _nothing_to_dismiss)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(RedisError, _redis_unavailable)
    # Starlette still logs the exception (with its traceback) after this answer.
    app.add_exception_handler(Exception, _unexpected)


def problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse(Problem(detail=detail).model_dump(), status_code=status)


async def _study_not_found(_request: Request, _exc: Exception) -> JSONResponse:
    return problem(404, "no study with this study instance UID is on the worklist")


async def _claimed_by_other(_request: Request, exc: Exception) -> JSONResponse:
    return problem(409, f"the study is {exc}")


async def _nothing_to_dismiss(_request: Request, exc: Exception) -> JSONResponse:
    return problem(409, str(exc))


async def _invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    body = ValidationProblem(detail=validation_message(errors), errors=jsonable_encoder(errors))
    return JSONResponse(body.model_dump(), status_code=422)


async def _redis_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("worklist_store_unavailable", path=request.url.path, error=type(exc).__name__)
    return problem(503, "the worklist store (Redis) is not answering; try again shortly")


async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
    return problem(500, "unexpected server error; it has been logged")


def validation_message(errors: Sequence[dict[str, Any]]) -> str:
    """One line per error, naming where it is: "query.status: Input should be ..."."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in errors
    )
