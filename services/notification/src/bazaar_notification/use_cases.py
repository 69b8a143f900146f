"""What the notification service does, one keyword-only function per use case.

Facts from the bus become messages (`record_notice`, on the consumer's store); requests read
them (`list_messages`); the sender delivers the due ones (`deliver_due`). The store is the
`Messages` protocol below and the SMTP server a `Mailer`, so the unit tests run these functions
on fakes (tests/unit/test_notification_use_cases.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from bazaar_chassis import Caller, Clock, Reads, Units, new_id, utc_now
from bazaar_notification import domain
from bazaar_notification.domain import Message, MessageQuery, RetryPolicy
from bazaar_notification.templates import Notice


class MessageSink(Protocol):
    """Where a new message is kept (one per `event_id`)."""

    async def add(self, message: Message) -> bool: ...


class Messages(MessageSink, Protocol):
    """The message store as the use cases need it (`store.MessageStore` in production)."""

    async def get(self, message_id: str) -> Message | None: ...
    async def page(
        self, query: MessageQuery, *, limit: int, offset: int
    ) -> tuple[int, list[Message]]: ...
    async def due(self, *, now: datetime, limit: int) -> list[Message]: ...
    async def claim(self, message: Message, *, until: datetime) -> bool: ...
    async def record_attempt(self, message: Message) -> None: ...


class Mailer(Protocol):
    """Where a message goes when it leaves the platform (`mailer.SmtpMailer`)."""

    async def send(self, message: Message) -> None: ...


async def record_notice(
    *, store: MessageSink, event_id: str, notice: Notice, send: bool, clock: Clock = utc_now
) -> bool:
    """Write the one message answering `event_id` (False if it was written before)."""
    message = domain.new_message(
        id=new_id(),
        event_id=event_id,
        kind=notice.kind,
        recipient=notice.recipient,
        to=notice.to,
        subject=notice.subject,
        body=notice.body,
        order_id=notice.order_id,
        now=clock(),
        send=send,
    )
    return await store.add(message)


async def list_messages(
    *, reads: Reads[Messages], caller: Caller, to: str | None, limit: int, offset: int
) -> tuple[int, list[Message]]:
    """The caller's own messages, newest first; admins and operators may name any address."""
    query = domain.readable_messages(caller, to)
    async with reads() as store:
        return await store.page(query, limit=limit, offset=offset)


async def deliver_due(
    *,
    units: Units[Messages],
    mailer: Mailer,
    retry: RetryPolicy,
    lease: timedelta,
    batch: int,
    clock: Clock = utc_now,
) -> int:
    """Send every due message once; how many were delivered.

    Each is claimed first (its next attempt moved past the lease, in its own transaction), then
    sent outside any transaction, then its outcome recorded. Two instances never send the same
    message at once; a crash after sending and before recording sends it again after the lease
    (at-least-once, with the same Message-ID).
    """
    async with units() as work:
        due = await work.store.due(now=clock(), limit=batch)
    sent = 0
    for message in due:
        async with units() as work:
            if not await work.store.claim(message, until=clock() + lease):
                continue  # another sender has it
        try:
            await mailer.send(message)
        except Exception as exc:  # any failure of the server or the network: retry later
            outcome = domain.attempt_failed(message, now=clock(), error=repr(exc), retry=retry)
        else:
            outcome = domain.delivered(message, now=clock())
            sent += 1
        async with units() as work:
            await work.store.record_attempt(outcome)
    return sent
