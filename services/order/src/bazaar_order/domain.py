"""Orders and their three states, moved only by the facts the checkout publishes. No I/O here.

    status               open ──► confirmed ──► complete
                           └──────────┴──► cancelled      (a customer may cancel until shipped)
    payment_status       pending ──► authorized ──► paid ──► refunded
                           └──────────┴──► failed | voided
    fulfillment_status   unfulfilled ──► reserved ──► shipped ──► delivered

`react(state, fact)` is the whole choreography as the order sees it (ADR 6): the new state, and
whether to announce `order.confirmed` or `order.cancelled`. A fact that does not move the order
forward (a repeat, or one that arrives after the order was settled) changes nothing it should not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bazaar_chassis import Conflict, DomainError, Forbidden, InvalidInput, Money, NotFound


class OrderStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PAID = "paid"
    REFUNDED = "refunded"
    FAILED = "failed"
    VOIDED = "voided"


class FulfillmentStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    RESERVED = "reserved"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


class Fact(StrEnum):
    """What happened elsewhere (the consumed event's name), or the customer's cancel request."""

    STOCK_RESERVED = "inventory.stock_reserved"
    RESERVATION_FAILED = "inventory.reservation_failed"
    RESERVATION_EXPIRED = "inventory.reservation_expired"
    CODE_REDEEMED = "promotion.code_redeemed"
    CODE_REFUSED = "promotion.code_refused"
    PAYMENT_AUTHORIZED = "payment.authorized"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_DECLINED = "payment.declined"
    PAYMENT_REFUNDED = "payment.refunded"
    PAYMENT_VOIDED = "payment.voided"
    CANCEL_REQUESTED = "order.cancel_requested"
    PRODUCT_RECALLED = "product.recalled"  # a line's product was recalled


class Announcement(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class State:
    status: OrderStatus = OrderStatus.OPEN
    payment: PaymentStatus = PaymentStatus.PENDING
    fulfillment: FulfillmentStatus = FulfillmentStatus.UNFULFILLED


@dataclass(frozen=True, slots=True)
class Reaction:
    state: State
    announce: Announcement | None = None


_UNPAID = (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED)
_SHIPPED = (FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED)


def _cancel(state: State, payment: PaymentStatus | None = None) -> Reaction:
    """Cancelled, its stock released (inventory does that on order.cancelled)."""
    fulfillment = (
        FulfillmentStatus.UNFULFILLED
        if state.fulfillment == FulfillmentStatus.RESERVED
        else state.fulfillment
    )
    cancelled = State(OrderStatus.CANCELLED, payment or state.payment, fulfillment)
    return Reaction(cancelled, Announcement.CANCELLED)


def _pay(state: State, payment: PaymentStatus, *, when: tuple[PaymentStatus, ...]) -> Reaction:
    """Record what happened to the money (true whatever the order's status), nothing else."""
    return Reaction(replace(state, payment=payment) if state.payment in when else state)


def react(state: State, fact: Fact) -> Reaction:
    """The order's answer to one fact: its new state and what, if anything, to announce."""
    is_open = state.status == OrderStatus.OPEN
    match fact:
        case Fact.STOCK_RESERVED:
            unfulfilled = state.fulfillment == FulfillmentStatus.UNFULFILLED
            if state.status != OrderStatus.CANCELLED and unfulfilled:
                return Reaction(replace(state, fulfillment=FulfillmentStatus.RESERVED))
        case Fact.RESERVATION_FAILED | Fact.CODE_REFUSED:
            if is_open:
                return _cancel(state)
        case Fact.RESERVATION_EXPIRED:
            if is_open and state.payment in _UNPAID:
                return _cancel(state)
        case Fact.PAYMENT_AUTHORIZED:
            return _pay(state, PaymentStatus.AUTHORIZED, when=(PaymentStatus.PENDING,))
        case Fact.PAYMENT_CAPTURED:
            if is_open and state.payment in _UNPAID:
                confirmed = replace(state, status=OrderStatus.CONFIRMED, payment=PaymentStatus.PAID)
                return Reaction(confirmed, Announcement.CONFIRMED)
            return _pay(state, PaymentStatus.PAID, when=_UNPAID)  # a cancelled order: refunded
        case Fact.PAYMENT_DECLINED:
            if is_open:
                return _cancel(state, PaymentStatus.FAILED)
            return _pay(state, PaymentStatus.FAILED, when=_UNPAID)
        case Fact.PAYMENT_REFUNDED:
            return _pay(state, PaymentStatus.REFUNDED, when=(*_UNPAID, PaymentStatus.PAID))
        case Fact.PAYMENT_VOIDED:
            return _pay(state, PaymentStatus.VOIDED, when=_UNPAID)
        case Fact.CANCEL_REQUESTED | Fact.PRODUCT_RECALLED:
            if state.status in (OrderStatus.OPEN, OrderStatus.CONFIRMED) and (
                state.fulfillment not in _SHIPPED
            ):
                return _cancel(state)
        case Fact.CODE_REDEEMED:
            pass
    return Reaction(state)


# --- why an order was cancelled, in words a customer understands -------------------------------

CANCELLED_BY_CUSTOMER = "cancelled by customer"
RESERVATION_EXPIRED = "reservation expired"


def out_of_stock(sku: str, available: int) -> str:
    return f"out of stock: {sku} (available {available})"


def code_refused(code: str, reason: str) -> str:
    return f"discount code {code}: {reason}"


def payment_declined(reason: str) -> str:
    return f"payment declined: {reason}"


def recalled(sku: str, reason: str) -> str:
    return f"product recalled: {sku} ({reason})"


def contains(order: Order, sku: str) -> bool:
    return any(line.sku == sku for line in order.lines)


# --- the order -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money


@dataclass(frozen=True, slots=True)
class Discount:
    promotion_id: str
    code: str | None
    description: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Cart:
    """The cart as the cart service answered it: what the order is made of."""

    id: str
    owner: str
    status: str
    lines: tuple[OrderLine, ...]
    subtotal: Money
    discounts: tuple[Discount, ...]
    total: Money
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Card:
    """A tokenised card: payment keeps the number, the order only its token, brand and last4."""

    id: str
    brand: str
    last4: str


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    customer: str
    email: str | None
    cart_id: str
    idempotency_key: str
    lines: tuple[OrderLine, ...]
    subtotal: Money
    discounts: tuple[Discount, ...]
    total: Money
    codes: tuple[str, ...]
    payment_method_id: str
    card_brand: str
    card_last4: str
    status: OrderStatus
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    reason: str | None
    version: int
    placed_at: datetime
    updated_at: datetime

    @property
    def state(self) -> State:
        return State(self.status, self.payment_status, self.fulfillment_status)


# --- errors ------------------------------------------------------------------------------------


class MissingIdempotencyKey(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "send an Idempotency-Key header (1-200 characters, e.g. a UUID you keep for retries): "
            "the same key never places a second order"
        )


class OrderNotFound(NotFound):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"no order {order_id!r} of yours")


class CartNotFound(NotFound):
    def __init__(self, cart_id: str) -> None:
        super().__init__(f"no cart {cart_id!r} of yours")


class CartNotOrderable(Conflict):
    def __init__(self, cart_id: str, why: str) -> None:
        super().__init__(f"cart {cart_id!r} cannot be ordered: {why}")


class KeyReused(Conflict):
    def __init__(self, key: str, cart_id: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used to order cart {cart_id!r}; use a new key "
            "for another cart"
        )


class NotCancellable(Conflict):
    def __init__(self, order: Order) -> None:
        super().__init__(
            f"order {order.id} is {order.status} and {order.fulfillment_status}: only an open or "
            "confirmed order that has not shipped can be cancelled"
        )


class OthersOrders(Forbidden):
    def __init__(self) -> None:
        super().__init__("only admins and marketing may list another customer's orders")


class SignInRequired(Forbidden):
    def __init__(self) -> None:
        super().__init__("sign in to place or see orders")


# --- rules -------------------------------------------------------------------------------------

MAX_KEY_LENGTH = 200


def check_idempotency_key(key: str | None) -> str:
    if key is None or not 1 <= len(key.strip()) <= MAX_KEY_LENGTH:
        raise MissingIdempotencyKey
    return key.strip()


def check_card_number(card_number: str) -> str:
    digits = card_number.replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19):
        raise InvalidInput("payment.card_number must be 12 to 19 digits")
    return digits


