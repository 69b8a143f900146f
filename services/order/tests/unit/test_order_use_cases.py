"""Order use cases on an in-memory store, a fake cart and a fake card vault."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bazaar_chassis import Caller, Forbidden, InvalidInput, Money, StaleVersion
from bazaar_chassis.testing import FakeUnits
from bazaar_order import recalls, use_cases
from bazaar_order.domain import (
    Card,
    Cart,
    CartNotFound,
    CartNotOrderable,
    Fact,
    FulfillmentStatus,
    KeyReused,
    NotCancellable,
    Order,
    OrderLine,
    OrderNotFound,
    OrderStatus,
    PaymentStatus,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ANN = Caller("ann", "user", "public", ("customer",), "ann@example.test")
BOB = Caller("bob", "user", "public", ("customer",), "bob@example.test")
JENN = Caller("jenn", "user", "bazaar", ("marketing",), "jenn@bazaar.test")
GUEST = Caller("guest", "guest", "public", ("guest",))
CARD = "4242424242424242"


class FakeOrderStore:
    """The `Orders` protocol over a dict, with the unique constraints of the SQL store."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return self.orders.get(order_id)

    async def find_request(self, *, customer: str, key: str, cart_id: str) -> Order | None:
        return next(
            (
                o
                for o in self.orders.values()
                if (o.customer, o.idempotency_key) == (customer, key) or o.cart_id == cart_id
            ),
            None,
        )

    async def insert_once(self, order: Order) -> bool:
        if await self.find_request(
            customer=order.customer, key=order.idempotency_key, cart_id=order.cart_id
        ):
            return False
        self.orders[order.id] = order
        return True

    async def of_customer(self, customer: str, *, limit: int, offset: int) -> list[Order]:
        mine = [o for o in self.orders.values() if o.customer == customer]
        return sorted(mine, key=lambda o: o.placed_at, reverse=True)[offset : offset + limit]

    async def replace_version(self, order: Order) -> None:
        current = self.orders[order.id]
        if current.version != order.version - 1:
            raise StaleVersion(resource=order.id, expected=order.version - 1, actual=order.version)
        self.orders[order.id] = order

    async def unshipped_with(self, sku: str) -> list[Order]:
        return [
            o
            for o in self.orders.values()
            if o.status in (OrderStatus.OPEN, OrderStatus.CONFIRMED)
            and o.fulfillment_status not in (FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED)
            and any(line.sku == sku for line in o.lines)
        ]


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def a_cart(cart_id: str = "cart-1", *, owner: str = "ann", **changes: object) -> Cart:
    cart = Cart(
        id=cart_id,
        owner=owner,
        status="active",
        lines=(OrderLine("COF-1", "Coffee", 2, usd(1000), usd(2000)),),
        subtotal=usd(2000),
        discounts=(),
        total=usd(2000),
        codes=("WELCOME",),
    )
    return replace(cart, **changes)  # type: ignore[arg-type]


class Peers:
    """The cart service and payment's card vault, as far as the order sees them."""

    def __init__(self, *carts: Cart) -> None:
        self.carts = {c.id: c for c in carts}
        self.tokenised: list[str] = []

    async def cart(self, cart_id: str) -> Cart:
        if cart_id not in self.carts:
            raise CartNotFound(cart_id)
        return self.carts[cart_id]

    async def card(self, number: str) -> Card:
        self.tokenised.append(number)
        return Card(f"pm-{len(self.tokenised)}", "visa", number[-4:])


@pytest.fixture
def units() -> FakeUnits[FakeOrderStore]:
    return FakeUnits(FakeOrderStore())


async def place(
    units: FakeUnits[FakeOrderStore],
    peers: Peers,
    *,
    caller: Caller = ANN,
    key: str | None = "key-1",
    cart_id: str = "cart-1",
) -> use_cases.Placed:
    return await use_cases.place_order(
        units=units,
        reads=units.reads,
        caller=caller,
        idempotency_key=key,
        cart_id=cart_id,
        card_number=CARD,
        carts=peers.cart,
        cards=peers.card,
        clock=lambda: NOW,
    )


async def test_placing_an_order_records_it_open_and_announces_it_without_the_card_number(
    units: FakeUnits[FakeOrderStore],
) -> None:
    placed = await place(units, Peers(a_cart()))
    order = placed.order
    assert placed.created
    assert (order.status, order.payment_status, order.fulfillment_status) == (
        OrderStatus.OPEN,
        PaymentStatus.PENDING,
        FulfillmentStatus.UNFULFILLED,
    )
    assert (order.card_brand, order.card_last4, order.payment_method_id) == ("visa", "4242", "pm-1")
    [event] = units.published
    assert (event.type, event.subject, event.sequence) == ("order.placed.v1", order.id, 1)
    assert event.data["customer"] == {"subject": "ann", "email": "ann@example.test"}
    assert event.data["lines"][0]["unit_price"] == {"amount": 1000, "currency": "USD"}
    assert (event.data["codes"], event.data["payment_method_id"]) == (["WELCOME"], "pm-1")
    assert CARD not in str(event.data)
    assert CARD not in str(order)


