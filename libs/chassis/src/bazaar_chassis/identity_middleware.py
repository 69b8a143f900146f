"""Refuses every API request that does not carry a valid gateway assertion (pure ASGI).

Health, readiness, metrics and the OpenAPI document stay open: orchestrators and scrapers call
them directly, and they reveal no business data.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from bazaar_chassis.caller import IDENTITY_HEADER, AssertionVerifier
from bazaar_chassis.errors import Unauthorized
from bazaar_chassis.problems import PROBLEM_BASE_URI, PROBLEM_CONTENT_TYPE

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})
_HEADER = IDENTITY_HEADER.encode()


class GatewayIdentityMiddleware:
    def __init__(self, app: ASGIApp, *, verifier: AssertionVerifier) -> None:
        self.app = app
        self._verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        token = next((v.decode() for k, v in scope["headers"] if k == _HEADER), None)
        try:
            scope["bazaar.caller"] = self._verifier.verify(token)
        except Unauthorized as exc:
            await _refuse(send, exc.detail)
            return
        await self.app(scope, receive, send)


async def _refuse(send: Send, detail: str) -> None:
    body = orjson.dumps(
        {
            "type": PROBLEM_BASE_URI + "unauthorized",
            "title": "Unauthorized",
            "status": 401,
            "detail": detail,
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
