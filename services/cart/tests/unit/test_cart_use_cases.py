"""Cart use cases on an in-memory store, with fake inventory and catalog lookups: what each one
stores, refuses and announces, and who may use which cart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bazaar_cart import use_cases
from bazaar_cart.domain import (
    Access,
    Cart,
    CartClosed,
    CartNotFound,
    CartState,
    CodeRefused,
    LineRequest,
    NotForSale,
    OutOfStock,
    ProductSnapshot,
    UnknownCode,
    UnknownProduct,
)
from bazaar_cart.events import CodeFacts, PromotionFacts
from bazaar_cart.offers import PricedCart
from bazaar_chassis import Caller, Forbidden, Money, StaleVersion
from bazaar_chassis.caller import GUEST
from bazaar_chassis.testing import FakeUnits

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ANN = Caller(subject="user-ann", kind="user", organization="public", roles=("customer",))
BOB = Caller(subject="user-bob", kind="user", organization="public", roles=("customer",))
ORDER = Caller(
    subject="service:order", kind="service", organization="bazaar", roles=("service:order",)
)
CATALOG = Caller(
    subject="service:catalog", kind="service", organization="bazaar", roles=("service:catalog",)
)


class FakeCartStore:
    """The `Carts` protocol over dicts, with the store's version check and one-active rule."""

    def __init__(self) -> None:
        self.carts: dict[str, Cart] = {}
        self.promotion_facts: list[PromotionFacts] = []
        self.code_facts: list[CodeFacts] = []

    async def get(self, cart_id: str, *, lock: bool = False) -> Cart | None:
        return self.carts.get(cart_id)

    async def active_of(self, owner: str, *, lock: bool = False) -> Cart | None:
        return next(
            (
                c
                for c in self.carts.values()
                if c.owner == owner and c.state == CartState.ACTIVE and not c.is_guest
            ),
            None,
        )

    async def insert(self, cart: Cart) -> bool:
        if not cart.is_guest and await self.active_of(cart.owner):
            return False
        self.carts[cart.id] = cart
        return True

    async def save(self, cart: Cart) -> None:
        if self.carts[cart.id].version != cart.version - 1:
            raise StaleVersion(resource="cart", expected=cart.version - 1, actual=0)
        self.carts[cart.id] = cart

    async def promotions(self) -> list[PromotionFacts]:
        return self.promotion_facts

    async def codes(self) -> list[CodeFacts]:
        return self.code_facts


PRODUCTS = {
    "TEA-1": ProductSnapshot("TEA-1", "Green tea", Money(450, "USD"), ("tea",)),
    "MUG-1": ProductSnapshot("MUG-1", "Mug", Money(1200, "USD"), ("gifts",)),
}
STOCK = {"TEA-1": 5, "MUG-1": 100}


async def stock(sku: str) -> int:
    return STOCK.get(sku, 0)


async def products(sku: str) -> ProductSnapshot:
    if sku == "RECALLED-1":
        raise NotForSale(sku, "the product is recalled")
    if sku not in PRODUCTS:
        raise UnknownProduct(sku)
    return PRODUCTS[sku]


@pytest.fixture
def units() -> FakeUnits[FakeCartStore]:
    return FakeUnits(FakeCartStore())


async def new_cart(units: FakeUnits[FakeCartStore], caller: Caller = ANN) -> tuple[str, str | None]:
    priced, token = await use_cases.create_cart(units=units, caller=caller, clock=lambda: NOW)
    return priced.cart.id, token


async def add(
    units: FakeUnits[FakeCartStore],
    cart_id: str,
    sku: str,
    quantity: int,
    *,
    caller: Caller = ANN,
    token: str | None = None,
    version: int | None = None,
) -> PricedCart:
    return await use_cases.add_item(
        units=units,
        access=Access(cart_id, caller, token),
        request=LineRequest(sku, quantity, version),
        stock=stock,
        products=products,
        clock=lambda: NOW,
    )


async def test_a_user_gets_one_active_cart_and_asking_again_returns_it(
    units: FakeUnits[FakeCartStore],
) -> None:
    first, token = await new_cart(units)
    again, _ = await new_cart(units)
    assert (again, token) == (first, None)
    assert units.store.carts[first].owner == "user-ann"


