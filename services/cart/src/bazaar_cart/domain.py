"""Carts and their rules: who may use one, how lines and codes change, when it stops changing.

No I/O here. A cart is `active` until an order is placed from it (`ordered`) or a guest's cart is
folded into the customer's at sign-in (`merged`); both are final.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bazaar_chassis import Caller, Conflict, InvalidInput, Money, NotFound, StaleVersion, check_sku

ORDER_SERVICE = "service:order"  # may read any cart: it checks the owner itself at checkout
GUEST_OWNER = "guest"
MAX_QUANTITY = 999


class CartState(StrEnum):
    ACTIVE = "active"
    ORDERED = "ordered"
    MERGED = "merged"


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    name: str  # snapshot of the product when the line was last changed
    quantity: int
    unit_price: Money  # the price selected when the line was last changed
    categories: tuple[str, ...] = ()

    @property
    def total(self) -> Money:
        return Money(self.unit_price.amount * self.quantity, self.unit_price.currency)


@dataclass(frozen=True, slots=True)
class Notice:
    """Why a line left the cart without its owner removing it (a recall), shown on the cart."""

    sku: str
    name: str
    quantity: int
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Cart:
    id: str
    owner: str  # the signed-in user's subject, or "guest"
    token_hash: str | None  # guests' carts: sha256 of the cart token, never the token
    state: CartState
    version: int
    lines: tuple[Line, ...]
    codes: tuple[str, ...]
    order_id: str | None
    merged_into: str | None
    created_at: datetime
    updated_at: datetime
    notices: tuple[Notice, ...] = ()

    @property
    def is_guest(self) -> bool:
        return self.token_hash is not None


@dataclass(frozen=True, slots=True)
class Access:
    """Who asks for which cart: the caller the gateway vouched for, and a guest cart's token."""

    cart_id: str
    caller: Caller
    token: str | None = None


class CartNotFound(NotFound):
    def __init__(self, cart_id: str) -> None:
        super().__init__(f"no cart {cart_id!r} that you may use")


class CartClosed(Conflict):
    def __init__(self, cart: Cart) -> None:
        super().__init__(f"cart {cart.id} is {cart.state} and can no longer change")


class LineNotFound(NotFound):
    def __init__(self, sku: str) -> None:
        super().__init__(f"the cart has no line for {sku!r}")


class OutOfStock(Conflict):
    def __init__(self, sku: str, *, requested: int, available: int) -> None:
        super().__init__(
            f"only {available} of {sku} available, the cart would need {requested}",
            extra={"sku": sku, "requested": requested, "available": available},
        )


class NotForSale(Conflict):
    def __init__(self, sku: str, reason: str) -> None:
        super().__init__(f"{sku} cannot be added: {reason}", extra={"sku": sku})


class UnknownProduct(InvalidInput):
    def __init__(self, sku: str) -> None:
        super().__init__(f"there is no product {sku!r} in the catalog", extra={"sku": sku})


class CodeRefused(Conflict):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"discount code {code!r} {reason}", extra={"code": code})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_cart(*, id: str, caller: Caller, token: str | None, now: datetime) -> Cart:
    """An empty cart for a signed-in user, or (with `token`) for a guest who holds the token."""
    return Cart(
        id=id,
        owner=GUEST_OWNER if token else caller.subject,
        token_hash=hash_token(token) if token else None,
        state=CartState.ACTIVE,
        version=1,
        lines=(),
        codes=(),
        order_id=None,
        merged_into=None,
        created_at=now,
        updated_at=now,
    )


def holds_token(cart: Cart, token: str | None) -> bool:
    """Whether `token` opens this guest cart (compared in constant time, as hashes)."""
    if cart.token_hash is None or not token:
        return False
    return hmac.compare_digest(cart.token_hash, hash_token(token))


def may_use(cart: Cart, caller: Caller, token: str | None) -> bool:
    """A guest cart opens to its token's holder, a user's cart to that user only."""
    if cart.is_guest:
        return holds_token(cart, token)
    return caller.kind == "user" and caller.subject == cart.owner


def may_read(cart: Cart, caller: Caller, token: str | None) -> bool:
    """Everyone who may use a cart may read it; so may the order service and administrators."""
    return may_use(cart, caller, token) or caller.subject == ORDER_SERVICE or caller.is_admin


def expect_version(cart: Cart, expected: int | None) -> None:
    if expected is not None and expected != cart.version:
        raise StaleVersion(resource=f"cart {cart.id}", expected=expected, actual=cart.version)


def _changed(cart: Cart, *, now: datetime, **changes: object) -> Cart:
    if cart.state != CartState.ACTIVE:
        raise CartClosed(cart)
    return replace(cart, version=cart.version + 1, updated_at=now, **changes)  # type: ignore[arg-type]


