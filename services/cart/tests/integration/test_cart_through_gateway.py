"""The cart on a real platform slice: identity, the gateway with its default policy, the real
inventory and catalog. The cart asks them through the gateway with its own client-credentials
token, and shoppers reach carts only as the policy and the cart's ownership checks allow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import nats
import pytest
from aiohttp import web
from pydantic import SecretStr

from bazaar_cart.service import build_app as build_cart
from bazaar_catalog.service import build_app as build_catalog
from bazaar_chassis import Event, ServiceSettings
from bazaar_chassis.testing import eventually, serving
from bazaar_chassis.testing.identity import gateway_assertion_secret
from bazaar_chassis.testing.producing import add_streams
from bazaar_gateway.app import build_app as build_gateway
from bazaar_gateway.settings import GatewaySettings
from bazaar_identity.service import build_app as build_identity
from bazaar_identity.settings import DEMO_KEY_PASSPHRASE
from bazaar_inventory.service import build_app as build_inventory
from bazaar_platform.nats_server import NatsServer

PASSWORD = "bazaar-demo"
OPERATIONS_TOKEN = "cart-test-operations-token"


class Shopfront:
    """Calls through the gateway as a demo account, a guest, or with explicit headers."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http

    async def token(self, username: str) -> str:
        form = {"grant_type": "password", "username": username, "password": PASSWORD}
        async with self.http.post(self.url + "/identity/1/token", data=form) as reply:
            assert reply.status == 200, await reply.text()
            return str((await reply.json())["access_token"])

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        cart_token: str | None = None,
        json: Any = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if cart_token:
            headers["Bazaar-Cart-Token"] = cart_token
        async with self.http.request(method, self.url + path, headers=headers, json=json) as reply:
            return reply.status, await reply.json(content_type=None)

    async def routes_to(self, *services: str) -> None:
        async def all_there() -> bool:
            operator = {"Authorization": f"Bearer {OPERATIONS_TOKEN}"}  # details are operators'
            async with self.http.get(self.url + "/readyz", headers=operator) as reply:
                body = await reply.json()
            return set(services) <= set(body["services"]) and body["policy_version"] > 0

        await eventually(all_there, timeout=15, message=f"the gateway never routed to {services}")


async def publish(nats_url: str, events: list[Event]) -> None:
    """Product, pricing and category facts, as those producers would publish them."""
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await add_streams(js, "product", "pricing", "category")
    for event in events:
        await js.publish(event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id})
    await client.close()


def fact(type: str, subject: str, sequence: int, data: dict[str, Any]) -> Event:
    return Event(type=type, subject=subject, sequence=sequence, data=data, source="/test/0")


def product(sku: str, status: str, sequence: int) -> Event:
    data = {"sku": sku, "name": "Green tea", "description": "", "attributes": {}, "status": status}
    return fact("product.updated.v1", sku, sequence, data)


@pytest.fixture
async def shopfront(
    nats_server: NatsServer, service_settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Shopfront]:
    monkeypatch.setenv("BAZAAR_IDENTITY_KEY_PASSPHRASE", DEMO_KEY_PASSPHRASE)

    def settings(name: str, **extra: Any) -> ServiceSettings:
        return service_settings.model_copy(
            update={"instance_id": name, "data_dir": service_settings.data_dir / name, **extra}
        )

    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(aiohttp.ClientSession())
        await stack.enter_async_context(serving(build_identity, settings("identity")))
        runner = web.AppRunner(
            build_gateway(
                GatewaySettings(
                    nats_url=nats_server.url,
                    assertion_secret=SecretStr(gateway_assertion_secret()),
                    operations_token=SecretStr(OPERATIONS_TOKEN),
                )
            )
        )
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        front = Shopfront(f"http://127.0.0.1:{runner.addresses[0][1]}", http)
        await front.routes_to("identity")
        admin = await front.token("admin@bazaar.test")

        async def register_cart() -> dict[str, Any] | None:
            """The cart's OAuth2 client (503 until the gateway has identity's signing keys)."""
            status, client = await front.call(
                "POST", "/identity/1/clients", token=admin, json={"client_id": "cart"}
            )
            assert status in (201, 503), client
            return client if status == 201 else None

        client = await eventually(register_cart, timeout=15, message="no client for the cart")
        cart = settings("cart", gateway_url=front.url, client_secret=client["client_secret"])
        await stack.enter_async_context(serving(build_inventory, settings("inventory")))
        await stack.enter_async_context(serving(build_catalog, settings("catalog")))
        await stack.enter_async_context(serving(build_cart, cart))
        await front.routes_to("inventory", "catalog", "cart")
        yield front


