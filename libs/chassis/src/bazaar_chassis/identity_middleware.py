"""Refuses every API request that does not carry a valid gateway assertion for exactly this
request: this service, this method, this path and query, not seen before (pure ASGI).

Health, readiness, metrics and the OpenAPI document stay open: orchestrators and scrapers call
them directly, and they reveal no business data.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from bazaar_chassis.caller import IDENTITY_HEADER, AssertionVerifier
from bazaar_chassis.contract import PROBLEM_CONTENT_TYPE
from bazaar_chassis.errors import DomainError
from bazaar_chassis.problems import PROBLEM_BASE_URI

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})
_HEADER = IDENTITY_HEADER.encode()


class GatewayIdentityMiddleware:
    def __init__(
        self, app: ASGIApp, *, verifier: AssertionVerifier, open_paths: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self._verifier = verifier
        self._open = OPEN_PATHS | open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._open:
            await self.app(scope, receive, send)
            return
        token = next((v.decode() for k, v in scope["headers"] if k == _HEADER), None)
        try:
            scope["bazaar.caller"] = self._verifier.verify(
                token,
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
            )
        except DomainError as exc:  # Unauthorized, or Unavailable when the replay cache is full
            await _refuse(send, exc)
            return
        await self.app(scope, receive, send)


async def _refuse(send: Send, error: DomainError) -> None:
    body = orjson.dumps(
        {
            "type": PROBLEM_BASE_URI + error.type_slug,
            "title": error.title,
            "status": error.status,
            "detail": error.detail,
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