def check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"quantity must be between 1 and {MAX_QUANTITY}, not {quantity}")
    return quantity


@dataclass(frozen=True, slots=True)
class LineRequest:
    """What a shopper asks of one line: `quantity` of `sku` (to add, or as the line's new
    quantity), at the cart version they saw (None: whichever); checked when it is made."""

    sku: str
    quantity: int
    expected_version: int | None = None

    def __post_init__(self) -> None:
        check_sku(self.sku)
        check_quantity(self.quantity)


def line_of(cart: Cart, sku: str) -> Line | None:
    return next((line for line in cart.lines if line.sku == sku), None)


def quantity_after_adding(cart: Cart, sku: str, quantity: int) -> int:
    """The line's quantity once `quantity` more of `sku` is added (what inventory must supply)."""
    existing = line_of(cart, sku)
    return check_quantity(quantity) + (existing.quantity if existing else 0)


def supplied(sku: str, needed: int, available: int) -> int:
    """`needed`, if inventory's `available` covers it (409 with the available quantity if not)."""
    if needed > available:
        raise OutOfStock(sku, requested=needed, available=available)
    return needed


def put_line(cart: Cart, line: Line, *, now: datetime) -> Cart:
    """Set the line for `line.sku` (replacing the old one in its place, or appending it)."""
    check_sku(line.sku)
    check_quantity(line.quantity)
    return _changed(cart, now=now, lines=_with_line(cart, line))


def remove_line(cart: Cart, sku: str, *, now: datetime) -> Cart:
    if line_of(cart, sku) is None:
        raise LineNotFound(sku)
    return _changed(cart, now=now, lines=tuple(line for line in cart.lines if line.sku != sku))


def recall_line(cart: Cart, sku: str, *, reason: str, now: datetime) -> Cart | None:
    """The active cart without its `sku` line and with a notice saying why (None: no such
    line, or the cart is closed, so nothing changes)."""
    line = line_of(cart, sku)
    if line is None or cart.state != CartState.ACTIVE:
        return None
    notice = Notice(sku=sku, name=line.name, quantity=line.quantity, reason=reason, at=now)
    kept = tuple(other for other in cart.lines if other.sku != sku)
    return _changed(cart, now=now, lines=kept, notices=(*cart.notices, notice))


def add_code(cart: Cart, code: str, *, now: datetime) -> Cart:
    if code in cart.codes:
        return cart
    return _changed(cart, now=now, codes=(*cart.codes, code))


def remove_code(cart: Cart, code: str, *, now: datetime) -> Cart:
    if code not in cart.codes:
        raise NotFound(f"the cart has no discount code {code!r}")
    return _changed(cart, now=now, codes=tuple(c for c in cart.codes if c != code))


def fold_in(target: Cart, source: Cart, *, now: datetime) -> tuple[Cart, Cart]:
    """Move `source`'s lines (quantities summed) and codes into `target`; `source` is merged."""
    if source.id == target.id:
        raise InvalidInput("a cart cannot be merged into itself")
    merged = target
    for line in source.lines:
        existing = line_of(merged, line.sku)
        quantity = line.quantity + (existing.quantity if existing else 0)
        merged = replace(merged, lines=_with_line(merged, replace(line, quantity=quantity)))
    codes = (*target.codes, *(c for c in source.codes if c not in target.codes))
    merged = _changed(target, now=now, lines=merged.lines, codes=codes)
    closed = _changed(source, now=now, state=CartState.MERGED, merged_into=target.id)
    return merged, closed


def _with_line(cart: Cart, line: Line) -> tuple[Line, ...]:
    if line_of(cart, line.sku) is None:
        return (*cart.lines, line)
    return tuple(line if old.sku == line.sku else old for old in cart.lines)


def mark_ordered(cart: Cart, order_id: str, *, now: datetime) -> Cart | None:
    """The cart once an order was placed from it (None: already ordered, nothing changes)."""
    if cart.state == CartState.ORDERED:
        return None
    return replace(
        cart, state=CartState.ORDERED, order_id=order_id, version=cart.version + 1, updated_at=now
    )


class UnknownCode(InvalidInput):
    def __init__(self, code: str) -> None:
        super().__init__(f"discount code {code!r} is not known", extra={"code": code})


@dataclass(frozen=True, slots=True)
class ProductSnapshot:
    """What the catalog said about a product when a line was added: shown on the line."""

    sku: str
    name: str
    price: Money | None
    categories: tuple[str, ...] = ()

    def line(self, quantity: int) -> Line:
        if self.price is None:
            raise NotForSale(self.sku, "it has no price yet")
        return Line(self.sku, self.name, quantity, self.price, self.categories)


def replace_quantity(line: Line, quantity: int) -> Line:
    return replace(line, quantity=check_quantity(quantity))
