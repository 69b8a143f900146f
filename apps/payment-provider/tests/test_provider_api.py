"""The test provider on a real port: API keys, idempotency keys, test cards, and signed webhooks
that are retried until the receiver answers 2xx."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from bazaar_chassis.testing import eventually
from bazaar_payment_provider.app import ProviderSettings, running
from bazaar_payment_provider.cards import luhn_valid

KEY, SECRET = "k-test", "s-test"


@dataclass
class Receiver:
    """Where webhooks go: answers 500 to the first `failures` deliveries."""

    failures: int = 0
    deliveries: list[tuple[str, bytes]] = field(default_factory=list)

    async def receive(self, request: web.Request) -> web.Response:
        self.deliveries.append((request.headers["Provider-Signature"], await request.read()))
        if self.failures:
            self.failures -= 1
            return web.Response(status=500)
        return web.Response(status=200)

    def types(self) -> list[str]:
        return [orjson.loads(body)["type"] for _, body in self.deliveries]


@dataclass
class Provider:
    url: str
    http: aiohttp.ClientSession
    receiver: Receiver

    async def post(
        self, path: str, body: dict[str, Any], key: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Idempotency-Key": key} if key else {}
        async with self.http.post(self.url + path, json=body, headers=headers) as reply:
            return reply.status, await reply.json()

    async def card(self, number: str) -> str:
        status, method = await self.post("/v1/payment_methods", {"card_number": number})
        assert status == 201, method
        return str(method["id"])

    async def intent(self, card: str, key: str, *, capture: bool = False) -> tuple[int, Any]:
        body = {
            "amount": 1200,
            "currency": "USD",
            "payment_method": card,
            "capture": capture,
            "metadata": {"order_id": key},
        }
        return await self.post("/v1/payment_intents", body, key)


@contextlib.asynccontextmanager
async def provider_at(data_dir: Path, *, poll_seconds: float = 0.05) -> AsyncIterator[Provider]:
    """The provider on a free port, its webhooks going to a receiver of the test's own."""
    receiver = Receiver()
    hook = web.Application()
    hook.router.add_post("/hook", receiver.receive)
    runner = web.AppRunner(hook, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)  # the kernel picks the port: no free-port race
    await site.start()
    port = runner.addresses[0][1]
    settings = ProviderSettings(
        data_dir=data_dir,
        port=0,
        payment_provider_api_key=KEY,
        payment_provider_webhook_secret=SECRET,
        payment_provider_webhook_url=f"http://127.0.0.1:{port}/hook",
        payment_provider_poll_seconds=poll_seconds,
    )
    try:
        async with (
            running(settings) as url,
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}) as http,
        ):
            yield Provider(url, http, receiver)
    finally:
        await runner.cleanup()


@pytest.fixture
async def provider(tmp_path: Path) -> AsyncIterator[Provider]:
    async with provider_at(tmp_path) as running_provider:
        yield running_provider


async def test_every_call_needs_the_api_key(provider: Provider) -> None:
    async with aiohttp.ClientSession() as anonymous:
        reply = await anonymous.post(provider.url + "/v1/payment_methods", json={})
        assert reply.status == 401
        assert "API key" in (await reply.json())["detail"]


async def test_a_card_is_kept_and_answered_as_a_token_with_brand_and_last_four(
    provider: Provider,
) -> None:
    status, method = await provider.post("/v1/payment_methods", {"card_number": "4242424242424242"})
    assert status == 201
    assert (method["brand"], method["last4"]) == ("visa", "4242")
    assert "card_number" not in method
    status, refused = await provider.post(
        "/v1/payment_methods", {"card_number": "4242424242424241"}
    )
    assert (status, "Luhn" in refused["detail"]) == (422, True)


