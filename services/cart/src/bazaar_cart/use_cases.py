"""What the cart service does, one keyword-only function per use case (the API only parses).

Each takes what it needs: `units` (writes), `reads` (a snapshot), `clock`, and for adding lines
the two synchronous reads of ADR 6 — `stock` (inventory) and `products` (the catalog) — as
plain async callables, so unit tests hand in fakes (tests/unit/test_cart_use_cases.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal, Protocol

from bazaar_cart import domain, events, offers
from bazaar_cart.domain import Access, Cart, LineRequest, ProductSnapshot
from bazaar_cart.events import CodeFacts, PromotionFacts
from bazaar_cart.offers import PricedCart
from bazaar_chassis import (
    Caller,
    Clock,
    Conflict,
    Forbidden,
    Reads,
    Units,
    Work,
    new_id,
    utc_now,
)

StockLookup = Callable[[str], Awaitable[int]]
"""How many units of a SKU inventory says are available right now."""

ProductLookup = Callable[[str], Awaitable[ProductSnapshot]]
"""The catalog's name, price and categories of a SKU (raises UnknownProduct / NotForSale)."""


class Carts(Protocol):
    """The cart store as the use cases need it (`store.CartStore` in production)."""

    async def get(self, cart_id: str, *, lock: bool = False) -> Cart | None: ...
    async def active_of(self, owner: str, *, lock: bool = False) -> Cart | None: ...
    async def insert(self, cart: Cart) -> bool: ...
    async def save(self, cart: Cart) -> None: ...
    async def promotions(self) -> list[PromotionFacts]: ...
    async def codes(self) -> list[CodeFacts]: ...


async def _priced(store: Carts, cart: Cart, now: datetime) -> PricedCart:
    return offers.price(
        cart, promotions=await store.promotions(), codes=await store.codes(), now=now
    )


async def create_cart(
    *, units: Units[Carts], caller: Caller, clock: Clock = utc_now
) -> tuple[PricedCart, str | None]:
    """A new cart and, for a guest, the token that opens it (shown once, stored as a hash).

    A signed-in user has at most one active cart: asking again returns it.
    """
    if caller.kind == "service":
        raise Forbidden("services do not own carts")
    token = domain.new_token() if caller.kind == "guest" else None
    now = clock()
    cart = domain.new_cart(id=new_id(), caller=caller, token=token, now=now)
    async with units() as work:
        if not await work.store.insert(cart):
            existing = await work.store.active_of(caller.subject)
            if existing is None:  # closed between the two statements, by an order or a merge
                raise Conflict("your active cart changed just now; ask again")
            cart = existing
        return await _priced(work.store, cart, now), token


async def _readable(store: Carts, access: Access, *, lock: bool = False) -> Cart:
    cart = await store.get(access.cart_id, lock=lock)
    if cart is None or not domain.may_read(cart, access.caller, access.token):
        raise domain.CartNotFound(access.cart_id)
    return cart


Edit = Callable[[Cart, Carts, datetime], Awaitable[Cart]]
"""A change to a cart the caller may use: the cart after it (the same object: nothing to save)."""


async def _edit(
    *, units: Units[Carts], access: Access, expected_version: int | None, edit: Edit, clock: Clock
) -> PricedCart:
    """Apply `edit` to the cart, locked for one unit of work, if `access` may change it."""
    now = clock()
    async with units() as work:
        cart = await _readable(work.store, access, lock=True)
        if not domain.may_use(cart, access.caller, access.token):
            raise Forbidden(f"you may read cart {access.cart_id} but not change it")
        domain.expect_version(cart, expected_version)
        changed = await edit(cart, work.store, now)
        if changed is not cart:
            await work.store.save(changed)
        return await _priced(work.store, changed, now)


async def get_cart(*, reads: Reads[Carts], access: Access, clock: Clock = utc_now) -> PricedCart:
    async with reads() as store:
        cart = await _readable(store, access)
        return await _priced(store, cart, clock())


async def add_item(
    *,
    units: Units[Carts],
    access: Access,
    request: LineRequest,
    stock: StockLookup,
    products: ProductLookup,
    clock: Clock = utc_now,
) -> PricedCart:
    """Add the requested quantity (summed with a line already there) if inventory can supply it.

    The catalog and inventory are asked before the transaction (no lock is held across a call);
    the quantity they must cover is the one in the cart when the line is written.
    """
    sku = request.sku
    snapshot = await products(sku)
    available = await stock(sku)

    async def add(cart: Cart, _: Carts, now: datetime) -> Cart:
        needed = domain.quantity_after_adding(cart, sku, request.quantity)
        return domain.put_line(
            cart, snapshot.line(domain.supplied(sku, needed, available)), now=now
        )

    return await _edit(
        units=units, access=access, expected_version=request.expected_version, edit=add, clock=clock
    )


