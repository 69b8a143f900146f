"""Recall notices (issue 10): every customer who bought a recalled SKU is told, once; nobody
else is. Who bought what comes from `order.confirmed` (the `purchases` table)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from bazaar_chassis import Clock, Work, utc_now
from bazaar_notification import events, templates, use_cases
from bazaar_notification.domain import Purchase
from bazaar_notification.events import OrderConfirmed
from bazaar_notification.use_cases import MessageSink


class Recalls(MessageSink, Protocol):
    """The message store plus who bought what and what was recalled (`store.MessageStore`)."""

    async def add_purchase(self, purchase: Purchase) -> None: ...
    async def buyers(self, sku: str) -> list[Purchase]: ...
    async def mark_recalled(self, sku: str, *, reason: str, now: datetime) -> bool: ...
    async def recall_reason(self, sku: str) -> str | None: ...


def notice_key(sku: str, recipient: str) -> str:
    """The message's `event_id`: one recall notice per (SKU, buyer) ever, whichever fact and
    however many recalls lead to it."""
    return "recall-" + hashlib.sha256(f"{sku}\n{recipient}".encode()).hexdigest()[:48]


async def _notify(
    store: Recalls, purchase: Purchase, reason: str, *, send: bool, clock: Clock
) -> bool:
    return await use_cases.record_notice(
        store=store,
        event_id=notice_key(purchase.sku, purchase.recipient),
        notice=templates.product_recalled(purchase, reason),
        send=send,
        clock=clock,
    )


async def notify_recall(
    *,
    work: Work[Recalls],
    sku: str,
    reason: str,
    sequence: int,
    send: bool,
    clock: Clock = utc_now,
) -> list[str] | None:
    """React to product.recalled: a notice to each buyer of `sku`, then
    `notification.recall_notices_sent` naming them. None for a SKU recalled before."""
    if not await work.store.mark_recalled(sku, reason=reason, now=clock()):
        return None
    told = [
        purchase.recipient
        for purchase in await work.store.buyers(sku)
        if await _notify(work.store, purchase, reason, send=send, clock=clock)
    ]
    work.emit(
        events.RECALL_NOTICES_SENT,
        subject=sku,
        sequence=sequence,
        data=events.RecallNoticesSent(sku=sku, reason=reason, recipients=told).model_dump(),
    )
    return told


async def remember_purchases(
    *, store: Recalls, confirmed: OrderConfirmed, send: bool, clock: Clock = utc_now
) -> None:
    """On order.confirmed: remember who bought each SKU; a buyer of a SKU already recalled (the
    facts crossed) gets the recall notice at once."""
    for line in confirmed.lines:
        purchase = Purchase(
            sku=line.sku,
            recipient=confirmed.customer.subject,
            to=confirmed.customer.email,
            order_id=confirmed.order_id,
            name=line.name,
        )
        await store.add_purchase(purchase)
        if (reason := await store.recall_reason(line.sku)) is not None:
            await _notify(store, purchase, reason, send=send, clock=clock)