async def test_the_same_key_or_the_same_cart_gets_the_same_order_back(
    units: FakeUnits[FakeOrderStore],
) -> None:
    peers = Peers(a_cart())
    first = await place(units, peers)
    again = await place(units, peers)
    same_cart = await place(units, peers, key="key-2")
    assert (again.created, same_cart.created) == (False, False)
    assert first.order.id == again.order.id == same_cart.order.id
    assert len(units.published) == 1
    assert peers.tokenised == [CARD]  # a retry does not even tokenise again


async def test_the_same_key_for_another_cart_is_a_conflict(
    units: FakeUnits[FakeOrderStore],
) -> None:
    peers = Peers(a_cart(), a_cart("cart-2"))
    await place(units, peers)
    with pytest.raises(KeyReused, match="cart-1"):
        await place(units, peers, cart_id="cart-2")


@pytest.mark.parametrize(
    ("cart", "error", "detail"),
    [
        (a_cart(owner="bob"), CartNotFound, "no cart 'cart-1' of yours"),
        (a_cart(status="ordered"), CartNotOrderable, "it is ordered"),
        (a_cart(lines=()), CartNotOrderable, "it is empty"),
    ],
)
async def test_only_the_callers_active_non_empty_cart_can_be_ordered(
    units: FakeUnits[FakeOrderStore], cart: Cart, error: type[Exception], detail: str
) -> None:
    with pytest.raises(error, match=detail):
        await place(units, Peers(cart))
    assert (units.store.orders, units.published) == ({}, [])


async def test_guests_and_missing_keys_are_refused_before_anything_is_read(
    units: FakeUnits[FakeOrderStore],
) -> None:
    peers = Peers(a_cart())
    with pytest.raises(Forbidden, match="sign in"):
        await place(units, peers, caller=GUEST)
    with pytest.raises(Exception, match="Idempotency-Key"):
        await place(units, peers, key=None)
    assert peers.tokenised == []


async def test_a_customer_sees_only_their_own_orders_and_marketing_sees_all(
    units: FakeUnits[FakeOrderStore],
) -> None:
    peers = Peers(a_cart(), a_cart("cart-b", owner="bob"))
    ann_order = (await place(units, peers)).order
    await place(units, peers, caller=BOB, cart_id="cart-b")
    reads = units.reads
    assert await use_cases.get_order(reads=reads, caller=ANN, order_id=ann_order.id) == ann_order
    assert await use_cases.get_order(reads=reads, caller=JENN, order_id=ann_order.id) == ann_order
    with pytest.raises(OrderNotFound):
        await use_cases.get_order(reads=reads, caller=BOB, order_id=ann_order.id)
    assert [o.customer for o in await use_cases.list_orders(reads=reads, caller=ANN)] == ["ann"]
    seen = await use_cases.list_orders(reads=reads, caller=JENN, customer="bob")
    assert [o.customer for o in seen] == ["bob"]
    with pytest.raises(Forbidden):
        await use_cases.list_orders(reads=reads, caller=BOB, customer="ann")


async def record(
    units: FakeUnits[FakeOrderStore], order_id: str, fact: Fact, reason: str | None = None
) -> Order | None:
    return await use_cases.record_fact(
        units=units, order_id=order_id, fact=fact, reason=reason, clock=lambda: NOW
    )


async def test_a_captured_payment_confirms_the_order_once(
    units: FakeUnits[FakeOrderStore],
) -> None:
    order = (await place(units, Peers(a_cart()))).order
    await record(units, order.id, Fact.STOCK_RESERVED)
    confirmed = await record(units, order.id, Fact.PAYMENT_CAPTURED)
    await record(units, order.id, Fact.PAYMENT_CAPTURED)
    assert confirmed is not None
    assert (confirmed.status, confirmed.payment_status) == ("confirmed", "paid")
    assert confirmed.version == 3
    assert [e.type for e in units.published] == ["order.placed.v1", "order.confirmed.v1"]
    assert units.published[-1].sequence == 3


