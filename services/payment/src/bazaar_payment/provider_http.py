"""The provider port over HTTP, for the bundled test provider (apps/payment-provider).

Bearer API key on every call, `Idempotency-Key` on every money-moving one; replies are 202 and
results come back as webhooks signed `Provider-Signature: t=<unix>,v1=<hex HMAC-SHA256 of t.body>`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from bazaar_chassis import Money
from bazaar_payment.domain import Kind
from bazaar_payment.provider import (
    CardToken,
    InvalidSignature,
    Notice,
    ProviderRejected,
    ProviderUnavailable,
)

SIGNATURE_HEADER = "provider-signature"
WEBHOOK_KINDS: dict[str, tuple[Kind, bool]] = {
    "payment_intent.authorized": (Kind.AUTHORIZE, True),
    "payment_intent.declined": (Kind.AUTHORIZE, False),
    "payment_intent.captured": (Kind.CAPTURE, True),
    "payment_intent.canceled": (Kind.VOID, True),
    "refund.succeeded": (Kind.REFUND, True),
    "refund.failed": (Kind.REFUND, False),
}


class HttpTestProvider:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        webhook_secret: str,
        tolerance_seconds: float = 300.0,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._secret = webhook_secret.encode()
        self._tolerance = tolerance_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _post(self, path: str, body: dict[str, Any], *, key: str | None = None) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {**self._headers, **({"Idempotency-Key": key} if key else {})}
        try:
            async with self._session.post(
                self._base_url + path, data=orjson.dumps(body), headers=headers
            ) as reply:
                payload = orjson.loads(await reply.read() or b"{}")
                status = reply.status
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as exc:
            raise ProviderUnavailable(f"provider unreachable: {exc!r}") from exc
        if status >= 500 or status == 429:
            raise ProviderUnavailable(f"provider answered {status}: {payload.get('detail', '')}")
        if status >= 400:
            raise ProviderRejected(str(payload.get("detail") or f"provider answered {status}"))
        return payload

    async def tokenize(self, card_number: str) -> CardToken:
        method = await self._post("/v1/payment_methods", {"card_number": card_number})
        return CardToken(ref=method["id"], brand=method["brand"], last4=method["last4"])

    async def authorize(self, *, key: str, amount: Money, method_ref: str, order_id: str) -> str:
        intent = await self._post(
            "/v1/payment_intents",
            {
                "amount": amount.amount,
                "currency": amount.currency,
                "payment_method": method_ref,
                "capture": False,
                "metadata": {"order_id": order_id},
            },
            key=key,
        )
        return str(intent["id"])

    async def capture(self, *, key: str, intent_ref: str) -> None:
        await self._post(f"/v1/payment_intents/{intent_ref}/capture", {}, key=key)

    async def void(self, *, key: str, intent_ref: str) -> None:
        await self._post(f"/v1/payment_intents/{intent_ref}/cancel", {}, key=key)

    async def refund(self, *, key: str, intent_ref: str, amount: Money) -> None:
        await self._post(
            "/v1/refunds", {"payment_intent": intent_ref, "amount": amount.amount}, key=key
        )

    def read_webhook(self, *, headers: Mapping[str, str], body: bytes, now: float) -> Notice | None:
        self._verify(headers.get(SIGNATURE_HEADER, ""), body, now)
        try:
            event = orjson.loads(body)
            kind, succeeded = WEBHOOK_KINDS[event["type"]]
            obj = event["data"]["object"]
            error = obj.get("last_error") or {}
            return Notice(
                order_id=str(obj["metadata"]["order_id"]),
                kind=kind,
                succeeded=succeeded,
                provider_ref=str(obj.get("payment_intent") or obj["id"]),
                reason=error.get("message") or error.get("code"),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return None  # signed, but not a notice about one of our orders: nothing to do

    def _verify(self, header: str, body: bytes, now: float) -> None:
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        try:
            timestamp = int(parts["t"])
        except (KeyError, ValueError):
            raise InvalidSignature("missing or malformed Provider-Signature header") from None
        if abs(now - timestamp) > self._tolerance:
            raise InvalidSignature("webhook timestamp outside the tolerance: replayed or late")
        expected = hmac.new(self._secret, f"{timestamp}.".encode() + body, hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest(), parts.get("v1", "")):
            raise InvalidSignature("webhook signature does not match")
