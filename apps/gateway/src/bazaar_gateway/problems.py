"""problem+json replies the gateway itself gives (unknown service, no instance, timeouts...)."""

from __future__ import annotations

import orjson
from aiohttp import web

PROBLEM_BASE_URI = "https://bazaar.dev/problems/"


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