async def test_a_declined_payment_cancels_the_order_with_the_reason(
    units: FakeUnits[FakeOrderStore],
) -> None:
    order = (await place(units, Peers(a_cart()))).order
    cancelled = await record(
        units, order.id, Fact.PAYMENT_DECLINED, "payment declined: card declined"
    )
    assert cancelled is not None
    assert (cancelled.status, cancelled.payment_status) == ("cancelled", "failed")
    event = units.published[-1]
    assert event.type == "order.cancelled.v1"
    assert (event.data["reason"], event.data["payment_status"]) == (
        "payment declined: card declined",
        "failed",
    )


async def test_a_fact_about_an_unknown_order_is_ignored(units: FakeUnits[FakeOrderStore]) -> None:
    assert await record(units, "nope", Fact.PAYMENT_CAPTURED) is None
    assert units.published == []


async def test_the_owner_cancels_until_shipped_and_twice_is_the_same_cancellation(
    units: FakeUnits[FakeOrderStore],
) -> None:
    order = (await place(units, Peers(a_cart()))).order
    with pytest.raises(OrderNotFound):
        await use_cases.cancel_order(units=units, caller=BOB, order_id=order.id)
    cancelled = await use_cases.cancel_order(units=units, caller=ANN, order_id=order.id)
    again = await use_cases.cancel_order(units=units, caller=ANN, order_id=order.id)
    assert (cancelled.status, cancelled.reason) == ("cancelled", "cancelled by customer")
    assert again == cancelled
    assert [e.type for e in units.published] == ["order.placed.v1", "order.cancelled.v1"]


async def test_a_shipped_order_cannot_be_cancelled(units: FakeUnits[FakeOrderStore]) -> None:
    order = (await place(units, Peers(a_cart()))).order
    shipped = replace(order, fulfillment_status=FulfillmentStatus.SHIPPED)
    units.store.orders[order.id] = shipped
    with pytest.raises(NotCancellable, match="has not shipped"):
        await use_cases.cancel_order(units=units, caller=ANN, order_id=order.id)


async def test_a_bad_card_number_is_refused_before_it_reaches_payment(
    units: FakeUnits[FakeOrderStore],
) -> None:
    peers = Peers(a_cart())
    with pytest.raises(InvalidInput):
        await use_cases.place_order(
            units=units,
            reads=units.reads,
            caller=ANN,
            idempotency_key="k",
            cart_id="cart-1",
            card_number="not a card",
            carts=peers.cart,
            cards=peers.card,
        )
    assert peers.tokenised == []


# --- a recall cancels the unshipped orders with the SKU (issue 10) ------------------------------


async def test_a_recall_cancels_open_and_confirmed_orders_with_the_sku_but_not_others(
    units: FakeUnits[FakeOrderStore],
) -> None:
    tea_line = OrderLine("TEA-1", "Tea", 1, usd(500), usd(500))
    peers = Peers(a_cart("c-open"), a_cart("c-paid"), a_cart("c-tea", lines=(tea_line,)))
    still_open = (await place(units, peers, key="k1", cart_id="c-open")).order
    paid = (await place(units, peers, key="k2", cart_id="c-paid")).order
    await record(units, paid.id, Fact.PAYMENT_CAPTURED)
    tea = (await place(units, peers, key="k3", cart_id="c-tea")).order
    units.published.clear()

    cancelled = await recalls.cancel_recalled(
        units=units, sku="COF-1", reason="glass", clock=lambda: NOW
    )

    assert sorted(o.id for o in cancelled) == sorted([still_open.id, paid.id])
    assert units.store.orders[tea.id].status == OrderStatus.OPEN
    assert {e.type for e in units.published} == {"order.cancelled.v1"}
    assert {e.data["reason"] for e in units.published} == {"product recalled: COF-1 (glass)"}
    refund = next(e for e in units.published if e.subject == paid.id)
    assert refund.data["payment_status"] == "paid"  # payment refunds it on order.cancelled


async def test_a_recall_leaves_shipped_orders_alone_and_a_second_recall_cancels_nothing(
    units: FakeUnits[FakeOrderStore],
) -> None:
    peers = Peers(a_cart("c-1"), a_cart("c-2"))
    shipped = (await place(units, peers, key="k1", cart_id="c-1")).order
    units.store.orders[shipped.id] = replace(shipped, fulfillment_status=FulfillmentStatus.SHIPPED)
    await place(units, peers, key="k2", cart_id="c-2")
    first = await recalls.cancel_recalled(units=units, sku="COF-1", reason="x", clock=lambda: NOW)
    units.published.clear()

    second = await recalls.cancel_recalled(units=units, sku="COF-1", reason="x", clock=lambda: NOW)

    assert len(first) == 1
    assert second == []
    assert units.published == []
    assert units.store.orders[shipped.id].status == OrderStatus.OPEN
