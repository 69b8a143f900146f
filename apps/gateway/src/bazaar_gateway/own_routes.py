"""The gateway's own routes: health, readiness, metrics, the service list and the policy.

They are admitted by the same policy as every forwarded request (admin only, by default);
`/healthz` and the bare status of `/readyz` answer anyone, and reveal no topology.
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bazaar_chassis.caller import Caller
from bazaar_chassis.errors import InvalidInput
from bazaar_gateway.operators import has_operations_token, may_see_topology
from bazaar_gateway.policy import Rule
from bazaar_gateway.state import GATEWAY

_log = structlog.get_logger("bazaar.gateway")
CONSOLE_UI = "/console/1/ui"


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json")


async def admitted(request: web.Request) -> Caller:
    """Admission for the gateway's own routes, by the same policy as everything else."""
    gateway = request.app[GATEWAY]
    return await gateway.admission.admit(
        authorization=request.headers.get("Authorization"),
        remote=request.remote,
        method=request.method,
        path=request.path,
    )


async def healthz(_request: web.Request) -> web.Response:
    return json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    """`ready` or `degraded` for anyone; what it routes to only for operators and probes."""
    gateway = request.app[GATEWAY]
    bus_ok = gateway.bus.connected
    ready = bus_ok and gateway.policies.loaded
    status = {"status": "ready" if ready else "degraded"}
    if not await may_see_topology(request):
        return json_response(status)
    return json_response(
        {
            **status,
            "bus": bus_ok,
            "policy_version": gateway.policies.revision,
            "services": [v.name for v in gateway.directory.services()],
        }
    )


async def list_services(request: web.Request) -> web.Response:
    await admitted(request)
    views = request.app[GATEWAY].directory.services()
    return json_response(
        {
            "items": [
                {
                    "name": v.name,
                    "majors": v.majors,
                    "default_major": v.default_major,
                    "deprecated_majors": v.deprecated_majors,
                    "versions": sorted({i.version for i in v.instances}),
                    "instances": [
                        {
                            "id": i.instance_id,
                            "version": i.version,
                            "url": i.url,
                            "majors": i.majors,
                            "weight": i.weight,
                            "started_at": i.started_at,
                            "heartbeat_at": i.heartbeat_at,
                        }
                        for i in v.instances
                    ],
                }
                for v in views
            ]
        }
    )


async def get_policies(request: web.Request) -> web.Response:
    await admitted(request)
    return json_response(request.app[GATEWAY].policies.document())


async def put_policies(request: web.Request) -> web.Response:
    caller = await admitted(request)
    try:
        body = orjson.loads(await request.read())
        rules = [Rule.model_validate(r) for r in body["rules"]]
        expected = body.get("version")
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise InvalidInput(f"expected {{'rules': [...], 'version'?: int}}: {exc}") from exc
    except ValueError as exc:  # pydantic's ValidationError
        raise InvalidInput(f"invalid rule: {exc}") from exc
    if expected is not None and not isinstance(expected, int):
        raise InvalidInput("version must be an integer")
    policies = request.app[GATEWAY].policies
    await policies.replace(rules, expected_version=expected, by=caller.subject)
    _log.info("policy replaced", by=caller.subject, version=policies.revision, rules=len(rules))
    return json_response(policies.document())


async def metrics(request: web.Request) -> web.Response:
    """Operators (by the policy) and scrapers holding the operations token only."""
    if not has_operations_token(request):
        await admitted(request)
    body = generate_latest(request.app[GATEWAY].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def console(_request: web.Request) -> web.Response:
    """`/console/` (the address operators know) is the console's UI; a canonical path has no
    trailing slash, so the gateway sends the browser to it."""
    return web.Response(status=302, headers={"Location": CONSOLE_UI})


def add_own_routes(app: web.Application) -> None:
    app.router.add_get("/console/", console)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/gateway/1/services", list_services)
    app.router.add_get("/gateway/1/policies", get_policies)
    app.router.add_put("/gateway/1/policies", put_policies)
