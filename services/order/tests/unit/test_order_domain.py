"""The order's rules as a table: (state, fact) → (new state, what to announce)."""

from __future__ import annotations

import pytest

from bazaar_chassis import DomainError, InvalidInput
from bazaar_order.domain import (
    Announcement,
    Fact,
    FulfillmentStatus,
    OrderStatus,
    PaymentStatus,
    State,
    check_card_number,
    check_idempotency_key,
    react,
)

OPEN, CONF, X = OrderStatus.OPEN, OrderStatus.CONFIRMED, OrderStatus.CANCELLED
PEND, AUTH, PAID = PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.PAID
FAIL, REF, VOID = PaymentStatus.FAILED, PaymentStatus.REFUNDED, PaymentStatus.VOIDED
UNF, RES, SHIP = (
    FulfillmentStatus.UNFULFILLED,
    FulfillmentStatus.RESERVED,
    FulfillmentStatus.SHIPPED,
)
CONFIRM, CANCEL = Announcement.CONFIRMED, Announcement.CANCELLED

TABLE = [
    # the happy path, in the order it usually comes
    ((OPEN, PEND, UNF), Fact.STOCK_RESERVED, (OPEN, PEND, RES), None),
    ((OPEN, PEND, RES), Fact.CODE_REDEEMED, (OPEN, PEND, RES), None),
    ((OPEN, PEND, RES), Fact.PAYMENT_AUTHORIZED, (OPEN, AUTH, RES), None),
    ((OPEN, AUTH, RES), Fact.PAYMENT_CAPTURED, (CONF, PAID, RES), CONFIRM),
    # ... and out of order: the capture seen before the reservation still confirms
    ((OPEN, PEND, UNF), Fact.PAYMENT_CAPTURED, (CONF, PAID, UNF), CONFIRM),
    ((CONF, PAID, UNF), Fact.STOCK_RESERVED, (CONF, PAID, RES), None),
    ((CONF, PAID, RES), Fact.PAYMENT_AUTHORIZED, (CONF, PAID, RES), None),
    # repeats change nothing and announce nothing
    ((OPEN, PEND, RES), Fact.STOCK_RESERVED, (OPEN, PEND, RES), None),
    ((CONF, PAID, RES), Fact.PAYMENT_CAPTURED, (CONF, PAID, RES), None),
    ((X, FAIL, UNF), Fact.PAYMENT_DECLINED, (X, FAIL, UNF), None),
    # compensations: each failure cancels an open order, once
    ((OPEN, PEND, UNF), Fact.RESERVATION_FAILED, (X, PEND, UNF), CANCEL),
    ((OPEN, PEND, RES), Fact.CODE_REFUSED, (X, PEND, UNF), CANCEL),
    ((OPEN, AUTH, RES), Fact.PAYMENT_DECLINED, (X, FAIL, UNF), CANCEL),
    ((OPEN, PEND, RES), Fact.RESERVATION_EXPIRED, (X, PEND, UNF), CANCEL),
    ((X, PEND, UNF), Fact.RESERVATION_FAILED, (X, PEND, UNF), None),
    ((X, PEND, UNF), Fact.CODE_REFUSED, (X, PEND, UNF), None),
    # a lapsed reservation cannot undo a paid order
    ((CONF, PAID, RES), Fact.RESERVATION_EXPIRED, (CONF, PAID, RES), None),
    ((CONF, PAID, RES), Fact.RESERVATION_FAILED, (CONF, PAID, RES), None),
    # money that moves on a cancelled order is recorded, the order stays cancelled
    ((X, PEND, UNF), Fact.PAYMENT_CAPTURED, (X, PAID, UNF), None),
    ((X, PAID, UNF), Fact.PAYMENT_REFUNDED, (X, REF, UNF), None),
    ((X, AUTH, UNF), Fact.PAYMENT_VOIDED, (X, VOID, UNF), None),
    ((X, PEND, UNF), Fact.STOCK_RESERVED, (X, PEND, UNF), None),
    ((X, PEND, UNF), Fact.PAYMENT_DECLINED, (X, FAIL, UNF), None),
    # a refund or void that overtakes the charge is not undone by the late charge
    ((X, PEND, UNF), Fact.PAYMENT_REFUNDED, (X, REF, UNF), None),
    ((X, REF, UNF), Fact.PAYMENT_CAPTURED, (X, REF, UNF), None),
    ((X, VOID, UNF), Fact.PAYMENT_AUTHORIZED, (X, VOID, UNF), None),
    ((X, REF, UNF), Fact.PAYMENT_DECLINED, (X, REF, UNF), None),
    # the customer cancels until shipped
    ((OPEN, PEND, RES), Fact.CANCEL_REQUESTED, (X, PEND, UNF), CANCEL),
    ((CONF, PAID, RES), Fact.CANCEL_REQUESTED, (X, PAID, UNF), CANCEL),
    ((CONF, PAID, SHIP), Fact.CANCEL_REQUESTED, (CONF, PAID, SHIP), None),
    ((X, PEND, UNF), Fact.CANCEL_REQUESTED, (X, PEND, UNF), None),
    ((OPEN, PEND, RES), Fact.PRODUCT_RECALLED, (X, PEND, UNF), CANCEL),
    ((CONF, PAID, RES), Fact.PRODUCT_RECALLED, (X, PAID, UNF), CANCEL),
    ((CONF, PAID, SHIP), Fact.PRODUCT_RECALLED, (CONF, PAID, SHIP), None),
    ((X, PEND, UNF), Fact.PRODUCT_RECALLED, (X, PEND, UNF), None),
]


@pytest.mark.parametrize(
    ("before", "fact", "after", "announce"),
    TABLE,
    ids=[f"{'/'.join(row[0])}+{row[1].name}" for row in TABLE],
)
def test_each_fact_moves_the_order_as_the_table_says(
    before: tuple[OrderStatus, PaymentStatus, FulfillmentStatus],
    fact: Fact,
    after: tuple[OrderStatus, PaymentStatus, FulfillmentStatus],
    announce: Announcement | None,
) -> None:
    reaction = react(State(*before), fact)
    assert (reaction.state, reaction.announce) == (State(*after), announce)


def test_every_fact_is_in_the_table() -> None:
    assert {row[1] for row in TABLE} == set(Fact)


@pytest.mark.parametrize("fact", list(Fact))
def test_no_fact_announces_twice_when_repeated(fact: Fact) -> None:
    """Whatever state a fact meets, applying it again announces nothing more."""
    for before, *_ in TABLE:
        once = react(State(*before), fact)
        assert react(once.state, fact).announce is None


@pytest.mark.parametrize("key", [None, "", "   ", "k" * 201])
def test_an_idempotency_key_is_required_and_bounded(key: str | None) -> None:
    with pytest.raises(DomainError, match="Idempotency-Key") as raised:
        check_idempotency_key(key)
    assert raised.value.status == 400


def test_a_card_number_is_digits_only() -> None:
    assert check_card_number("4242 4242 4242 4242") == "4242424242424242"
    with pytest.raises(InvalidInput):
        check_card_number("4242-4242-4242-4242")
    for not_ascii_digits in ("²" * 16, "٤" * 16):  # str.isdigit says yes to both
        with pytest.raises(InvalidInput):
            check_card_number(not_ascii_digits)
