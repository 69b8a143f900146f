"""A page's `Reply` is the typed client's outcome as it is: a refusal keeps the client's own
`ApiProblem` (status, problem and detail), and a success is dumped to JSON once, however often
a page reads it."""

from __future__ import annotations

from pydantic import BaseModel

from bazaar_client import ApiProblem
from bazaar_storefront.gateway_api import attempt


class Page(BaseModel):
    total: int


async def test_a_refusal_is_a_reply_with_the_clients_status_problem_and_detail() -> None:
    problem = {"title": "Conflict", "available": 2}
    refused = ApiProblem(status=409, problem=problem, what="POST /cart/1/carts/c-1/items")

    async def call() -> Page:
        raise refused

    reply = await attempt(call())

    assert (reply.ok, reply.status, reply.value) == (False, 409, None)
    assert reply.problem == reply.body == problem
    assert reply.detail == refused.detail == "Conflict"


async def test_a_success_is_its_value_dumped_once_however_often_it_is_read() -> None:
    async def call() -> Page:
        return Page(total=3)

    reply = await attempt(call())

    assert (reply.ok, reply.status, reply.value) == (True, 200, Page(total=3))
    assert reply.body == {"total": 3}
    assert reply.body is reply.body
