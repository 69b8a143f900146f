"""The typed client reads the API's problem+json answers as `ApiProblem`, sends its token, and
turns a 404 for a discount code into None (a real aiohttp server on a kernel-picked port)."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bazaar_client import ApiProblem, BazaarClient

PROBLEM = "application/problem+json"


def _api() -> web.Application:
    async def token(_request: web.Request) -> web.Response:
        return web.json_response({"access_token": "t-1", "expires_in": 900})

    async def code(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer t-1":
            return web.json_response({"status": 401, "detail": "no token"}, status=401)
        body = {"type": "https://bazaar.dev/problems/not-found", "status": 404, "detail": "none"}
        return web.json_response(body, status=404, content_type=PROBLEM)

    async def product(_request: web.Request) -> web.Response:
        body = {"type": "https://bazaar.dev/problems/conflict", "detail": "COF-1 exists"}
        return web.json_response(body, status=409, content_type=PROBLEM)

    app = web.Application()
    app.router.add_post("/identity/1/token", token)
    app.router.add_get("/promotion/1/codes/{code}", code)
    app.router.add_post("/product/1/products", product)
    return app


async def test_a_problem_answer_is_an_api_problem_with_its_type_and_detail() -> None:
    async with TestServer(_api(), port=0) as server, aiohttp.ClientSession() as session:
        api = BazaarClient(session, str(server.make_url("/")))
        assert await api.sign_in("merch@bazaar.test", "bazaar-demo") == "t-1"
        assert await api.find_code("NOPE") is None  # 404, with the token sent
        with pytest.raises(ApiProblem, match="COF-1 exists") as raised:
            await api.create_product(sku="COF-1", name="Coffee")
    assert raised.value.status == 409
    assert raised.value.type == "https://bazaar.dev/problems/conflict"
