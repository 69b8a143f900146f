"""problem+json replies the gateway itself gives (unknown service, no instance, timeouts...)."""

from __future__ import annotations

import orjson
import structlog
from aiohttp import web

from bazaar_chassis.errors import DomainError

PROBLEM_BASE_URI = "https://bazaar.dev/problems/"

_log = structlog.get_logger("bazaar.gateway")


def problem(
    status: int, title: str, detail: str, *, slug: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"type": PROBLEM_BASE_URI + slug, "title": title, "status": status, "detail": detail}
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type="application/problem+json",
        headers=headers,
    )


def problem_for(exc: Exception, *, path: str) -> web.Response:
    """The answer to a request whose handling raised `exc`: a domain error or an HTTP error as
    itself, anything else as a 500 that says nothing of the cause (which is logged)."""
    if isinstance(exc, DomainError):
        return problem(
            exc.status, exc.title, exc.detail, slug=exc.type_slug, headers=exc.headers or None
        )
    if isinstance(exc, web.HTTPException):
        return problem(exc.status, exc.reason, exc.text or exc.reason, slug=f"http-{exc.status}")
    _log.error("gateway error", path=path, exc_info=exc)
    return problem(
        500, "Internal error", "the gateway failed on this request", slug="internal-error"
    )
