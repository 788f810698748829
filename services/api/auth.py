"""The bearer token: every radiologist's action needs it, and reading the worklist does too
unless the listing is opened to the (trusted) network."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from spinetriage.config import Settings, SettingsError


def api_token(settings: Settings) -> str:
    """The configured token; refusing to start without one."""
    token = settings.api_token.get_secret_value() if settings.api_token is not None else ""
    if not token.strip():
        raise SettingsError(
            "SPINETRIAGE_API_TOKEN: not set; the radiologists' actions need a bearer token "
            "(`spinetriage up` generates one for you)"
        )
    return token


class TokenCheck:
    """A dependency that answers 401 unless the request carries the token."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    def __call__(
        self,
        credentials: Annotated[
            HTTPAuthorizationCredentials | None,
            Depends(HTTPBearer(auto_error=False, description="SPINETRIAGE_API_TOKEN")),
        ],
    ) -> None:
        given = credentials.credentials.encode() if credentials is not None else b""
        if not secrets.compare_digest(given, self._token):
            raise HTTPException(
                status_code=401,
                detail="a valid bearer token is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )


def action_access(check: TokenCheck) -> list[Any]:
    return [Depends(check)]


def listing_access(settings: Settings, check: TokenCheck) -> list[Any]:
    """Reading needs the token unless ``api_open_listing`` is set."""
    return [] if settings.api_open_listing else [Depends(check)]
