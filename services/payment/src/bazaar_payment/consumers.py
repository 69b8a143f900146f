"""The facts payment reacts to (checkout-design.md, "Who reacts"), one line each.

Each handler reads its event with a tolerant reader and hands the use case the store on the
consumer's own transaction, so the inbox claim and the intent's change commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bazaar_chassis import Event, Handler, UnitOfWork
from bazaar_payment import use_cases
from bazaar_payment.events import AboutAnOrder, CodeRedeemed, OrderPlaced
from bazaar_payment.store import PaymentStore


@dataclass(frozen=True, slots=True)
class _Work:
    """The use cases' `Work` over a consumer's unit of work."""

    store: PaymentStore
    unit: UnitOfWork

    def emit(self, type: str, *, subject: str, sequence: int, data: dict[str, Any]) -> Event:
        return self.unit.emit(type, subject=subject, sequence=sequence, data=data)


def on(action: Callable[[_Work, Event], Awaitable[None]]) -> Handler:
    async def handle(event: Event, unit: UnitOfWork) -> None:
        await action(_Work(PaymentStore(unit.connection), unit), event)

    return handle


def _order_id(event: Event) -> str:
    return AboutAnOrder.model_validate(event.data).order_id


async def _placed(work: _Work, event: Event) -> None:
    await use_cases.order_placed(work=work, facts=OrderPlaced.model_validate(event.data))


async def _stock(work: _Work, event: Event) -> None:
    await use_cases.stock_reserved(work=work, order_id=_order_id(event))


async def _code(work: _Work, event: Event) -> None:
    facts = CodeRedeemed.model_validate(event.data)
    await use_cases.code_redeemed(work=work, order_id=facts.order_id, code=facts.code)


async def _refused(work: _Work, event: Event) -> None:
    await use_cases.order_refused(work=work, order_id=_order_id(event))


async def _cancelled(work: _Work, event: Event) -> None:
    await use_cases.order_cancelled(work=work, order_id=_order_id(event))


HANDLERS: dict[str, Handler] = {
    "order.placed": on(_placed),
    "inventory.stock_reserved": on(_stock),
    "promotion.code_redeemed": on(_code),
    "inventory.reservation_failed": on(_refused),
    "inventory.reservation_expired": on(_refused),
    "promotion.code_refused": on(_refused),
    "order.cancelled": on(_cancelled),
}
