"""The gateway application: every public request is routed here to one upstream instance.

Order of work per request: address (service, major) → pick a live instance → forward with
bulkheads → answer, adding `Deprecation` for deprecated majors. Platform routes of the gateway
itself live under `/gateway/1/` (and `/healthz`, `/readyz`, `/metrics`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import orjson
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

from bazaar_chassis.bus import Bus
from bazaar_chassis.metrics import LATENCY_BUCKETS
from bazaar_gateway.directory import ServiceDirectory
from bazaar_gateway.problems import problem
from bazaar_gateway.proxy import (
    UpstreamBusy,
    Upstreams,
    UpstreamTimeout,
    UpstreamUnreachable,
    forwardable,
    to_response,
)
from bazaar_gateway.routing import BadVersion, parse
from bazaar_gateway.settings import GatewaySettings

_log = structlog.get_logger("bazaar.gateway")

DIRECTORY = web.AppKey("directory", ServiceDirectory)
UPSTREAMS = web.AppKey("upstreams", Upstreams)
BUS = web.AppKey("bus", Bus)


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "bazaar_gateway_request_duration_seconds",
            "Requests through the gateway by service, major, implementation version and status",
            ["service", "major", "version", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )


METRICS = web.AppKey("metrics", GatewayMetrics)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json")


async def route(request: web.Request) -> web.Response:
    started = time.perf_counter()
    try:
        address = parse(request.path, request.query)
    except BadVersion as exc:
        return problem(400, "Bad version", str(exc), slug="bad-version")
    if address is None:
        return problem(404, "Not found", "the path names no service", slug="unknown-service")
    directory = request.app[DIRECTORY]
    view = directory.view(address.service)
    if view is None:
        return problem(
            503 if address.service in directory.known else 404,
            "Service unavailable" if address.service in directory.known else "Not found",
            f"no live instance of {address.service!r}"
            if address.service in directory.known
            else f"no service named {address.service!r}",
            slug="no-instance" if address.service in directory.known else "unknown-service",
        )
    major = address.major or view.default_major
    if major not in view.majors:
        live = ", ".join(str(m) for m in view.majors)
        return problem(
            404,
            "Unknown version",
            f"{address.service} has no live major {major}; live majors: {live}",
            slug="unknown-version",
        )
    body = await request.read()
    headers = forwardable(request.headers)
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    headers["x-request-id"] = request_id
    headers["x-forwarded-for"] = request.remote or ""
    path_qs = address.upstream_path(major)
    if address.query:
        path_qs += "?" + urlencode(list(address.query.items()))
    extra = {"x-request-id": request_id}
    if major in view.deprecated_majors:
        extra["Deprecation"] = "true"

    status, version = 503, "none"
    try:
        reply = await _send_with_one_retry(
            request, address.service, major, path_qs=path_qs, headers=headers, body=body
        )
        status = reply.status
        version = reply.headers.get("bazaar-served-by", "/unknown").rsplit("/", 1)[-1]
        return to_response(reply, extra)
    except UpstreamBusy:
        return problem(
            503,
            "Service saturated",
            f"{address.service} is at its in-flight limit; retry shortly",
            slug="upstream-busy",
            headers={"Retry-After": "1"},
        )
    except UpstreamUnreachable:
        return problem(
            503,
            "Service unavailable",
            f"no instance of {address.service} major {major} could be reached",
            slug="no-instance",
        )
    except UpstreamTimeout:
        status = 504
        return problem(
            504,
            "Upstream timeout",
            f"{address.service} did not answer in time",
            slug="upstream-timeout",
        )
    finally:
        request.app[METRICS].requests.labels(
            address.service, str(major), version, request.method, str(status)
        ).observe(time.perf_counter() - started)


async def _send_with_one_retry(
    request: web.Request, service: str, major: int, **kwargs: Any
) -> Any:
    directory, upstreams = request.app[DIRECTORY], request.app[UPSTREAMS]
    instance = directory.pick(service, major)
    if instance is None:
        raise UpstreamUnreachable(service)
    try:
        return await upstreams.send(instance, method=request.method, **kwargs)
    except UpstreamUnreachable:
        retry = directory.pick(service, major, avoid=frozenset({instance.key}))
        if retry is None:
            raise
        return await upstreams.send(retry, method=request.method, **kwargs)


async def healthz(_request: web.Request) -> web.Response:
    return _json({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    bus_ok = request.app[BUS].connected
    services = [v.name for v in request.app[DIRECTORY].services()]
    return _json({"status": "ready" if bus_ok else "degraded", "bus": bus_ok, "services": services})


async def list_services(request: web.Request) -> web.Response:
    views = request.app[DIRECTORY].services()
    return _json(
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


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def problems_for_http_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException as exc:
        return problem(exc.status, exc.reason, exc.text or exc.reason, slug=f"http-{exc.status}")
    except Exception:
        _log.exception("gateway error", path=request.path)
        return problem(
            500, "Internal error", "the gateway failed on this request", slug="internal-error"
        )


def build_app(settings: GatewaySettings) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body_bytes, middlewares=[problems_for_http_errors]
    )
    app[DIRECTORY] = ServiceDirectory()
    app[UPSTREAMS] = Upstreams(
        timeout_seconds=settings.upstream_timeout_seconds,
        max_in_flight=settings.upstream_max_in_flight,
        queue_seconds=settings.upstream_queue_seconds,
    )
    app[METRICS] = GatewayMetrics()
    bus = Bus(
        url=settings.nats_url,
        name="gateway",
        user=settings.nats_user,
        password=settings.nats_password,
    )
    app[BUS] = bus
    bus.on_connect(app[DIRECTORY].on_connect)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await app[UPSTREAMS].start()
        await bus.start()
        yield
        await app[DIRECTORY].stop()
        await bus.close()
        await app[UPSTREAMS].close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/gateway/1/services", list_services)
    app.router.add_route("*", "/{tail:.*}", route)
    return app
