"""What the promotion service does when an order is placed or cancelled: count or give back code
uses. Each handler runs a use case inside the consumer's transaction (and its inbox check)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bazaar_chassis import Event, Handler, UnitOfWork, Units, Work
from bazaar_promotion import use_cases
from bazaar_promotion.events import OrderCancelled, OrderPlaced
from bazaar_promotion.store import PromotionStore
from bazaar_promotion.use_cases import Promotions


@dataclass(frozen=True, slots=True)
class _Joined:
    """The store and `emit` of the consumer's own unit of work (committed by the consumer)."""

    store: PromotionStore
    unit: UnitOfWork

    def emit(self, type: str, *, subject: str, sequence: int, data: dict[str, Any]) -> Event:
        return self.unit.emit(type, subject=subject, sequence=sequence, data=data)


def _within(uow: UnitOfWork) -> Units[Promotions]:
    @asynccontextmanager
    async def unit() -> AsyncIterator[Work[Promotions]]:
        yield _Joined(PromotionStore(uow.connection), uow)

    return unit


def _utc(moment: datetime | None, event: Event) -> datetime:
    chosen = moment or event.time
    return chosen if chosen.tzinfo else chosen.replace(tzinfo=UTC)


async def on_order_placed(event: Event, uow: UnitOfWork) -> None:
    order = OrderPlaced.model_validate(event.data)
    if order.codes:
        await use_cases.redeem_codes(
            units=_within(uow),
            order_id=order.order_id,
            codes=order.codes,
            at=_utc(order.placed_at, event),
        )


async def on_order_cancelled(event: Event, uow: UnitOfWork) -> None:
    order = OrderCancelled.model_validate(event.data)
    await use_cases.release_codes(units=_within(uow), order_id=order.order_id)


HANDLERS: dict[str, Handler] = {
    "order.placed": on_order_placed,
    "order.cancelled": on_order_cancelled,
}
