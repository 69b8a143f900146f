"""What the order service does, one keyword-only function per use case (the API only parses).

Placing an order reads the cart and tokenises the card (`CartSource`, `CardVault`: HTTP in
production, fakes in tests), then inserts the order and stages `order.placed` in ONE unit of
work. Afterwards only facts move it (`record_fact`, called by consumers.py), and the customer's
cancel. The store is the `Orders` protocol below, so unit tests run all of it in memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bazaar_chassis import Caller, Clock, Reads, Units, Work, new_id, utc_now
from bazaar_order import domain, events
from bazaar_order.domain import Announcement, Card, Cart, Fact, Order

CartSource = Callable[[str], Awaitable[Cart]]
"""Reads a cart by id (CartNotFound if there is none)."""

CardVault = Callable[[str], Awaitable[Card]]
"""Tokenises a card number at payment."""

MAX_PAGE = 200


class Orders(Protocol):
    """The order store as the use cases need it (`store.OrderStore` in production)."""

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None: ...
    async def find_request(self, *, customer: str, key: str, cart_id: str) -> Order | None: ...
    async def insert_once(self, order: Order) -> bool: ...
    async def of_customer(self, customer: str, *, limit: int, offset: int) -> list[Order]: ...
    async def replace_version(self, order: Order) -> None: ...
    async def unshipped_with(self, sku: str) -> list[Order]: ...


@dataclass(frozen=True, slots=True)
class Placed:
    order: Order
    created: bool  # False: an earlier request with this key or cart made it


def _signed_in(caller: Caller) -> Caller:
    if caller.kind != "user":
        raise domain.SignInRequired
    return caller


async def place_order(
    *,
    units: Units[Orders],
    reads: Reads[Orders],
    caller: Caller,
    idempotency_key: str | None,
    cart_id: str,
    card_number: str,
    carts: CartSource,
    cards: CardVault,
    clock: Clock = utc_now,
) -> Placed:
    """Order the caller's cart, once: a repeat with the same key or cart gets the same order."""
    customer = _signed_in(caller).subject
    key = domain.check_idempotency_key(idempotency_key)
    card_number = domain.check_card_number(card_number)
    async with reads() as store:
        earlier = await store.find_request(customer=customer, key=key, cart_id=cart_id)
    if earlier is not None:
        return Placed(_earlier(earlier, customer=customer, key=key, cart_id=cart_id), False)
    cart = await carts(cart_id)
    card = await cards(card_number)
    order = domain.new_order(
        id=new_id(),
        customer=customer,
        email=caller.email,
        key=key,
        cart=cart,
        card=card,
        now=clock(),
    )
    async with units() as work:
        created = await work.store.insert_once(order)
        if created:
            _announce(work, order, events.ORDER_PLACED, events.placed(order))
    if created:
        return Placed(order, True)
    async with reads() as store:  # a concurrent request won the unique constraint
        earlier = await store.find_request(customer=customer, key=key, cart_id=cart_id)
    assert earlier is not None, "an insert that met a unique constraint found its order"
    return Placed(_earlier(earlier, customer=customer, key=key, cart_id=cart_id), False)


def _earlier(order: Order, *, customer: str, key: str, cart_id: str) -> Order:
    if order.customer != customer:  # someone else ordered this cart: not this caller's business
        raise domain.CartNotFound(cart_id)
    return domain.check_same_request(order, key=key, cart_id=cart_id)


def _announce(work: Work[Orders], order: Order, type: str, data: dict[str, object]) -> None:
    work.emit(type, subject=order.id, sequence=order.version, data=data)


async def get_order(*, reads: Reads[Orders], caller: Caller, order_id: str) -> Order:
    """One order, if the caller may see it (404 otherwise: no hint that it exists)."""
    _signed_in(caller)
    async with reads() as store:
        order = await store.get(order_id)
    if order is None or not domain.may_see(order, subject=caller.subject, roles=caller.roles):
        raise domain.OrderNotFound(order_id)
    return order


async def list_orders(
    *,
    reads: Reads[Orders],
    caller: Caller,
    customer: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Order]:
    """The caller's orders, newest first; admins and marketing may name another `customer`."""
    _signed_in(caller)
    whose = customer or caller.subject
    if whose != caller.subject and not domain.sees_everyone(caller.roles):
        raise domain.OthersOrders
    async with reads() as store:
        return await store.of_customer(whose, limit=min(limit, MAX_PAGE), offset=offset)


async def cancel_order(
    *, units: Units[Orders], caller: Caller, order_id: str, clock: Clock = utc_now
) -> Order:
    """The owner cancels an order that has not shipped; payment refunds it on order.cancelled."""
    _signed_in(caller)
    async with units() as work:
        order = await work.store.get(order_id, for_update=True)
        if order is None or order.customer != caller.subject:
            raise domain.OrderNotFound(order_id)
        if order.status == domain.OrderStatus.CANCELLED:
            return order  # cancelling twice is the same cancellation
        moved = await _apply(
            work, order, Fact.CANCEL_REQUESTED, reason=domain.CANCELLED_BY_CUSTOMER, now=clock()
        )
        if moved is order:
            raise domain.NotCancellable(order)
    return moved


async def record_fact(
    *,
    units: Units[Orders],
    order_id: str,
    fact: Fact,
    reason: str | None = None,
    clock: Clock = utc_now,
) -> Order | None:
    """Move the order by a fact from inventory, promotion or payment; None for an unknown order.

    The row is locked while it moves, so facts about one order handled at once by several
    instances apply one after the other; a repeated or late fact changes nothing it should not.
    """
    async with units() as work:
        order = await work.store.get(order_id, for_update=True)
        if order is None:
            return None
        return await _apply(work, order, fact, reason=reason, now=clock())


async def _apply(
    work: Work[Orders], order: Order, fact: Fact, *, reason: str | None, now: datetime
) -> Order:
    reaction = domain.react(order.state, fact)
    moved = domain.moved(order, reaction, reason=reason, now=now)
    if moved is order:
        return order
    await work.store.replace_version(moved)
    if reaction.announce == Announcement.CONFIRMED:
        _announce(work, moved, events.ORDER_CONFIRMED, events.confirmed(moved))
    elif reaction.announce == Announcement.CANCELLED:
        _announce(work, moved, events.ORDER_CANCELLED, events.cancelled(moved))
    return moved