async def test_a_guest_cart_stores_only_the_hash_of_the_token_it_returns_once(
    units: FakeUnits[FakeCartStore],
) -> None:
    cart_id, token = await new_cart(units, GUEST)
    assert token
    assert len(token) >= 32
    stored = units.store.carts[cart_id]
    assert stored.token_hash
    assert token not in stored.token_hash
    other, other_token = await new_cart(units, GUEST)
    assert other != cart_id
    assert other_token != token


async def test_services_do_not_own_carts(units: FakeUnits[FakeCartStore]) -> None:
    with pytest.raises(Forbidden):
        await new_cart(units, ORDER)


async def test_adding_a_line_snapshots_name_price_and_categories_and_sums_a_repeat(
    units: FakeUnits[FakeCartStore],
) -> None:
    cart_id, _ = await new_cart(units)
    await add(units, cart_id, "TEA-1", 2)
    priced = await add(units, cart_id, "TEA-1", 3)
    (line,) = priced.cart.lines
    assert (line.name, line.quantity, line.unit_price, line.categories) == (
        "Green tea",
        5,
        Money(450, "USD"),
        ("tea",),
    )
    assert priced.subtotal == priced.total == Money(2250, "USD")
    assert priced.cart.version == 3


async def test_more_than_inventory_has_is_refused_with_the_available_quantity(
    units: FakeUnits[FakeCartStore],
) -> None:
    cart_id, _ = await new_cart(units)
    await add(units, cart_id, "TEA-1", 4)
    with pytest.raises(OutOfStock) as refused:
        await add(units, cart_id, "TEA-1", 2)  # 6 in all, 5 available
    assert refused.value.extra == {"sku": "TEA-1", "requested": 6, "available": 5}
    assert units.store.carts[cart_id].lines[0].quantity == 4


@pytest.mark.parametrize(("sku", "error"), [("NOPE-1", UnknownProduct), ("RECALLED-1", NotForSale)])
async def test_unknown_and_withdrawn_products_are_refused(
    units: FakeUnits[FakeCartStore], sku: str, error: type[Exception]
) -> None:
    cart_id, _ = await new_cart(units)
    with pytest.raises(error):
        await add(units, cart_id, sku, 1)


async def test_a_product_without_a_price_cannot_be_added(units: FakeUnits[FakeCartStore]) -> None:
    cart_id, _ = await new_cart(units)

    async def unpriced(sku: str) -> ProductSnapshot:
        return ProductSnapshot(sku, "Not priced yet", None)

    with pytest.raises(NotForSale, match="no price"):
        await use_cases.add_item(
            units=units,
            access=Access(cart_id, ANN, None),
            request=LineRequest("TEA-1", 1),
            stock=stock,
            products=unpriced,
        )
    assert units.store.carts[cart_id].lines == ()


async def test_a_write_at_a_stale_version_is_refused(units: FakeUnits[FakeCartStore]) -> None:
    cart_id, _ = await new_cart(units)
    await add(units, cart_id, "TEA-1", 1, version=1)
    with pytest.raises(StaleVersion):
        await add(units, cart_id, "MUG-1", 1, version=1)


async def test_changing_and_removing_lines(units: FakeUnits[FakeCartStore]) -> None:
    cart_id, _ = await new_cart(units)
    await add(units, cart_id, "TEA-1", 1)
    await add(units, cart_id, "MUG-1", 1)
    changed = await use_cases.change_item(
        units=units,
        access=Access(cart_id, ANN, None),
        request=LineRequest("MUG-1", 3),
        stock=stock,
        clock=lambda: NOW,
    )
    assert [(line.sku, line.quantity) for line in changed.cart.lines] == [
        ("TEA-1", 1),
        ("MUG-1", 3),
    ]
    with pytest.raises(OutOfStock):
        await use_cases.change_item(
            units=units,
            access=Access(cart_id, ANN, None),
            request=LineRequest("TEA-1", 6),
            stock=stock,
            clock=lambda: NOW,
        )
    removed = await use_cases.remove(
        units=units,
        access=Access(cart_id, ANN, None),
        kind="line",
        key="TEA-1",
        expected_version=None,
        clock=lambda: NOW,
    )
    assert [line.sku for line in removed.cart.lines] == ["MUG-1"]


