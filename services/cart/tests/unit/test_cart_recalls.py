"""The cart's recall reaction on an in-memory store: which carts lose the line, what the owner
is told, and that a recall is handled once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bazaar_cart import recalls
from bazaar_cart.domain import Cart, CartState, Line, new_cart
from bazaar_chassis import Caller, Money
from bazaar_chassis.testing import FakeUnits

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ANN = Caller(subject="user-ann", kind="user", organization="public", roles=("customer",))


class FakeRecallCarts:
    def __init__(self, *carts: Cart) -> None:
        self.carts = {cart.id: cart for cart in carts}
        self.recalled: dict[str, str] = {}

    async def active_with(self, sku: str) -> list[Cart]:
        return [
            c
            for c in self.carts.values()
            if c.state == CartState.ACTIVE and any(line.sku == sku for line in c.lines)
        ]

    async def mark_recalled(self, sku: str, *, reason: str, now: datetime) -> bool:
        if sku in self.recalled:
            return False
        self.recalled[sku] = reason
        return True

    async def save(self, cart: Cart) -> None:
        self.carts[cart.id] = cart


def a_cart(cart_id: str, *skus: str, state: CartState = CartState.ACTIVE) -> Cart:
    cart = new_cart(id=cart_id, caller=ANN, token=None, now=NOW)
    lines = tuple(Line(sku, sku.lower(), 2, Money(100, "USD")) for sku in skus)
    return replace(cart, lines=lines, state=state)


async def recall(units: FakeUnits[FakeRecallCarts], sku: str, reason: str) -> list[Cart] | None:
    async with units() as work:
        return await recalls.remove_recalled(
            work=work, sku=sku, reason=reason, sequence=2, clock=lambda: NOW
        )


async def test_the_sku_leaves_active_carts_only_and_each_owner_gets_a_notice() -> None:
    units = FakeUnits(
        FakeRecallCarts(
            a_cart("c1", "TEA-1", "COF-1"),
            a_cart("c2", "COF-1"),
            a_cart("c3", "TEA-1", state=CartState.ORDERED),
        )
    )

    changed = await recall(units, "TEA-1", "mould")

    assert [cart.id for cart in changed or []] == ["c1"]
    c1 = units.store.carts["c1"]
    assert [line.sku for line in c1.lines] == ["COF-1"]
    assert [(n.sku, n.quantity, n.reason, n.at) for n in c1.notices] == [("TEA-1", 2, "mould", NOW)]
    assert c1.version == 2
    assert [line.sku for line in units.store.carts["c3"].lines] == ["TEA-1"]  # ordered: kept
    [event] = units.published
    assert (event.type, event.subject, event.sequence) == (
        "cart.recalled_lines_removed.v1",
        "TEA-1",
        2,
    )
    assert event.data == {
        "sku": "TEA-1",
        "reason": "mould",
        "carts": [{"cart_id": "c1", "owner": "user-ann", "quantity": 2}],
    }


async def test_a_recall_no_cart_holds_is_still_announced_once() -> None:
    units = FakeUnits(FakeRecallCarts(a_cart("c1", "COF-1")))
    assert await recall(units, "TEA-1", "mould") == []
    assert [e.data["carts"] for e in units.published] == [[]]


async def test_a_second_recall_of_the_sku_changes_nothing() -> None:
    units = FakeUnits(FakeRecallCarts(a_cart("c1", "TEA-1")))
    await recall(units, "TEA-1", "first")
    units.store.carts["c1"] = replace(
        units.store.carts["c1"], lines=(Line("TEA-1", "tea", 1, Money(100, "USD")),)
    )
    units.published.clear()

    assert await recall(units, "TEA-1", "second") is None
    assert units.published == []
    assert len(units.store.carts["c1"].lines) == 1
