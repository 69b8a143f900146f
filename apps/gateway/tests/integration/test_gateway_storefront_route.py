"""The gateway serves the storefront at `/` and `/shop/…`: the shopper's cookie reaches it, no
token and no identity assertion do, its answers (cookies included) come back as they are."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bazaar_chassis.caller import IDENTITY_HEADER

from .conftest import GatewayFactory


async def echo(request: web.Request) -> web.Response:
    response = web.json_response(
        {
            "path_qs": request.rel_url.raw_path_qs,
            "method": request.method,
            "headers": {k.lower(): v for k, v in request.headers.items()},
        }
    )
    response.set_cookie("bazaar_session", "signed", httponly=True, samesite="Lax")
    return response


@pytest.fixture
async def storefront() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_the_storefront_gets_the_cookie_but_never_a_token_or_an_assertion(
    start_gateway: GatewayFactory, storefront: str, http: aiohttp.ClientSession
) -> None:
    gateway = await start_gateway(storefront_url=storefront)
    for path in ("/", "/shop/categories/tea?page=2"):
        async with http.get(
            gateway + path,
            headers={
                "Authorization": "Bearer someone",
                IDENTITY_HEADER: "forged",
                "Cookie": "bazaar_session=abc",
            },
        ) as reply:
            assert reply.status == 200
            seen = await reply.json()
            assert "signed" in reply.headers["Set-Cookie"]
        assert seen["path_qs"] == path
        assert seen["headers"]["cookie"] == "bazaar_session=abc"
        assert "authorization" not in seen["headers"]
        assert IDENTITY_HEADER.lower() not in seen["headers"]


async def test_forms_are_forwarded_and_api_paths_are_not_the_storefronts(
    start_gateway: GatewayFactory, storefront: str, http: aiohttp.ClientSession
) -> None:
    gateway = await start_gateway(storefront_url=storefront)
    async with http.post(gateway + "/shop/cart/items", data={"sku": "A", "csrf": "t"}) as reply:
        seen = await reply.json()
    assert seen["method"] == "POST"
    async with http.get(gateway + "/catalog/1/categories") as reply:
        assert reply.content_type == "application/problem+json"  # the gateway's, not an echo


async def test_a_storefront_that_is_down_is_a_503_problem(
    start_gateway: GatewayFactory, http: aiohttp.ClientSession
) -> None:
    gateway = await start_gateway(storefront_url="http://127.0.0.1:9")
    async with http.get(gateway + "/") as reply:
        assert reply.status == 503
        assert (await reply.json())["type"].endswith("storefront-unavailable")


async def test_without_a_storefront_the_root_names_no_service(
    start_gateway: GatewayFactory, http: aiohttp.ClientSession
) -> None:
    gateway = await start_gateway()
    async with http.get(gateway + "/") as reply:
        assert reply.status == 404