async def test_another_user_and_other_services_see_no_cart_but_the_order_service_reads_it(
    units: FakeUnits[FakeCartStore],
) -> None:
    cart_id, _ = await new_cart(units)
    for stranger in (BOB, CATALOG, GUEST):
        with pytest.raises(CartNotFound):
            await use_cases.get_cart(reads=units.reads, access=Access(cart_id, stranger))
        with pytest.raises(CartNotFound):
            await add(units, cart_id, "TEA-1", 1, caller=stranger)
    read = await use_cases.get_cart(reads=units.reads, access=Access(cart_id, ORDER))
    assert read.cart.owner == "user-ann"
    with pytest.raises(Forbidden):
        await add(units, cart_id, "TEA-1", 1, caller=ORDER)


async def test_only_the_holder_of_a_guest_carts_token_can_use_it(
    units: FakeUnits[FakeCartStore],
) -> None:
    cart_id, token = await new_cart(units, GUEST)
    await add(units, cart_id, "TEA-1", 1, caller=GUEST, token=token)
    assert token
    altered = token[:-1] + ("B" if token[-1] != "B" else "C")  # one character off, never equal
    for wrong in (None, "", "x" * 43, altered):
        with pytest.raises(CartNotFound):
            await add(units, cart_id, "TEA-1", 1, caller=GUEST, token=wrong)
    with pytest.raises(CartNotFound):
        await add(units, cart_id, "TEA-1", 1, caller=ANN)  # signed in, but without the token


def promotion(**facts: object) -> PromotionFacts:
    base: dict[str, object] = {
        "id": "promo-1",
        "name": "10% with SAVE10",
        "kind": "percentage",
        "value": 10,
        "requires_code": True,
    }
    return PromotionFacts.model_validate({**base, **facts})


def code(**facts: object) -> CodeFacts:
    base: dict[str, object] = {
        "code": "SAVE10",
        "promotion_id": "promo-1",
        "usage_limit": 3,
        "uses": 0,
    }
    return CodeFacts.model_validate({**base, **facts})


async def apply(units: FakeUnits[FakeCartStore], cart_id: str, value: str) -> PricedCart:
    return await use_cases.apply_code(
        units=units,
        access=Access(cart_id, ANN, None),
        code=value,
        expected_version=None,
        clock=lambda: NOW,
    )


async def test_a_known_code_discounts_the_total_and_is_named_in_the_discount(
    units: FakeUnits[FakeCartStore],
) -> None:
    units.store.promotion_facts = [promotion()]
    units.store.code_facts = [code()]
    cart_id, _ = await new_cart(units)
    await add(units, cart_id, "MUG-1", 1)
    priced = await apply(units, cart_id, "SAVE10")
    assert priced.cart.codes == ("SAVE10",)
    assert [(d.code, d.amount.amount) for d in priced.discounts] == [("SAVE10", 120)]
    assert (priced.subtotal.amount, priced.total.amount, priced.messages) == (1200, 1080, [])


@pytest.mark.parametrize(
    ("codes", "promotions", "error", "fragment"),
    [
        ([], [promotion()], UnknownCode, "not known"),
        ([code(uses=3)], [promotion()], CodeRefused, "used up"),
        ([code(valid_until=NOW.isoformat())], [promotion()], CodeRefused, "expired"),
        ([code(valid_from="2027-01-01T00:00:00Z")], [promotion()], CodeRefused, "not valid before"),
        ([code(active=False)], [promotion()], CodeRefused, "no longer active"),
        ([code()], [promotion(active=False)], CodeRefused, "not running"),
        ([code()], [], CodeRefused, "does not know"),
    ],
)
async def test_codes_that_cannot_be_used_are_refused_with_the_reason(
    units: FakeUnits[FakeCartStore],
    codes: list[CodeFacts],
    promotions: list[PromotionFacts],
    error: type[Exception],
    fragment: str,
) -> None:
    units.store.promotion_facts, units.store.code_facts = promotions, codes
    cart_id, _ = await new_cart(units)
    with pytest.raises(error, match=fragment):
        await apply(units, cart_id, "SAVE10")
    assert units.store.carts[cart_id].codes == ()


