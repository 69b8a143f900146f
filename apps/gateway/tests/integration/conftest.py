"""A real gateway on a loopback port, with real identity, and stand-in services.

Stand-ins are real chassis services (own registry entry, own gateway-assertion check) that
answer every path of their API with what they were asked and by whom: enough to see exactly
what the gateway lets through, for services whose real implementation is not under test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fastapi import APIRouter, FastAPI, Request
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr

from bazaar_chassis import CallerDep, ServiceDefinition, ServiceSettings, create_app
from bazaar_chassis.testing import eventually, serving
from bazaar_chassis.testing.identity import gateway_assertion_secret
from bazaar_chassis.tracing import build_tracer_provider
from bazaar_gateway import state
from bazaar_gateway.app import build_app
from bazaar_gateway.front import serve_front, stop_front
from bazaar_gateway.settings import GatewaySettings
from bazaar_identity.service import build_app as build_identity
from bazaar_identity.settings import DEMO_KEY_PASSPHRASE, IdentitySettings
from bazaar_platform.assertions import claims_of
from bazaar_platform.nats_server import NatsServer

DEMO_PASSWORD = "bazaar-demo"
OPERATIONS_TOKEN = "operations-token-of-the-tests"


def stand_in(name: str) -> Callable[[ServiceSettings], FastAPI]:
    router = APIRouter()

    @router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(path: str, request: Request, caller: CallerDep) -> dict[str, Any]:
        caller_claims = claims_of(caller)
        return {"service": name, "path": path, "method": request.method, "caller": caller_claims}

    definition = ServiceDefinition(
        name=name,
        version="0.0.0-stand-in",
        description=f"stand-in for {name}",
        apis={1: router, 2: router},
    )
    return lambda settings: create_app(definition, settings)


class Platform:
    """A gateway URL plus helpers to sign in through it; `clock_skew` moves identity's clock."""

    def __init__(self, url: str, http: aiohttp.ClientSession, clock_skew: list[float]) -> None:
        self.url = url
        self.http = http
        self.clock_skew = clock_skew

    async def token(self, username: str, password: str = DEMO_PASSWORD, **extra: str) -> str:
        async with self.http.post(
            self.url + "/identity/1/token",
            data={"grant_type": "password", "username": username, "password": password, **extra},
        ) as reply:
            assert reply.status == 200, await reply.text()
            return str((await reply.json())["access_token"])

    async def call(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.url + path, headers=headers, **kwargs) as reply:
            body = await reply.json(content_type=None) if await reply.read() else None
            return reply.status, body

    async def routes_to(self, *services: str) -> None:
        async def all_there() -> bool:
            async with self.http.get(
                self.url + "/readyz", headers={"Authorization": f"Bearer {OPERATIONS_TOKEN}"}
            ) as reply:
                body = await reply.json()
            return set(services) <= set(body["services"]) and body["policy_version"] > 0

        await eventually(all_there, timeout=10, message=f"gateway never routed to {services}")


GatewayFactory = Callable[..., Awaitable[str]]


@pytest.fixture(params=["lean", "aiohttp"])
async def start_gateway(
    nats_server: NatsServer, request: pytest.FixtureRequest
) -> AsyncIterator[GatewayFactory]:
    """Gateways served as `python -m bazaar_gateway` serves them, behind each front (ADR 10)."""
    async with AsyncExitStack() as stack:

        async def start(**overrides: Any) -> str:
            settings = GatewaySettings(
                **{
                    "nats_url": nats_server.url,
                    "assertion_secret": gateway_assertion_secret(),
                    "operations_token": OPERATIONS_TOKEN,
                    "gateway_front": request.param,
                    **overrides,
                }
            )
            runner = web.AppRunner(
                build_app(settings), keepalive_timeout=settings.keepalive_seconds
            )
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            if settings.gateway_front == "aiohttp":
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                return f"http://127.0.0.1:{runner.addresses[0][1]}"
            server, connections = await serve_front(runner, host="127.0.0.1", port=0)
            stack.push_async_callback(stop_front, server, connections, grace_seconds=1.0)
            return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

        yield start


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def platform(
    start_gateway: GatewayFactory,
    http: aiohttp.ClientSession,
    service_settings: ServiceSettings,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Platform]:
    """Gateway + identity + the stand-ins named by `@pytest.mark.stand_ins(...)`."""
    marker = request.node.get_closest_marker("stand_ins")
    names: tuple[str, ...] = marker.args if marker else ()
    clock_skew = [0.0]

    def identity(settings: ServiceSettings) -> FastAPI:
        return build_identity(
            settings,
            IdentitySettings(key_passphrase=SecretStr(DEMO_KEY_PASSPHRASE)),
            clock=lambda: datetime.now(UTC) + timedelta(seconds=clock_skew[0]),
        )

    async with AsyncExitStack() as stack:
        await stack.enter_async_context(
            serving(identity, service_settings.model_copy(update={"instance_id": "idp"}))
        )
        for name in names:
            settings = service_settings.model_copy(
                update={"instance_id": f"{name}-1", "data_dir": service_settings.data_dir / name}
            )
            await stack.enter_async_context(serving(stand_in(name), settings))
        running = Platform(await start_gateway(), http, clock_skew)
        await running.routes_to("identity", *names)
        yield running


@pytest.fixture
def gateway_spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """Spans of every gateway built from here on (request this before `platform`)."""
    exporter = InMemorySpanExporter()

    def recording(**kwargs: Any) -> TracerProvider:
        provider = build_tracer_provider(**kwargs)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return provider

    monkeypatch.setattr(state, "build_tracer_provider", recording)
    return exporter