async def test_the_same_idempotency_key_gets_the_same_intent_and_never_a_second_charge(
    provider: Provider,
) -> None:
    card = await provider.card("4242424242424242")
    first = await provider.intent(card, "order-1:authorize")
    again = await provider.intent(card, "order-1:authorize")
    assert first[0] == again[0] == 202
    assert first[1]["id"] == again[1]["id"]
    await eventually(lambda: _types(provider, ["payment_intent.authorized"]))
    async with provider.http.get(
        provider.url + "/v1/payment_intents", params={"order_id": "order-1:authorize"}
    ) as reply:
        assert len((await reply.json())["data"]) == 1


async def _types(provider: Provider, expected: list[str]) -> bool:
    return provider.receiver.types() == expected


async def test_the_transient_card_fails_once_then_succeeds_with_the_same_key(
    provider: Provider,
) -> None:
    card = await provider.card("4000000000000119")
    assert (await provider.intent(card, "o-2"))[0] == 503
    status, intent = await provider.intent(card, "o-2", capture=True)
    assert status == 202
    await eventually(lambda: _types(provider, ["payment_intent.captured"]))
    assert orjson.loads(provider.receiver.deliveries[0][1])["data"]["object"]["id"] == intent["id"]


async def test_a_result_due_at_once_is_announced_without_waiting_for_the_next_poll(
    tmp_path: Path,
) -> None:
    async with provider_at(tmp_path, poll_seconds=3600) as slow_polling:
        card = await slow_polling.card("4242424242424242")
        status, _ = await slow_polling.intent(card, "o-now", capture=True)
        assert status == 202
        # Only the wake-up can deliver it within the wait: the next poll is an hour away.
        await eventually(lambda: _types(slow_polling, ["payment_intent.captured"]))
        status, _ = await slow_polling.intent(card, "o-later")
        await eventually(
            lambda: _types(slow_polling, ["payment_intent.captured", "payment_intent.authorized"])
        )


async def test_a_declined_card_is_announced_by_webhook_and_cannot_be_captured(
    provider: Provider,
) -> None:
    card = await provider.card("4000000000000002")
    _, intent = await provider.intent(card, "o-3")
    await eventually(lambda: _types(provider, ["payment_intent.declined"]))
    status, body = await provider.post(f"/v1/payment_intents/{intent['id']}/capture", {}, "c-3")
    assert (status, "declined" in body["detail"]) == (409, True)


async def test_webhooks_are_signed_and_retried_until_the_receiver_says_2xx(
    provider: Provider,
) -> None:
    provider.receiver.failures = 2
    card = await provider.card("4242424242424242")
    await provider.intent(card, "o-4", capture=True)
    await eventually(lambda: _delivered(provider, 3), message="not retried until 2xx")
    bodies = {body for _, body in provider.receiver.deliveries}
    assert len(bodies) == 1  # the same event each time
    header, body = provider.receiver.deliveries[-1]
    parts = dict(p.split("=", 1) for p in header.split(","))
    mac = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    assert parts["v1"] == mac.hexdigest()


async def _delivered(provider: Provider, count: int) -> bool:
    return len(provider.receiver.deliveries) >= count and provider.receiver.failures == 0


async def test_a_captured_payment_is_refunded_once_and_not_beyond_its_amount(
    provider: Provider,
) -> None:
    card = await provider.card("4242424242424242")
    _, intent = await provider.intent(card, "o-5", capture=True)
    await eventually(lambda: _types(provider, ["payment_intent.captured"]))
    refund = {"payment_intent": intent["id"], "amount": 1200}
    assert (await provider.post("/v1/refunds", refund, "o-5:refund"))[0] == 202
    assert (await provider.post("/v1/refunds", refund, "o-5:refund"))[0] == 202  # replayed
    await eventually(lambda: _types(provider, ["payment_intent.captured", "refund.succeeded"]))
    status, body = await provider.post("/v1/refunds", refund, "o-5:refund-again")
    assert (status, "at most 0" in body["detail"]) == (422, True)


@pytest.mark.parametrize("number", ["²" * 16, "٤" * 16])
def test_digits_that_are_not_ascii_make_no_card_number(number: str) -> None:
    assert not luhn_valid(number)  # "²" is a digit to str.isdigit, and int() refuses it
