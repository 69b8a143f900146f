"""OpenAPI links declared once per resource: rendered into every success answer of each source,
each target given only the parameters and body fields it declares, a wrong name refused; and
the whole numbers (`12.0` too) that link-fed bodies carry."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from bazaar_chassis import Links, WholeNumber
from bazaar_chassis.contract import document_errors


class ThingIn(BaseModel):
    name: str
    version: WholeNumber | None = None


class Thing(BaseModel):
    key: str
    name: str
    version: int


THING = "/t/1/things/{key}"
LINKS = (
    Links(
        sources=("POST /t/1/things", f"PUT {THING}"),
        targets=(f"GET {THING}", f"PUT {THING}", "GET /t/1/things"),
        parameters={"key": "$response.body#/key", "keys": "$response.body#/key"},
        body={"version": "$response.body#/version"},
    ),
)


def _app(links: tuple[Links, ...]) -> FastAPI:
    app = FastAPI(title="t", version="1")
    router = APIRouter()

    @router.post("/things", status_code=201)
    async def create(body: ThingIn) -> Thing:
        return Thing(key="k", name=body.name, version=1)

    @router.get("/things")
    async def listed(keys: str) -> list[Thing]:
        return []

    @router.get("/things/{key}")
    async def read(key: str) -> Thing:
        return Thing(key=key, name="n", version=1)

    @router.put("/things/{key}", responses={201: {"description": "created"}})
    async def put(key: str, body: ThingIn) -> Thing:
        return Thing(key=key, name=body.name, version=1)

    app.include_router(router, prefix="/t/1")
    document_errors(app, links=links)
    return app


def _links(document: dict[str, Any], method: str, path: str, status: str) -> dict[str, Any]:
    links: dict[str, Any] = document["paths"][path][method]["responses"][status]["links"]
    return links


def test_every_success_answer_of_every_source_carries_the_links() -> None:
    document = _app(LINKS).openapi()
    created = _links(document, "post", "/t/1/things", "201")
    assert set(created) == {"get_t_1_things_key", "put_t_1_things_key", "get_t_1_things"}
    assert set(_links(document, "put", THING, "200")) == set(created)
    assert set(_links(document, "put", THING, "201")) == set(created)
    assert "links" not in document["paths"][THING]["put"]["responses"]["404"]


def test_each_target_gets_only_the_parameters_and_body_fields_it_declares() -> None:
    created = _links(_app(LINKS).openapi(), "post", "/t/1/things", "201")
    assert created["get_t_1_things_key"] == {
        "operationRef": "#/paths/~1t~11~1things~1{key}/get",
        "parameters": {"key": "$response.body#/key"},
    }
    assert created["put_t_1_things_key"]["requestBody"] == {"version": "$response.body#/version"}
    assert created["get_t_1_things"]["parameters"] == {"keys": "$response.body#/key"}


def test_a_link_to_an_operation_the_document_lacks_is_refused() -> None:
    wrong = Links(
        sources=("POST /t/1/things",), targets=("DELETE /t/1/things/{key}",), parameters={}
    )
    with pytest.raises(ValueError, match="DELETE /t/1/things/"):
        _app((wrong,)).openapi()


def test_a_whole_number_takes_twelve_point_zero_but_no_fraction_string_or_boolean() -> None:
    assert ThingIn.model_validate_json('{"name": "n", "version": 12.0}').version == 12
    for sent in ("12.5", '"12"', "true"):
        with pytest.raises(ValueError, match="valid integer"):
            ThingIn.model_validate_json(f'{{"name": "n", "version": {sent}}}')
