"""The gateway application: wiring, lifecycle and the gateway's own routes.

Each public request: address → admission (authenticate, rate-limit, authorize against the live
policy) → pick a live instance → forward with a signed identity assertion → answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from aiohttp import web
from multidict import CIMultiDict
from nats.aio.msg import Msg
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

from bazaar_chassis.bus import Bus
from bazaar_chassis.caller import IDENTITY_HEADER, AssertionSigner, Caller
from bazaar_chassis.errors import DomainError, InvalidInput
from bazaar_chassis.metrics import LATENCY_BUCKETS
from bazaar_gateway.access import Admission
from bazaar_gateway.authentication import Authenticator
from bazaar_gateway.directory import ServiceDirectory
from bazaar_gateway.policy import Rule
from bazaar_gateway.policy_store import PolicyStore
from bazaar_gateway.problems import problem
from bazaar_gateway.proxy import Upstreams
from bazaar_gateway.rate_limit import RateLimiter
from bazaar_gateway.registry_trust import RegistryTrust
from bazaar_gateway.settings import GatewaySettings
from bazaar_gateway.signing import load_private_key

_log = structlog.get_logger("bazaar.gateway")

KEY_ACTIVATED_SUBJECT = "bazaar.identity.signing_key_activated"
SELF = Caller(
    subject="service:gateway", kind="service", organization="bazaar", roles=("service:gateway",)
)


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


@dataclass
class Gateway:
    """Everything a request handler needs, built once per process."""

    settings: GatewaySettings
    bus: Bus
    directory: ServiceDirectory
    upstreams: Upstreams
    policies: PolicyStore
    admission: Admission
    signer: AssertionSigner
    metrics: GatewayMetrics


@dataclass
class IdentityJwks:
    """Fetches identity's public keys straight from a live instance, as the gateway itself."""

    directory: ServiceDirectory
    upstreams: Upstreams
    signer: AssertionSigner

    async def __call__(self) -> dict[str, Any]:
        instance = self.directory.pick("identity", 1)
        if instance is None:
            raise RuntimeError("no identity instance is registered")
        reply = await self.upstreams.send(
            instance,
            method="GET",
            path_qs="/identity/1/jwks",
            headers=CIMultiDict({IDENTITY_HEADER: self.signer.assertion(SELF)}),
            body=b"",
        )
        if reply.status != 200:
            raise RuntimeError(f"identity answered {reply.status} for its JWKS")
        document: dict[str, Any] = orjson.loads(reply.body)
        return document


GATEWAY = web.AppKey("gateway", Gateway)


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
    gateway = request.app[GATEWAY]
    bus_ok = gateway.bus.connected
    ready = bus_ok and gateway.policies.loaded
    return json_response(
        {
            "status": "ready" if ready else "degraded",
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
    body = generate_latest(request.app[GATEWAY].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def problems_for_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except DomainError as exc:
        return problem(
            exc.status, exc.title, exc.detail, slug=exc.type_slug, headers=exc.headers or None
        )
    except web.HTTPException as exc:
        return problem(exc.status, exc.reason, exc.text or exc.reason, slug=f"http-{exc.status}")
    except Exception:
        _log.exception("gateway error", path=request.path)
        return problem(
            500, "Internal error", "the gateway failed on this request", slug="internal-error"
        )


def build_gateway(settings: GatewaySettings) -> Gateway:
    bus = Bus(
        url=settings.nats_url,
        name="gateway",
        user=settings.nats_user,
        password=settings.nats_password,
    )
    policies = PolicyStore()
    directory = ServiceDirectory(
        RegistryTrust.of(
            upstream_hosts=settings.upstream_hosts, identity_urls=settings.identity_urls
        )
    )
    upstreams = Upstreams(
        timeout_seconds=settings.upstream_timeout_seconds,
        max_in_flight=settings.upstream_max_in_flight,
        queue_seconds=settings.upstream_queue_seconds,
    )
    signer = AssertionSigner(load_private_key(settings.gateway_key_pem()))
    authenticator = Authenticator(
        fetch_jwks=IdentityJwks(directory, upstreams, signer), issuer=settings.identity_issuer
    )
    return Gateway(
        settings=settings,
        bus=bus,
        directory=directory,
        upstreams=upstreams,
        policies=policies,
        admission=Admission(
            authenticator=authenticator,
            limiter=RateLimiter(
                rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
            ),
            policies=policies,
        ),
        signer=signer,
        metrics=GatewayMetrics(),
    )


def build_app(settings: GatewaySettings) -> web.Application:
    from bazaar_gateway.forwarding import forward

    gateway = build_gateway(settings)
    app = web.Application(
        client_max_size=settings.max_body_bytes, middlewares=[problems_for_errors]
    )
    app[GATEWAY] = gateway
    subscribed = False

    async def follow_key_rotation(bus: Bus) -> None:
        nonlocal subscribed
        if not subscribed:  # subscriptions survive reconnects; subscribe once

            async def refresh(_msg: Msg) -> None:
                await gateway.admission.authenticator.refresh()

            await bus.client.subscribe(KEY_ACTIVATED_SUBJECT, cb=refresh)
            subscribed = True

    gateway.bus.on_connect(gateway.directory.on_connect)
    gateway.bus.on_connect(gateway.policies.on_connect)
    gateway.bus.on_connect(follow_key_rotation)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await gateway.upstreams.start()
        await gateway.bus.start()
        yield
        await gateway.policies.stop()
        await gateway.directory.stop()
        await gateway.bus.close()
        await gateway.upstreams.close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/gateway/1/services", list_services)
    app.router.add_get("/gateway/1/policies", get_policies)
    app.router.add_put("/gateway/1/policies", put_policies)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app
