"""How consumed facts become messages: every event name in the template table, one handler.

The inbox makes a redelivered event change nothing, and the store's unique event id makes it
impossible to write two messages for one event even if the inbox entry was forgotten."""

from __future__ import annotations

from bazaar_chassis import Event, Handler, UnitOfWork
from bazaar_notification import use_cases
from bazaar_notification.store import MessageStore
from bazaar_notification.templates import TEMPLATES


def handlers(*, send: bool) -> dict[str, Handler]:
    """One handler per template; `send`: the messages wait for the SMTP sender."""

    async def notify(event: Event, uow: UnitOfWork) -> None:
        await use_cases.record_notice(
            store=MessageStore(uow.connection),
            event_id=event.id,
            notice=TEMPLATES[event.name](event.data),
            send=send,
        )

    table: dict[str, Handler] = dict.fromkeys(TEMPLATES, notify)
    return table
