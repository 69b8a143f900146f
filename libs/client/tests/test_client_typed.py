"""The typed client returns the generated models, sends a guest cart's token and an order's
idempotency key, and reads an API it cannot reach as a 503 problem (a real aiohttp server)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bazaar_client import ApiProblem, BazaarClient
from bazaar_client.models.cart import CartOut

MONEY = {"amount": 0, "currency": "USD"}


def _cart(request: web.Request) -> dict[str, Any]:
    return {
        "id": request.match_info.get("cart_id", "c-1"),
        "owner": "guest",
        "state": "active",
        "version": 1,
        "lines": [],
        "subtotal": MONEY,
        "discounts": [],
        "total": MONEY,
        "codes": [],
        "messages": [request.headers.get("Bazaar-Cart-Token", "no token")],
    }


def _api() -> web.Application:
    async def cart(request: web.Request) -> web.Response:
        return web.json_response(_cart(request))

    async def order(request: web.Request) -> web.Response:
        detail = f"key {request.headers.get('Idempotency-Key')}"
        return web.json_response({"status": 409, "detail": detail, "available": 2}, status=409)

    app = web.Application()
    app.router.add_get("/cart/1/carts/{cart_id}", cart)
    app.router.add_post("/order/1/orders", order)
    return app


async def test_a_reply_is_the_operations_generated_model_with_the_carts_token_sent() -> None:
    async with TestServer(_api(), port=0) as server, aiohttp.ClientSession() as session:
        api = BazaarClient(session, str(server.make_url("/")), cart_token="ct-1")
        cart = await api.get_cart("c 1")
    assert isinstance(cart, CartOut)
    assert (cart.id, cart.total.amount, cart.messages) == ("c 1", 0, ["ct-1"])


async def test_a_refusal_keeps_the_whole_problem_and_the_idempotency_key_is_sent() -> None:
    async with TestServer(_api(), port=0) as server, aiohttp.ClientSession() as session:
        api = BazaarClient(session, str(server.make_url("/")))
        with pytest.raises(ApiProblem, match="key c-1") as raised:
            await api.place_order(cart_id="c-1", card_number="4242", idempotency_key="c-1")
    assert raised.value.status == 409
    assert raised.value.problem["available"] == 2


async def test_an_api_it_cannot_reach_is_a_503_problem() -> None:
    async with TestServer(web.Application(), port=0) as server:
        url = str(server.make_url("/"))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ApiProblem, match="cannot be reached") as raised:
            await BazaarClient(session, url).categories()
    assert raised.value.status == 503
