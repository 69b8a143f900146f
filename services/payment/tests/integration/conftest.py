"""Payment with the real test provider on a real port, real NATS and a real database: the
fixture and helpers of the integration tests.

The tests publish the checkout facts the way order, inventory and promotion would, plays the
gateway for the provider's webhooks (it adds a guest identity and forwards), and assert on the
events payment publishes, its ledger, and the charges the provider holds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
import nats
import orjson
import pytest
from aiohttp import web
from nats.js import JetStreamContext

from bazaar_chassis import Caller, Event, ServiceSettings
from bazaar_chassis.caller import GUEST
from bazaar_chassis.testing import (
    ADMIN,
    EventProbe,
    ServedApp,
    eventually,
    identity_headers,
    served_client,
    serving,
)
from bazaar_chassis.testing.producing import add_streams
from bazaar_payment.service import build_app
from bazaar_payment.settings import PaymentSettings
from bazaar_payment_provider.app import ProviderSettings, running
from bazaar_payment_provider.signing import signature
from bazaar_platform.nats_server import NatsServer

API_KEY, SECRET = "test-api-key", "test-webhook-secret"
WEBHOOK_PATH = "/payment/1/webhooks/test-provider"
ORDER = Caller(subject="service:order", kind="service", organization="bazaar", roles=())
SHOPPER = Caller(subject="shopper-1", kind="user", organization="public", roles=("customer",))
OTHER = Caller(subject="shopper-2", kind="user", organization="public", roles=("customer",))


@dataclass
class Checkout:
    """The payment service, its provider, and the producers of the facts it consumes."""

    js: JetStreamContext
    payment: httpx.AsyncClient
    provider: aiohttp.ClientSession
    provider_url: str
    probe: EventProbe
    settings: ServiceSettings  # of the running instance: another may start with the same
    payment_settings: PaymentSettings
    instance: ServedApp  # the instance `payment` talks to, and the forwarded webhooks reach
    webhooks: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def publish(self, type: str, order_id: str, data: dict[str, Any]) -> None:
        event = Event(type=type, subject=order_id, sequence=1, data=data, source="/test")
        await self.js.publish(
            event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id}
        )

    async def card(self, number: str) -> str:
        reply = await self.payment.post(
            "/payment/1/methods", json={"card_number": number}, headers=identity_headers(ORDER)
        )
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    async def place(self, card: str, *, amount: int = 2500, codes: list[str] | None = None) -> str:
        order_id = str(uuid.uuid4())
        await self.publish("order.placed.v1", order_id, placed(order_id, card, amount, codes or []))
        return order_id

    async def reserve(self, order_id: str) -> None:
        await self.publish(
            "inventory.stock_reserved.v1",
            order_id,
            {"order_id": order_id, "lines": [{"sku": "COF-1", "quantity": 1}], "expires_at": "x"},
        )

    async def cancel(self, order_id: str) -> None:
        await self.publish(
            "order.cancelled.v1", order_id, {"order_id": order_id, "reason": "customer asked"}
        )

    async def charges(self, order_id: str) -> list[dict[str, Any]]:
        async with self.provider.get(
            f"{self.provider_url}/v1/payment_intents", params={"order_id": order_id}
        ) as reply:
            return list((await reply.json())["data"])

    async def payment_of(self, order_id: str, caller: Caller = ADMIN) -> httpx.Response:
        return await self.payment.get(
            f"/payment/1/payments/{order_id}", headers=identity_headers(caller)
        )

    async def state(self, order_id: str) -> dict[str, Any]:
        reply = await self.payment_of(order_id)
        return dict(reply.json()) if reply.status_code == 200 else {}


def placed(order_id: str, card: str, amount: int, codes: list[str]) -> dict[str, Any]:
    money = {"amount": amount, "currency": "USD"}
    return {
        "order_id": order_id,
        "cart_id": "cart-1",
        "customer": {"subject": SHOPPER.subject, "email": "s@bazaar.test"},
        "lines": [],
        "subtotal": money,
        "discounts": [],
        "total": money,
        "codes": codes,
        "payment_method_id": card,
        "placed_at": "2026-12-02T00:00:00Z",
    }


@asynccontextmanager
async def playing_the_gateway(checkout: list[Checkout]) -> AsyncIterator[int]:
    """Forwards the provider's webhooks to payment as the gateway does: with a guest identity.

    Listens on a port the kernel picks (no free-port race) and yields it.
    """

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() == "provider-signature"}
        checkout[0].webhooks.append((headers, body))
        reply = await checkout[0].payment.post(
            WEBHOOK_PATH, content=body, headers={**headers, **identity_headers(GUEST)}
        )
        return web.Response(status=reply.status_code, body=reply.content)

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@pytest.fixture
def worker_poll_seconds() -> float:
    """The provider worker's safety-net poll; a test module may override it."""
    return PaymentSettings().worker_poll_seconds


@pytest.fixture
async def checkout(
    worker_poll_seconds: float,
    tmp_path: Any,
    nats_server: NatsServer,
    service_settings: ServiceSettings,
    database_url: str,
    event_probe: EventProbe,
) -> AsyncIterator[Checkout]:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await add_streams(js, "order", "inventory", "promotion")
    holder = list[Checkout]()
    settings = service_settings.model_copy(update={"database_url": database_url})
    async with playing_the_gateway(holder) as gateway_port:
        provider_settings = ProviderSettings(
            data_dir=tmp_path / "provider",
            port=0,
            payment_provider_api_key=API_KEY,
            payment_provider_webhook_secret=SECRET,
            payment_provider_webhook_url=f"http://127.0.0.1:{gateway_port}{WEBHOOK_PATH}",
        )
        async with running(provider_settings) as provider_url:
            payment_settings = PaymentSettings(
                provider_url=provider_url,
                provider_api_key=API_KEY,
                provider_webhook_secret=SECRET,
                worker_poll_seconds=worker_poll_seconds,
            )
            async with (
                serving(lambda s: build_app(s, payment_settings), settings) as served,
                served_client(served.url) as payment,
                aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_KEY}"}) as session,
            ):
                holder.append(
                    Checkout(
                        js,
                        payment,
                        session,
                        provider_url,
                        event_probe,
                        settings,
                        payment_settings,
                        served,
                    )
                )
                await eventually(lambda: _ready(payment), message="payment not ready")
                yield holder[0]
    await client.close()


async def _ready(payment: httpx.AsyncClient) -> bool:
    return bool((await payment.get("/readyz")).json()["status"] == "ready")


def about(order_id: str) -> Any:
    return lambda event: event.data.get("order_id") == order_id


def signed(
    type: str, order_id: str, *, secret: str = SECRET, at: float | None = None
) -> tuple[dict[str, str], bytes]:
    body = orjson.dumps(
        {
            "id": "evt_x",
            "type": type,
            "data": {"object": {"id": "pi_x", "metadata": {"order_id": order_id}}},
        }
    )
    stamp = signature(secret=secret, timestamp=int(at or time.time()), body=body)
    return {"Provider-Signature": stamp, **identity_headers(GUEST)}, body