async def change_item(
    *,
    units: Units[Carts],
    access: Access,
    request: LineRequest,
    stock: StockLookup,
    clock: Clock = utc_now,
) -> PricedCart:
    """Set a line's quantity to the requested one (inventory must supply it); the line keeps its
    snapshot and price."""
    sku = request.sku
    available = await stock(sku)

    async def change(cart: Cart, _: Carts, now: datetime) -> Cart:
        line = domain.line_of(cart, sku)
        if line is None:
            raise domain.LineNotFound(sku)
        changed = domain.replace_quantity(line, domain.supplied(sku, request.quantity, available))
        return domain.put_line(cart, changed, now=now)

    return await _edit(
        units=units,
        access=access,
        expected_version=request.expected_version,
        edit=change,
        clock=clock,
    )


async def remove(
    *,
    units: Units[Carts],
    access: Access,
    kind: Literal["line", "code"],
    key: str,
    expected_version: int | None,
    clock: Clock = utc_now,
) -> PricedCart:
    """Take a line (`key`: its SKU) or a discount code (`key`: the code) out of the cart."""
    drop = domain.remove_line if kind == "line" else domain.remove_code

    async def edit(cart: Cart, _: Carts, now: datetime) -> Cart:
        return drop(cart, key, now=now)

    return await _edit(
        units=units, access=access, expected_version=expected_version, edit=edit, clock=clock
    )


async def apply_code(
    *,
    units: Units[Carts],
    access: Access,
    code: str,
    expected_version: int | None,
    clock: Clock = utc_now,
) -> PricedCart:
    """Add a discount code the cart knows from promotion's events, if it can be used now."""

    async def apply(cart: Cart, store: Carts, now: datetime) -> Cart:
        found = next((c for c in await store.codes() if c.code == code), None)
        if found is None:
            raise domain.UnknownCode(code)
        promotion = next((p for p in await store.promotions() if p.id == found.promotion_id), None)
        refusal = offers.code_refusal(found, promotion, now=now)
        if refusal is not None:
            raise domain.CodeRefused(code, refusal)
        return domain.add_code(cart, code, now=now)

    return await _edit(
        units=units, access=access, expected_version=expected_version, edit=apply, clock=clock
    )


async def merge_guest_cart(
    *, units: Units[Carts], access: Access, clock: Clock = utc_now
) -> PricedCart:
    """At sign-in: the guest cart's lines join the user's active cart (made if needed)."""
    caller = access.caller
    if caller.kind != "user":
        raise Forbidden("sign in to merge a guest cart into your own")
    now = clock()
    async with units() as work:
        guest = await work.store.get(access.cart_id, lock=True)
        if guest is None or not domain.holds_token(guest, access.token):
            raise domain.CartNotFound(access.cart_id)
        own = await work.store.active_of(caller.subject, lock=True)
        if own is None:
            own = domain.new_cart(id=new_id(), caller=caller, token=None, now=now)
            if not await work.store.insert(own):  # made meanwhile by a concurrent request
                own = await work.store.active_of(caller.subject, lock=True)
                if own is None:
                    raise Conflict("your active cart changed just now; merge again")
        into, closed = domain.fold_in(own, guest, now=now)
        await work.store.save(into)
        await work.store.save(closed)
        work.emit(
            events.CART_MERGED,
            subject=closed.id,
            sequence=closed.version,
            data=events.merged(cart_id=closed.id, into_cart_id=into.id, owner=into.owner),
        )
        return await _priced(work.store, into, now)


async def record_order(
    *, work: Work[Carts], cart_id: str, order_id: str, clock: Clock = utc_now
) -> None:
    """order.placed: the cart is `ordered` (once; a cart the service does not hold is ignored)."""
    cart = await work.store.get(cart_id, lock=True)
    if cart is None:
        return
    ordered = domain.mark_ordered(cart, order_id, now=clock())
    if ordered is None:
        return
    await work.store.save(ordered)
    work.emit(
        events.CART_ORDERED,
        subject=cart_id,
        sequence=ordered.version,
        data=events.ordered(cart_id=cart_id, order_id=order_id),
    )
