"""Path tricks and topology leaks against a real gateway, identity and an echoing service.

The echo service answers with the raw path it received, so each test sees exactly what the
gateway forwarded; requests are written byte for byte on a socket, so no client library
normalises the tricks away before they reach the gateway.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from bazaar_chassis import CallerDep, ServiceDefinition, ServiceSettings, create_app
from bazaar_chassis.testing import eventually, serving

from .conftest import OPERATIONS_TOKEN, Platform
from .wire import read_answer


def echo_service(settings: ServiceSettings) -> FastAPI:
    router = APIRouter()

    @router.get("/away")
    async def away(request: Request) -> RedirectResponse:  # a redirect to its own address
        return RedirectResponse(str(request.base_url) + "echo/1/elsewhere", status_code=307)

    @router.api_route("/{path:path}", methods=["GET", "POST"])
    async def echo(path: str, request: Request, caller: CallerDep) -> dict[str, Any]:
        return {
            "raw_path": request.scope["raw_path"].decode("ascii"),
            "query": request.scope["query_string"].decode("ascii"),
            "path": request.url.path,
        }

    definition = ServiceDefinition(
        name="echo", version="0.0.0-echo", description="echoes", apis={1: router, 2: router}
    )
    return create_app(definition, settings)


async def raw_request(
    base_url: str, target: str, *, token: str | None = None
) -> tuple[int, dict[str, str], Any]:
    """`GET target` written as-is on the wire, on a connection kept alive as clients keep
    them (so the gateway's lean front reads it, ADR 10); (status, headers, JSON body or None)."""
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    lines = [f"GET {target} HTTP/1.1", f"Host: {url.netloc}"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
    await writer.drain()
    try:
        status, headers, body = await read_answer(reader)
    finally:
        writer.close()
    parsed = orjson.loads(body) if body.strip().startswith(b"{") else None
    return status, headers, parsed


@pytest.fixture
async def echo(platform: Platform, service_settings: ServiceSettings) -> Any:
    async with serving(echo_service, service_settings) as served:
        await platform.routes_to("echo")
        admin = await platform.token("admin@bazaar.test")

        async def tokens_verify() -> bool:  # the gateway has identity's keys (503 before)
            status, _ = await platform.call("GET", "/gateway/1/services", token=admin)
            return status == 200

        await eventually(tokens_verify, message="the gateway never verified a token")
        yield served


@pytest.mark.parametrize(
    "target",
    [
        "/echo/1/%2E%2E/2/things",
        "/echo/1/../2/things",
        "/echo/1/./things",
        "/echo/1/things/%2E",
        "/echo/1/things/%252F",
        "/echo/1/a%2Fb",
        "/echo/1/things%3Fversion=2",
        "/echo/1/things%23",
        "/echo/1/things#fragment",
        "/echo/1/things%25",
        "/echo/1/things\\x",
        "/echo/1/things%00",
        "/echo/1//things",
        "/echo/1/things/",
        "/echo/%C2%B2/things",
        "/echo/things?version=%C2%B2",
        "/echo/1/things?version=2",
    ],
)
async def test_each_path_trick_is_refused_with_400_before_authorization(
    platform: Platform, echo: Any, target: str
) -> None:
    for token in (None, await platform.token("admin@bazaar.test")):
        status, headers, problem = await raw_request(platform.url, target, token=token)
        assert status == 400, (target, problem)
        assert headers["content-type"] == "application/problem+json"
        assert problem["detail"]


@pytest.mark.parametrize(
    ("target", "raw_path", "query"),
    [
        ("/echo/1/caf%C3%A9%20bar", "/echo/1/caf%C3%A9%20bar", ""),
        ("/echo/2/x.y/%7e?a=%2F%3F&b=c+d", "/echo/2/x.y/%7e", "a=%2F%3F&b=c+d"),
        ("/echo/things?version=2&q=%26", "/echo/2/things", "q=%26"),
        ("/echo/1/things?version=1", "/echo/1/things", ""),
    ],
)
async def test_the_service_receives_exactly_the_raw_path_that_was_authorized(
    platform: Platform, echo: Any, target: str, raw_path: str, query: str
) -> None:
    admin = await platform.token("admin@bazaar.test")
    status, _, body = await raw_request(platform.url, target, token=admin)
    assert status == 200, body
    assert (body["raw_path"], body["query"]) == (raw_path, query)


async def test_no_answer_through_the_gateway_names_a_services_internal_address(
    platform: Platform, echo: Any
) -> None:
    admin = await platform.token("admin@bazaar.test")
    internal = urlsplit(echo.url).netloc
    assert echo.app.router.redirect_slashes is False  # the chassis makes no slash redirects
    for target in ("/identity/1/users/%2E", "/identity/1/users/x/"):
        status, headers, _ = await raw_request(platform.url, target, token=admin)
        assert (status, "location" in headers) == (400, False), (target, headers)
    status, headers, _ = await raw_request(platform.url, "/echo/1/away", token=admin)
    assert status == 307
    assert "location" not in headers, headers
    assert internal not in str(headers)


async def test_anonymous_callers_get_a_bare_readiness_and_no_metrics(
    platform: Platform, echo: Any
) -> None:
    status, _, ready = await raw_request(platform.url, "/readyz")
    assert (status, ready) == (200, {"status": "ready"})
    status, _, problem = await raw_request(platform.url, "/metrics")
    assert status == 403, problem
    shopper = await platform.token("shopper@bazaar.test")
    assert (await raw_request(platform.url, "/readyz", token=shopper))[2] == {"status": "ready"}
    assert (await raw_request(platform.url, "/metrics", token=shopper))[0] == 403
    for token in (OPERATIONS_TOKEN, await platform.token("admin@bazaar.test")):
        status, _, detailed = await raw_request(platform.url, "/readyz", token=token)
        assert "echo" in detailed["services"]
        assert (await raw_request(platform.url, "/metrics", token=token))[0] == 200


async def test_a_guest_asking_for_an_unknown_service_or_major_learns_nothing_of_the_topology(
    platform: Platform, echo: Any
) -> None:
    _, _, forbidden = await raw_request(platform.url, "/echo/1/things")
    status, _, unknown = await raw_request(platform.url, "/nothing/1/here")
    assert status == 403
    assert unknown["type"] == forbidden["type"]
    shopper = await platform.token("shopper@bazaar.test")
    status, _, problem = await raw_request(platform.url, "/catalog/9/products", token=shopper)
    assert status in (404, 503), problem
    assert "live majors" not in problem["detail"]
    assert "catalog" not in problem["detail"]
    admin = await platform.token("admin@bazaar.test")
    status, _, problem = await raw_request(platform.url, "/echo/7/things", token=admin)
    assert (status, "live majors: 1, 2" in problem["detail"]) == (404, True)