def new_order(
    *,
    id: str,
    customer: str,
    email: str | None,
    key: str,
    cart: Cart,
    card: Card,
    now: datetime,
) -> Order:
    """An open order made of `cart`, which must be the customer's, active and not empty."""
    if cart.owner != customer:
        raise CartNotFound(cart.id)
    if cart.status != "active":
        raise CartNotOrderable(cart.id, f"it is {cart.status}, not active")
    if not cart.lines:
        raise CartNotOrderable(cart.id, "it is empty")
    return Order(
        id=id,
        customer=customer,
        email=email,
        cart_id=cart.id,
        idempotency_key=key,
        lines=cart.lines,
        subtotal=cart.subtotal,
        discounts=cart.discounts,
        total=cart.total,
        codes=cart.codes,
        payment_method_id=card.id,
        card_brand=card.brand,
        card_last4=card.last4,
        status=OrderStatus.OPEN,
        payment_status=PaymentStatus.PENDING,
        fulfillment_status=FulfillmentStatus.UNFULFILLED,
        reason=None,
        version=1,
        placed_at=now,
        updated_at=now,
    )


def check_same_request(order: Order, *, key: str, cart_id: str) -> Order:
    """The order an idempotent retry gets back: the same key must name the same cart."""
    if order.idempotency_key == key and order.cart_id != cart_id:
        raise KeyReused(key, order.cart_id)
    return order


def moved(order: Order, reaction: Reaction, *, reason: str | None, now: datetime) -> Order:
    """The order after `reaction` (the same object if nothing changed); a cancellation keeps why."""
    if reaction.state == order.state:
        return order
    return replace(
        order,
        status=reaction.state.status,
        payment_status=reaction.state.payment,
        fulfillment_status=reaction.state.fulfillment,
        reason=reason if reaction.announce == Announcement.CANCELLED else order.reason,
        version=order.version + 1,
        updated_at=now,
    )


def may_see(order: Order, *, subject: str, roles: tuple[str, ...]) -> bool:
    """A customer sees their own orders; admins and marketing see everyone's."""
    return order.customer == subject or sees_everyone(roles)


def sees_everyone(roles: tuple[str, ...]) -> bool:
    return bool({"admin", "marketing"} & set(roles))
