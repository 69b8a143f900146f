"""What of the lean front no live test reaches in every case: which paths are the gateway's own
(checked against aiohttp's router itself), that an answer whose headers could split it is never
written (aiohttp refuses to write one too), and that a client which does not read its answers
is not read either."""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from bazaar_chassis.kept import CHARACTERS as KEPT_PATH_CHARACTERS
from bazaar_chassis.testing import eventually
from bazaar_gateway import front
from bazaar_gateway.app import build_app
from bazaar_gateway.forwarding import forward
from bazaar_gateway.front import Front, OwnRoutes
from bazaar_gateway.incoming import Incoming
from bazaar_gateway.settings import GatewaySettings
from bazaar_gateway.state import GATEWAY, Gateway


@pytest.fixture
def app() -> web.Application:
    return build_app(
        GatewaySettings(
            nats_url="nats://127.0.0.1:9",
            assertion_secret=SecretStr(secrets.token_urlsafe(32)),
            storefront_url="http://127.0.0.1:9",
        )
    )


def _example(resource: web.AbstractResource) -> str:
    """A path the resource answers: its variables filled with a digit (every pattern here
    takes one)."""
    info = resource.get_info()
    if "path" in info:
        return str(info["path"])
    return re.sub(r"\{[^}]+\}", "1", str(info["formatter"]))


def test_every_path_of_an_own_route_is_the_gateways_own(app: web.Application) -> None:
    own = OwnRoutes(app.router)
    resources = [r for r in app.router.resources() if not any(x.handler is forward for x in r)]
    assert len(resources) > 10
    for resource in resources:
        assert _example(resource) in own, resource


@pytest.mark.parametrize(
    "path", ["/catalog/1/products", "/cart/2/carts/abc/items/SKU-1", "/search/1/products"]
)
def test_a_path_for_a_service_is_not(app: web.Application, path: str) -> None:
    assert path not in OwnRoutes(app.router)


def test_what_the_front_forwards_is_kept_per_path_as_it_would_be_decided_afresh(
    app: web.Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked twice, past the bound of what it keeps (made small): the same answer as reading
    the path again, for own routes, services and paths that are not plain."""
    monkeypatch.setattr(front, "PATHS_KEPT", 3)
    own = OwnRoutes(app.router)
    own_paths = [_example(r) for r in app.router.resources()]
    long_path = "/catalog/1/" + "a" * KEPT_PATH_CHARACTERS  # worked out, never kept
    paths = [*own_paths, "/catalog/1/products", "/cart/2/carts/abc", "/a/%2e/b", "/a/./b", "/a/"]
    paths.append(long_path)
    for path in paths + paths:
        afresh = front.PLAIN_PATH.fullmatch(path) is not None and path not in OwnRoutes(app.router)
        assert own.forwards(path) == afresh, path
    assert own.forwards("/catalog/1/products")
    assert not own.forwards("/healthz")


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False
        self.reading = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def is_reading(self) -> bool:
        return self.reading

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 50000) if name == "peername" else default


def _front(app: web.Application, transport: _Transport) -> Front:
    """A front on `transport` for the gateway `app` (its aiohttp side never used)."""
    connection = Front(
        app[GATEWAY],
        set(),
        asyncio.Protocol,
        OwnRoutes(app.router),
        keepalive_seconds=60,
        head_seconds=10,
    )
    connection.connection_made(transport)
    return connection


async def test_an_answer_whose_header_would_split_it_is_a_500(
    app: web.Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def split_answer(gateway: Gateway, request: Incoming) -> web.Response:
        return web.Response(text="{}", headers={"Link": "<x>\r\nSet-Cookie: session=stolen"})

    monkeypatch.setattr(front, "forward_incoming", split_answer)
    transport = _Transport()
    connection = _front(app, transport)
    connection.data_received(b"GET /catalog/1/a HTTP/1.1\r\nHost: gateway\r\n\r\n")

    async def answered() -> bytes:
        return transport.written

    written = await eventually(answered, message="nothing was written")
    assert written.startswith(b"HTTP/1.1 500 ")
    assert b"Set-Cookie" not in written
    connection.connection_lost(None)


async def test_reading_pauses_while_answers_pile_up_and_resumes_once_they_drain(
    app: web.Application,
) -> None:
    transport = _Transport()
    connection = _front(app, transport)
    connection.pause_writing()  # what the transport says once its write buffer is full
    assert not transport.is_reading()
    connection.resume_writing()
    assert transport.is_reading()
    connection.connection_lost(None)
