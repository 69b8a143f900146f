"""Refuses every API request that does not carry a valid gateway assertion for exactly this
request: this service, this method, this path and query, not seen before (pure ASGI).

Health, readiness, metrics and the OpenAPI document stay open: orchestrators and scrapers call
them directly, and they reveal no business data.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bazaar_chassis.caller import IDENTITY_HEADER, AssertionVerifier
from bazaar_chassis.errors import DomainError
from bazaar_chassis.problems import problem_response

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
            refusal = problem_response(
                status=exc.status, title=exc.title, detail=exc.detail, slug=exc.type_slug
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
