"""Messages to customers, their delivery states and who may read them. No I/O here.

stored                      (delivery `store`: kept and readable through the API, nothing sent)
pending ──► delivered       (delivery `smtp`: sent once by the outbox-style sender)
   │
   └─ a failed attempt waits `backoff(attempts)` and tries again; after `max_attempts` ► failed
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bazaar_chassis import Caller, Forbidden

PRIVILEGED_READERS = frozenset({"admin", "operator"})  # may read anyone's messages (`?to=`)


class Delivery(StrEnum):
    STORED = "stored"
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    event_id: str  # the fact it answers: one message per event, ever
    kind: str
    recipient: str  # the customer's subject
    to: str  # the customer's email
    subject: str
    body: str
    order_id: str | None
    sent_at: datetime  # when the platform wrote it (the API's `sent_at`)
    delivery: Delivery
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str


@dataclass(frozen=True, slots=True)
class Purchase:
    """A customer bought a SKU (a confirmed order): whom a recall of it must reach."""

    sku: str
    recipient: str
    to: str
    order_id: str
    name: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th failure: doubling, capped."""
        return timedelta(seconds=min(self.max_seconds, self.base_seconds * 2 ** (attempts - 1)))


def new_message(
    *,
    id: str,
    event_id: str,
    kind: str,
    recipient: str,
    to: str,
    subject: str,
    body: str,
    order_id: str | None,
    now: datetime,
    send: bool,
) -> Message:
    """A message as the template wrote it: `pending` when a sender will deliver it."""
    return Message(
        id=id,
        event_id=event_id,
        kind=kind,
        recipient=recipient,
        to=to,
        subject=subject,
        body=body,
        order_id=order_id,
        sent_at=now,
        delivery=Delivery.PENDING if send else Delivery.STORED,
        attempts=0,
        next_attempt_at=now if send else None,
        delivered_at=None,
        last_error="",
    )


def delivered(message: Message, *, now: datetime) -> Message:
    return replace(
        message,
        delivery=Delivery.DELIVERED,
        attempts=message.attempts + 1,
        next_attempt_at=None,
        delivered_at=now,
        last_error="",
    )


def attempt_failed(message: Message, *, now: datetime, error: str, retry: RetryPolicy) -> Message:
    """Count the failure; wait longer each time, give up after `retry.max_attempts`."""
    attempts = message.attempts + 1
    if attempts >= retry.max_attempts:
        return replace(
            message,
            delivery=Delivery.FAILED,
            attempts=attempts,
            next_attempt_at=None,
            last_error=error[:500],
        )
    return replace(
        message,
        attempts=attempts,
        next_attempt_at=now + retry.backoff(attempts),
        last_error=error[:500],
    )


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """Whose messages a caller asked for: a recipient's subject, or an address (privileged)."""

    recipient: str | None
    to: str | None


def readable_messages(caller: Caller, to: str | None) -> MessageQuery:
    """A caller reads their own messages; admins and operators may ask for any address."""
    if PRIVILEGED_READERS & set(caller.roles):
        return MessageQuery(recipient=None if to else caller.subject, to=to)
    if to is not None and to.lower() != (caller.email or "").lower():
        raise Forbidden("you may read only your own messages; ?to= is for admins and operators")
    return MessageQuery(recipient=caller.subject, to=to)
