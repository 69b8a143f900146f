"""How consumed facts change the customer's records: one handler per event name, on one screen.

Each reads its event with the tolerant model of `events` and hands the fields to a use case on
the consumer's unit of work (the inbox makes a redelivered event change nothing)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bazaar_chassis import Event, Handler, UnitOfWork
from bazaar_customer import use_cases
from bazaar_customer.events import OrderFacts, UserRegistered
from bazaar_customer.store import CustomerStore


async def on_user_registered(event: Event, uow: UnitOfWork) -> None:
    facts = UserRegistered.model_validate(event.data)
    await use_cases.record_registration(
        store=CustomerStore(uow.connection),
        subject=facts.id,
        email=facts.email,
        name=facts.name,
        organization=facts.organization,
        sequence=event.sequence,
    )


def on_order(kind: str) -> Callable[[Event, UnitOfWork], Awaitable[None]]:
    async def apply(event: Event, uow: UnitOfWork) -> None:
        facts = OrderFacts.model_validate(event.data)
        await use_cases.record_order_fact(
            store=CustomerStore(uow.connection),
            kind=kind,
            order_id=facts.order_id,
            subject=facts.customer.subject,
            total_amount=facts.total.amount,
            total_currency=facts.total.currency,
            when=facts.when(event),
            sequence=event.sequence,
        )

    return apply


HANDLERS: dict[str, Handler] = {
    "identity.user_registered": on_user_registered,
    "order.placed": on_order("placed"),
    "order.confirmed": on_order("confirmed"),
    "order.cancelled": on_order("cancelled"),
}
