"""`/gateway/1/retired-majors`: list the retired majors, and retire one (`bazaar retire`), which
is refused while that major still has callers, unless forced.

Admitted by the same policy as the gateway's other routes (admin only, by default).
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from aiohttp import web

from bazaar_chassis.errors import Conflict, InvalidInput, NotFound
from bazaar_gateway.own_routes import admitted, json_response
from bazaar_gateway.state import GATEWAY

DEFAULT_IDLE_SECONDS = 300.0

_log = structlog.get_logger("bazaar.gateway.retirements")


async def list_retired(request: web.Request) -> web.Response:
    await admitted(request)
    items = request.app[GATEWAY].retired.items
    return json_response(
        {"items": [{"service": r.service, "major": r.major, "by": r.by} for r in items]}
    )


def _options(raw: bytes) -> tuple[bool, float]:
    try:
        body: dict[str, Any] = orjson.loads(raw) if raw else {}
        force = body.get("force", False)
        idle = float(body.get("idle_seconds", DEFAULT_IDLE_SECONDS))
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
        raise InvalidInput(f"expected {{'force'?: bool, 'idle_seconds'?: number}}: {exc}") from exc
    if not isinstance(force, bool) or not 0 <= idle <= 3600:
        raise InvalidInput("force must be a boolean and idle_seconds within 0..3600")
    return force, idle


async def retire(request: web.Request) -> web.Response:
    caller = await admitted(request)
    gateway = request.app[GATEWAY]
    service, major = request.match_info["service"], int(request.match_info["major"])
    force, idle = _options(await request.read())
    view = gateway.directory.view(service)
    if view is None or major not in view.majors:
        live = ", ".join(f"v{m}" for m in view.majors) if view else "no live instance"
        raise NotFound(f"{service} has no live major {major} ({live})")
    others = [m for m in gateway.retired.routable(service, view.majors) if m != major]
    usage = gateway.traffic.usage(service, major, window_seconds=idle)
    if not force and not others:
        raise Conflict(f"v{major} is the only live major of {service}; pass force to retire it")
    if not force and usage.requests:
        raise Conflict(
            f"{service} v{major} still receives traffic: {usage.describe(idle)}; retire it "
            "once they have moved on, or force it"
        )
    by = caller.email or caller.subject
    retirement = await gateway.retired.retire(service, major, by=by)
    _log.info("major retired", service=service, major=major, by=by, forced=force)
    return json_response(
        {
            "service": service,
            "major": major,
            "retired_at": retirement.retired_at,
            "by": retirement.by,
            "live_majors": others,
            "traffic": {"requests": usage.requests, "callers": dict(usage.callers)},
        }
    )


def add_retirement_routes(app: web.Application) -> None:
    app.router.add_get("/gateway/1/retired-majors", list_retired)
    app.router.add_put(r"/gateway/1/retired-majors/{service}/{major:[0-9]+}", retire)
