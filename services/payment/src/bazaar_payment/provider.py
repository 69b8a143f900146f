"""The provider port: what the payment service needs from a card processor, and nothing more.

`provider_http.HttpTestProvider` implements it for the bundled test provider; a Stripe-like
adapter would map the same calls (payment intents with `capture_method=manual`, capture, cancel,
refunds, `Idempotency-Key`) and its signed webhooks onto `Notice`. Use cases see only this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bazaar_chassis import Money
from bazaar_payment.domain import Kind, Status


@dataclass(frozen=True, slots=True)
class CardToken:
    ref: str  # the provider's id of the stored card
    brand: str
    last4: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A verified webhook, as the ledger understands it: one transaction of an order, settled."""

    order_id: str
    kind: Kind
    succeeded: bool
    provider_ref: str  # the provider's payment intent
    reason: str | None = None

    @property
    def status(self) -> Status:
        """What the ledger records for the transaction."""
        return Status.SUCCEEDED if self.succeeded else Status.FAILED


class ProviderUnavailable(Exception):
    """A transient failure (timeout, 5xx): the same call, with the same key, may be retried."""


class ProviderRejected(Exception):
    """The provider refused the call for good (4xx); the message says why."""


class InvalidSignature(Exception):
    """A webhook whose signature or timestamp does not verify: not from the provider."""


class PaymentProvider(Protocol):
    async def tokenize(self, card_number: str) -> CardToken: ...
    async def close(self) -> None:
        """Release connections (at shutdown)."""
        ...

    async def authorize(self, *, key: str, amount: Money, method_ref: str, order_id: str) -> str:
        """Ask for an authorization (no capture); returns the provider's payment intent id."""
        ...

    async def capture(self, *, key: str, intent_ref: str) -> None: ...
    async def void(self, *, key: str, intent_ref: str) -> None: ...
    async def refund(self, *, key: str, intent_ref: str, amount: Money) -> None: ...

    def read_webhook(self, *, headers: Mapping[str, str], body: bytes, now: float) -> Notice | None:
        """The notice a signed webhook carries (None: a kind we do not use); raises
        `InvalidSignature` unless it is the provider's and recent."""
        ...
