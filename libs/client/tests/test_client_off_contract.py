"""An answer outside the documented shape is a 502 problem the caller can show, not a crash."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bazaar_client import ApiProblem, BazaarClient


async def test_an_answer_missing_documented_fields_is_a_bad_gateway_problem() -> None:
    async def categories(_: web.Request) -> web.Response:
        return web.json_response({"items": [{"key": "coffee"}]})  # no name, parent, position

    gateway = web.Application()
    gateway.router.add_get("/catalog/1/categories", categories)
    async with TestServer(gateway) as server, aiohttp.ClientSession() as http:
        client = BazaarClient(http, str(server.make_url("")))
        with pytest.raises(ApiProblem) as refused:
            await client.categories()
    assert refused.value.status == 502
    assert "CategoryList" in refused.value.detail
