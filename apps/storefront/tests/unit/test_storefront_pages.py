"""The storefront's own rules, without a platform: forms need the session's CSRF token, `next`
targets stay on this site, money reads as money, and an unreachable gateway is a page, not a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bazaar_storefront.app import build_app
from bazaar_storefront.session import COOKIE
from bazaar_storefront.settings import StorefrontSettings
from bazaar_storefront.web import local_path, money


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    # a gateway URL where nothing listens: every API call fails to connect
    settings = StorefrontSettings(data_dir=tmp_path, gateway_url="http://127.0.0.1:9")
    test_client: TestClient[Any, Any] = TestClient(TestServer(build_app(settings)))
    await test_client.start_server()
    yield test_client
    await test_client.close()


def test_money_is_written_with_its_currency() -> None:
    assert money({"amount": 123456, "currency": "USD"}) == "$1,234.56"
    assert money({"amount": 990, "currency": "EUR"}) == "9.90 EUR"
    assert money(None) == "—"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/shop/cart", "/shop/cart"),
        ("//evil.test/x", "/"),
        ("https://evil.test/", "/"),
        ("/\\evil.test", "/"),
        (None, "/"),
    ],
)
def test_a_next_target_is_only_ever_a_path_on_this_site(target: str | None, expected: str) -> None:
    assert local_path(target) == expected


async def test_a_form_without_the_sessions_csrf_token_is_refused(
    client: TestClient[Any, Any],
) -> None:
    reply = await client.post("/shop/cart/items", data={"sku": "COF-001", "quantity": "1"})
    assert reply.status == 403
    assert "expired" in await reply.text()


async def test_the_session_cookie_is_http_only_and_same_site_lax(
    client: TestClient[Any, Any],
) -> None:
    reply = await client.get("/shop/sign-in")
    assert reply.status == 200
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "default-src 'self'" in reply.headers["Content-Security-Policy"]


async def test_an_unreachable_gateway_is_a_page_that_says_so(client: TestClient[Any, Any]) -> None:
    home = await client.get("/")
    assert home.status == 200
    assert "catalog is unavailable" in await home.text()
    search = await client.get("/shop/search", params={"q": "tea"})
    assert search.status == 503
    assert "Search is unavailable" in await search.text()


async def test_type_ahead_suggests_nothing_while_search_is_away(
    client: TestClient[Any, Any],
) -> None:
    for query in ("t", "tea"):
        reply = await client.get("/shop/search/suggest", params={"q": query})
        assert reply.status == 200
        assert await reply.json() == {"items": []}


async def test_a_page_number_that_int_cannot_read_is_page_one_not_a_500(
    client: TestClient[Any, Any],
) -> None:
    # "²" is a digit to str.isdigit, and int() refuses it
    reply = await client.get("/shop/categories/coffee", params={"page": "²"})
    assert reply.status == 503  # the unreachable gateway's page, as for page 1
    assert reply.status == (await client.get("/shop/categories/coffee")).status
