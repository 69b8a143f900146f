"""Payment intents, their ledger and the one table that says what each fact does. No I/O here.

An intent waits for the order, its stock and each of its codes (in any order), then authorizes
and captures. `TRANSITIONS` is the whole state machine: a (state, fact) pair not in it changes
nothing, which is what makes a duplicate or late fact harmless.

    open ─ready─► authorizing ─authorized─► authorized ─captured─► captured ─cancelled─► refunding
      │              │  └─declined─► declined      └─cancelled─► voiding ─voided─► voided   │
      └─refused/cancelled─► cancelled    └─cancelled─► cancelling ─authorized─► voiding     refunded
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bazaar_chassis import Forbidden, InvalidInput, NotFound, Unavailable


class State(StrEnum):
    OPEN = "open"  # waiting for the order, its stock or a code
    AUTHORIZING = "authorizing"
    CANCELLING = "cancelling"  # cancelled while an authorization was on its way: void it
    AUTHORIZED = "authorized"  # capture requested
    CAPTURED = "captured"
    DECLINED = "declined"
    CANCELLED = "cancelled"  # never charged, and never will be
    VOIDING = "voiding"
    VOIDED = "voided"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


class Fact(StrEnum):
    READY = "ready"  # everything the intent waits for is in
    REFUSED = "refused"  # stock or a code refused: the order will not be paid
    CANCELLED = "cancelled"  # order.cancelled
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"


class Kind(StrEnum):
    """What a ledger transaction asks the provider to do."""

    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class Status(StrEnum):
    PENDING = "pending"  # to be sent (again, after a transient failure)
    SENDING = "sending"  # claimed by a worker for a while
    SENT = "sent"  # accepted by the provider: its webhook will settle it
    SUCCEEDED = "succeeded"
    FAILED = "failed"


SETTLED = frozenset({Status.SUCCEEDED, Status.FAILED})


@dataclass(frozen=True, slots=True)
class Step:
    """What a fact does: the next state, a provider call to make, an event to publish."""

    state: State
    request: Kind | None = None
    publish: Fact | None = None


TRANSITIONS: dict[tuple[State, Fact], Step] = {
    (State.OPEN, Fact.READY): Step(State.AUTHORIZING, request=Kind.AUTHORIZE),
    (State.OPEN, Fact.REFUSED): Step(State.CANCELLED),
    (State.OPEN, Fact.CANCELLED): Step(State.CANCELLED),
    (State.AUTHORIZING, Fact.AUTHORIZED): Step(
        State.AUTHORIZED, request=Kind.CAPTURE, publish=Fact.AUTHORIZED
    ),
    (State.AUTHORIZING, Fact.DECLINED): Step(State.DECLINED, publish=Fact.DECLINED),
    (State.AUTHORIZING, Fact.CANCELLED): Step(State.CANCELLING),
    (State.CANCELLING, Fact.AUTHORIZED): Step(State.VOIDING, request=Kind.VOID),
    (State.CANCELLING, Fact.DECLINED): Step(State.CANCELLED),
    (State.AUTHORIZED, Fact.CAPTURED): Step(State.CAPTURED, publish=Fact.CAPTURED),
    (State.AUTHORIZED, Fact.CANCELLED): Step(State.VOIDING, request=Kind.VOID),
    (State.VOIDING, Fact.VOIDED): Step(State.VOIDED, publish=Fact.VOIDED),
    (State.VOIDING, Fact.CAPTURED): Step(State.REFUNDING, request=Kind.REFUND),  # void too late
    (State.CAPTURED, Fact.CANCELLED): Step(State.REFUNDING, request=Kind.REFUND),
    (State.REFUNDING, Fact.REFUNDED): Step(State.REFUNDED, publish=Fact.REFUNDED),
    # a charge that lands on a cancelled intent is given back
    (State.CANCELLED, Fact.AUTHORIZED): Step(State.VOIDING, request=Kind.VOID),
    (State.CANCELLED, Fact.CAPTURED): Step(State.REFUNDING, request=Kind.REFUND),
}

OUTCOMES: dict[tuple[Kind, bool], Fact] = {
    (Kind.AUTHORIZE, True): Fact.AUTHORIZED,
    (Kind.AUTHORIZE, False): Fact.DECLINED,
    (Kind.CAPTURE, True): Fact.CAPTURED,
    (Kind.VOID, True): Fact.VOIDED,
    (Kind.REFUND, True): Fact.REFUNDED,
}
"""The fact a settled transaction is; a failed capture, void or refund is kept in the ledger
but moves nothing (the provider's later webhook, e.g. `captured` after a late void, does)."""


def decide(state: State, fact: Fact) -> Step:
    return TRANSITIONS.get((state, fact), Step(state))


@dataclass(frozen=True, slots=True)
class Intent:
    """One order's payment: what it waits for, where it is, and its version (event sequence)."""

    order_id: str
    customer: str | None  # the customer's subject, from order.placed
    placed: bool
    amount: int
    currency: str
    payment_method_id: str | None
    stock_reserved: bool
    codes_awaited: list[str]
    codes_redeemed: list[str]
    state: State
    reason: str | None
    provider_ref: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def ready(self) -> bool:
        return (
            self.placed
            and self.stock_reserved
            and set(self.codes_awaited) <= set(self.codes_redeemed)
        )


def blank_intent(order_id: str, *, now: datetime) -> Intent:
    """An intent known only by its order id: a fact about it came before order.placed."""
    return Intent(
        order_id=order_id,
        customer=None,
        placed=False,
        amount=0,
        currency="USD",
        payment_method_id=None,
        stock_reserved=False,
        codes_awaited=[],
        codes_redeemed=[],
        state=State.OPEN,
        reason=None,
        provider_ref=None,
        version=0,
        created_at=now,
        updated_at=now,
    )


def moved(intent: Intent, *, now: datetime, **changes: object) -> Intent:
    return replace(intent, version=intent.version + 1, updated_at=now, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Transaction:
    """One ledger row: one kind of call per order, sent with idempotency key `<order>:<kind>`."""

    id: str
    order_id: str
    kind: Kind
    amount: int
    currency: str
    idempotency_key: str
    status: Status
    provider_ref: str | None
    attempts: int
    next_attempt_at: datetime
    reason: str | None
    created_at: datetime
    updated_at: datetime


def idempotency_key(order_id: str, kind: Kind) -> str:
    return f"{order_id}:{kind}"


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    """A tokenised card: the provider keeps the number, we keep what identifies it."""

    id: str
    brand: str
    last4: str
    provider_ref: str
    created_at: datetime


def check_card_number(raw: str) -> str:
    """Digits only (spaces allowed in input), 12-19 of them, with a valid Luhn check digit."""
    number = raw.replace(" ", "")
    if not (number.isascii() and number.isdigit()) or not 12 <= len(number) <= 19:
        raise InvalidInput("card_number must be 12 to 19 digits")
    digits = [int(d) for d in number]
    odd = sum(digits[-1::-2])
    even = sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    if (odd + even) % 10:
        raise InvalidInput("card_number fails the Luhn check: mistyped?")
    return number


class PaymentNotFound(NotFound):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"no payment for order {order_id!r}")


class OnlyTheOrderService(Forbidden):
    def __init__(self) -> None:
        super().__init__("only the order service tokenises cards (POST /payment/1/methods)")


class ProviderDown(Unavailable):
    def __init__(self, detail: str) -> None:
        super().__init__(f"the payment provider cannot be reached; retry later ({detail})")


class CardRefused(InvalidInput):
    def __init__(self, detail: str) -> None:
        super().__init__(f"the payment provider refused the card: {detail}")