async def test_a_shopper_fills_a_cart_from_the_real_catalog_and_inventory_through_the_gateway(
    shopfront: Shopfront, nats_server: NatsServer
) -> None:
    admin = await shopfront.token("admin@bazaar.test")
    status, _ = await shopfront.call(
        "PUT", "/inventory/1/stock/TEA-1", token=admin, json={"quantity": 3}
    )
    assert status == 200
    await publish(
        nats_server.url,
        [
            product("TEA-1", "active", 1),
            fact(
                "pricing.price_changed.v1",
                "TEA-1",
                1,
                {"sku": "TEA-1", "base_prices": [{"amount": 450, "currency": "USD"}]},
            ),
            fact(
                "category.product_assigned.v1",
                "tea/TEA-1",
                1,
                {"category": "tea", "sku": "TEA-1", "position": 0},
            ),
        ],
    )

    async def listed() -> bool:
        status, item = await shopfront.call("GET", "/catalog/1/products/TEA-1")
        return status == 200 and item["price"] is not None and item["categories"] == ["tea"]

    await eventually(listed, message="the catalog never listed TEA-1 with its price")

    shopper = await shopfront.token("shopper@bazaar.test")
    status, cart = await shopfront.call("POST", "/cart/1/carts", token=shopper)
    assert status == 201, cart
    items = f"/cart/1/carts/{cart['id']}/items"
    status, filled = await shopfront.call(
        "POST", items, token=shopper, json={"sku": "TEA-1", "quantity": 2}
    )
    assert status == 201, filled
    assert filled["lines"][0]["name"] == "Green tea"
    assert filled["lines"][0]["unit_price"] == {"amount": 450, "currency": "USD"}
    assert filled["lines"][0]["categories"] == ["tea"]
    status, refused = await shopfront.call(
        "POST", items, token=shopper, json={"sku": "TEA-1", "quantity": 2}
    )
    assert (status, refused["available"], refused["requested"]) == (409, 3, 4)

    other = await shopfront.token("shopper2@bazaar.test")
    assert (await shopfront.call("GET", f"/cart/1/carts/{cart['id']}", token=other))[0] == 404
    assert (await shopfront.call("GET", f"/cart/1/carts/{cart['id']}"))[0] == 404  # a guest
    assert (await shopfront.call("GET", "/cart/1/carts", token=shopper))[0] == 405  # no such route

    status, guest_cart = await shopfront.call("POST", "/cart/1/carts")
    assert status == 201, guest_cart
    guest_items = f"/cart/1/carts/{guest_cart['id']}/items"
    status, _ = await shopfront.call(
        "POST",
        guest_items,
        cart_token=guest_cart["cart_token"],
        json={"sku": "TEA-1", "quantity": 1},
    )
    assert status == 201

    await publish(nats_server.url, [product("TEA-1", "recalled", 2)])

    async def recalled() -> dict[str, Any] | None:
        status, body = await shopfront.call(
            "POST",
            guest_items,
            cart_token=guest_cart["cart_token"],
            json={"sku": "TEA-1", "quantity": 1},
        )
        return body if status == 409 and "recalled" in body["detail"] else None

    await eventually(recalled, message="a recalled product could still be added")
