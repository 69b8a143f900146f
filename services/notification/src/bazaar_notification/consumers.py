"""How consumed facts become messages: every event name in the template table, one handler;
`order.confirmed` also records who bought what, and `product.recalled` tells the buyers.

The inbox makes a redelivered event change nothing, and the store's unique event id makes it
impossible to write two messages for one event even if the inbox entry was forgotten."""

from __future__ import annotations

from bazaar_chassis import Event, Handler, UnitOfWork, units_within
from bazaar_notification import recalls, use_cases
from bazaar_notification.events import OrderConfirmed, ProductRecalled
from bazaar_notification.store import MessageStore
from bazaar_notification.templates import TEMPLATES


def handlers(*, send: bool) -> dict[str, Handler]:
    """One handler per template, plus the recall; `send`: the messages wait for the sender."""

    async def notify(event: Event, uow: UnitOfWork) -> None:
        await use_cases.record_notice(
            store=MessageStore(uow.connection),
            event_id=event.id,
            notice=TEMPLATES[event.name](event.data),
            send=send,
        )

    async def confirmed(event: Event, uow: UnitOfWork) -> None:
        await notify(event, uow)
        await recalls.remember_purchases(
            store=MessageStore(uow.connection),
            confirmed=OrderConfirmed.model_validate(event.data),
            send=send,
        )

    async def recalled(event: Event, uow: UnitOfWork) -> None:
        facts = ProductRecalled.model_validate(event.data)
        async with units_within(uow, MessageStore)() as work:
            await recalls.notify_recall(
                work=work, sku=facts.sku, reason=facts.reason, sequence=event.sequence, send=send
            )

    table: dict[str, Handler] = dict.fromkeys(TEMPLATES, notify)
    table["order.confirmed"] = confirmed
    table["product.recalled"] = recalled
    return table
