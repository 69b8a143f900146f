"""Issue 9's oversell case across the real order and inventory services: 50 customers check out
the last 10 units of a SKU at once. A stand-in for payment captures whatever inventory reserved
(as the payment service does once stock is held); the cart and card vault are HTTP stand-ins.

Exactly 10 orders are confirmed, 40 are cancelled "out of stock", and the stock ends at zero:
none oversold, none left held.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import nats
from fastapi import FastAPI
from nats.aio.msg import Msg

from bazaar_chassis import Caller, Event, ServiceSettings
from bazaar_chassis.testing import (
    add_streams,
    eventually,
    identity_headers,
    publish,
    running_app,
    serving,
)
from bazaar_inventory.service import build_app as build_inventory
from bazaar_order.service import build_app as build_order
from bazaar_platform.nats_server import NatsServer

SKU = "LAST-10"
CUSTOMERS = [Caller(f"shopper-{n:02d}", "user", "public", ("customer",)) for n in range(50)]


@asynccontextmanager
async def capturing_payment(nats_url: str) -> AsyncIterator[None]:
    """Payment, reduced to one rule: when stock is reserved for an order, capture it."""
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await add_streams(js, "payment")

    async def on_reserved(message: Msg) -> None:
        order_id = Event.from_json(message.data).data["order_id"]
        data = {"order_id": order_id, "amount": {"amount": 500, "currency": "USD"}}
        await publish(js, "payment.captured.v1", subject=order_id, data=data)

    await client.subscribe("bazaar.inventory.stock_reserved", cb=on_reserved)
    yield
    await client.close()


async def test_fifty_checkouts_of_the_last_ten_units_confirm_exactly_ten(
    service_settings: ServiceSettings,
    nats_server: NatsServer,
    checkout_gateway: Callable[..., FastAPI],
) -> None:
    def own_dir(name: str, **more: object) -> ServiceSettings:
        data_dir = service_settings.data_dir / name
        return service_settings.model_copy(update={"data_dir": data_dir, **more})

    stand_in = checkout_gateway(sku=SKU, amount=500)
    async with AsyncExitStack() as stack:
        gateway = await stack.enter_async_context(
            serving(lambda _settings: stand_in, service_settings)
        )
        await stack.enter_async_context(capturing_payment(nats_server.url))
        inventory = await stack.enter_async_context(
            running_app(build_inventory(own_dir("inventory")))
        )
        order = await stack.enter_async_context(
            running_app(build_order(own_dir("order", gateway_url=gateway.url)))
        )
        stocked = await inventory.put(f"/inventory/1/stock/{SKU}", json={"quantity": 10})
        assert stocked.status_code == 200, stocked.text

        async def check_out(customer: Caller) -> str:
            reply = await order.post(
                "/order/1/orders",
                json={"cart_id": f"cart-{customer.subject}", "payment": {"card_number": "4" * 16}},
                headers={"Idempotency-Key": "checkout", **identity_headers(customer)},
            )
            assert reply.status_code == 201, reply.text
            return str(reply.json()["id"])

        order_ids = await asyncio.gather(*(check_out(c) for c in CUSTOMERS))

        async def all_final() -> Counter[tuple[str, str | None]]:
            outcomes: Counter[tuple[str, str | None]] = Counter()
            for customer, order_id in zip(CUSTOMERS, order_ids, strict=True):
                body = (
                    await order.get(
                        f"/order/1/orders/{order_id}", headers=identity_headers(customer)
                    )
                ).json()
                assert body["status"] in ("confirmed", "cancelled"), body["status"]
                outcomes[body["status"], body["reason"]] += 1
            return outcomes

        outcomes = await eventually(all_final, timeout=90, message="orders left open")
        assert outcomes == Counter(
            {("confirmed", None): 10, ("cancelled", f"out of stock: {SKU} (available 0)"): 40}
        )

        async def all_taken() -> bool:
            body = (await inventory.get(f"/inventory/1/stock/{SKU}")).json()
            return (body["on_hand"], body["reserved"]) == (0, 0)

        await eventually(all_taken, timeout=30, message="confirmed stock not taken off the shelf")
