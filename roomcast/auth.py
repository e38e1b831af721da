"""Who may do what over HTTP: the show's creator proves it with a creator token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from roomcast.tokens import InvalidToken, verify

bearer = HTTPBearer(auto_error=False, description="A creator token from `roomcast token creator SLUG`.")


def creator_claims(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> dict:
    if credentials is None:
        raise HTTPException(401, "a creator token is needed (Authorization: Bearer …)", {"WWW-Authenticate": "Bearer"})
    try:
        return verify(credentials.credentials, "creator")
    except InvalidToken as error:
        raise HTTPException(401, str(error), {"WWW-Authenticate": "Bearer"}) from error


def require_creator_of(show_slug: str, claims: dict) -> None:
    if claims.get("show") != show_slug:
        raise HTTPException(403, f"this token does not manage show {show_slug!r}")


CreatorClaims = Annotated[dict, Depends(creator_claims)]