async def test_a_code_that_stops_being_usable_shows_a_message_and_no_discount(
    units: FakeUnits[FakeCartStore],
) -> None:
    units.store.promotion_facts, units.store.code_facts = [promotion()], [code()]
    cart_id, _ = await new_cart(units)
    await add(units, cart_id, "MUG-1", 1)
    await apply(units, cart_id, "SAVE10")
    units.store.code_facts = [code(uses=3)]
    priced = await use_cases.get_cart(reads=units.reads, access=Access(cart_id, ANN))
    assert priced.discounts == []
    assert priced.total.amount == 1200
    assert priced.messages == ["discount code SAVE10 has been used up (3 of 3 uses)"]


async def test_merging_a_guest_cart_sums_quantities_into_the_users_cart(
    units: FakeUnits[FakeCartStore],
) -> None:
    guest_id, token = await new_cart(units, GUEST)
    await add(units, guest_id, "TEA-1", 2, caller=GUEST, token=token)
    await add(units, guest_id, "MUG-1", 1, caller=GUEST, token=token)
    own_id, _ = await new_cart(units)
    await add(units, own_id, "TEA-1", 1)
    merged = await use_cases.merge_guest_cart(
        units=units, access=Access(guest_id, ANN, token), clock=lambda: NOW
    )
    assert merged.cart.id == own_id
    assert [(line.sku, line.quantity) for line in merged.cart.lines] == [("TEA-1", 3), ("MUG-1", 1)]
    closed = units.store.carts[guest_id]
    assert (closed.state, closed.merged_into) == (CartState.MERGED, own_id)
    assert [(e.type, e.data) for e in units.published] == [
        ("cart.merged.v1", {"cart_id": guest_id, "into_cart_id": own_id, "owner": "user-ann"})
    ]
    with pytest.raises(CartClosed):
        await add(units, guest_id, "TEA-1", 1, caller=GUEST, token=token)


async def test_merging_needs_a_signed_in_user_and_the_guest_token(
    units: FakeUnits[FakeCartStore],
) -> None:
    guest_id, token = await new_cart(units, GUEST)
    with pytest.raises(Forbidden):
        await use_cases.merge_guest_cart(units=units, access=Access(guest_id, GUEST, token))
    with pytest.raises(CartNotFound):
        await use_cases.merge_guest_cart(units=units, access=Access(guest_id, ANN, "wrong"))
    merged = await use_cases.merge_guest_cart(units=units, access=Access(guest_id, BOB, token))
    assert merged.cart.owner == "user-bob"  # Bob had no cart: one is made for him


async def test_an_order_placed_from_a_cart_closes_it_once_and_announces_it(
    units: FakeUnits[FakeCartStore],
) -> None:
    cart_id, _ = await new_cart(units)
    for _ in range(2):  # a redelivered order.placed changes nothing the second time
        async with units() as work:
            await use_cases.record_order(work=work, cart_id=cart_id, order_id="order-1")
    cart = units.store.carts[cart_id]
    assert (cart.state, cart.order_id) == (CartState.ORDERED, "order-1")
    assert [(e.type, e.subject, e.data) for e in units.published] == [
        ("cart.ordered.v1", cart_id, {"cart_id": cart_id, "order_id": "order-1"})
    ]
    with pytest.raises(CartClosed):
        await add(units, cart_id, "TEA-1", 1)
    again, _ = await new_cart(units)
    assert again != cart_id  # the user starts a fresh cart after ordering


async def test_an_order_for_a_cart_this_service_does_not_hold_is_ignored(
    units: FakeUnits[FakeCartStore],
) -> None:
    async with units() as work:
        await use_cases.record_order(work=work, cart_id="elsewhere", order_id="order-1")
    assert units.published == []
