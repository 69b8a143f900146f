"""The OpenAPI contract the chassis gives every service: every error answer documented as the one
Problem schema, the gateway's path rule on path parameters, request rules in the schema, and
405s that name every method of the path."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from bazaar_chassis import Offset, Sku, SkuList, Version, check_sku, parse_skus
from bazaar_chassis.contract import PATH_SEGMENT_PATTERN, document_errors
from bazaar_chassis.errors import InvalidInput
from bazaar_chassis.problems import install_problem_handlers
from bazaar_chassis.rules import MAX_SKUS_PER_QUERY, SKU_LIST_PATTERN


class Body(BaseModel):
    sku: Sku
    version: Version


def _app() -> FastAPI:
    app = FastAPI(title="t", version="1")
    install_problem_handlers(app)
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def read(thing_id: str, offset: Offset = 0) -> dict[str, Any]:
        return {"thing": thing_id, "offset": offset}

    @router.patch("/things/{thing_id}")
    async def change(thing_id: str, body: Body) -> dict[str, Any]:
        return {"thing": thing_id}

    @router.get("/prices")
    async def prices(skus: SkuList) -> list[str]:
        return parse_skus(skus)

    app.include_router(router, prefix="/t/1")
    document_errors(app)
    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def test_every_operation_documents_every_error_as_the_one_problem_schema() -> None:
    document = _app().openapi()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    read = document["paths"]["/t/1/things/{thing_id}"]["get"]["responses"]
    change = document["paths"]["/t/1/things/{thing_id}"]["patch"]["responses"]
    for status in ("400", "401", "403", "404", "422", "429", "503", "504"):
        assert read[status]["content"] == problem
    assert "409" not in read  # a read does not conflict
    assert "413" not in read  # nor has it a body
    assert change["409"]["content"] == problem
    assert change["413"]["content"] == problem
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail"]


def test_the_schema_carries_the_rules_the_code_enforces() -> None:
    document = _app().openapi()
    [thing_id, offset] = document["paths"]["/t/1/things/{thing_id}"]["get"]["parameters"]
    assert thing_id["schema"]["pattern"] == PATH_SEGMENT_PATTERN
    assert offset["schema"]["maximum"] == 1_000_000
    body = document["components"]["schemas"]["Body"]["properties"]
    assert body["sku"]["pattern"] == r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
    assert body["version"]["maximum"] == 2**53 - 1


async def test_a_number_beyond_what_a_store_holds_is_a_422_problem() -> None:
    async with _client(_app()) as client:
        reply = await client.get("/t/1/things/a", params={"offset": "119172375283434868703232"})
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"


async def test_a_405_names_every_method_of_the_path_not_only_the_first_routes() -> None:
    async with _client(_app()) as client:
        reply = await client.delete("/t/1/things/a")
    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET, PATCH"
    assert "GET, PATCH" in reply.json()["detail"]


def test_a_sku_with_a_trailing_newline_is_refused() -> None:
    assert check_sku("COF-1") == "COF-1"
    try:
        check_sku("COF-1\n")
    except InvalidInput:
        return
    raise AssertionError("a trailing newline passed check_sku")


@given(st.from_regex(re.compile(SKU_LIST_PATTERN), fullmatch=True))
def test_every_sku_list_the_schema_allows_is_read_by_parse_skus(raw: str) -> None:
    skus = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if len(skus) <= MAX_SKUS_PER_QUERY:
        assert parse_skus(raw) == skus
