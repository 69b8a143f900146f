"""Refused token requests as problem+json that OAuth2 clients also understand.

The chassis's problem handler writes `type`, `title`, `status`, `detail`; OAuth2 clients read the
RFC 6749 §5.2 `error` code, so this handler adds it (and `Cache-Control: no-store`).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from bazaar_chassis.problems import problem_response
from bazaar_identity.domain import InvalidClient, TokenRequestRejected

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def on_token_request_rejected(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TokenRequestRejected)
    headers = dict(NO_STORE)
    if isinstance(exc, InvalidClient):
        headers["WWW-Authenticate"] = 'Basic realm="bazaar-identity"'
    return problem_response(
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        slug=exc.type_slug,
        request=request,
        extra={"error": exc.error},
        headers=headers,
    )
