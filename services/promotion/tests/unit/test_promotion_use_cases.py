"""Promotion use cases on an in-memory store: what each stores, refuses and announces."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bazaar_chassis import Caller, Money, StaleVersion
from bazaar_chassis.testing import FakeUnits
from bazaar_promotion import domain, use_cases
from bazaar_promotion.domain import Code, Kind, Promotion, Terms

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
JENN = Caller(subject="jenn", kind="user", organization="bazaar", roles=("marketing",))
SHOPPER = Caller(subject="ann", kind="user", organization="public", roles=("customer",))
CART = Caller(subject="cart", kind="service", organization="bazaar", roles=("service:cart",))


class FakePromotionStore:
    """The `Promotions` protocol over dicts, applying the domain's redemption rule."""

    def __init__(self) -> None:
        self.promotions: dict[str, Promotion] = {}
        self.codes: dict[str, Code] = {}
        self.redemptions: dict[tuple[str, str], str] = {}
        self.cancelled: set[str] = set()

    async def get_promotion(self, promotion_id: str) -> Promotion | None:
        return self.promotions.get(promotion_id)

    async def list_promotions(self) -> list[Promotion]:
        return sorted(self.promotions.values(), key=lambda p: (p.priority, p.id))

    async def insert_promotion(self, promotion: Promotion) -> None:
        self.promotions[promotion.id] = promotion

    async def replace_promotion(self, promotion: Promotion) -> None:
        if self.promotions[promotion.id].version != promotion.version - 1:
            raise StaleVersion(resource="promotion", expected=promotion.version - 1, actual=0)
        self.promotions[promotion.id] = promotion

    async def get_code(self, code: str) -> Code | None:
        return self.codes.get(code)

    async def insert_code(self, code: Code) -> bool:
        if code.code in self.codes:
            return False
        self.codes[code.code] = code
        return True

    async def note_placed(self, order_id: str, *, now: datetime) -> bool:
        return order_id not in self.cancelled

    async def note_cancelled(self, order_id: str, *, now: datetime) -> None:
        self.cancelled.add(order_id)

    async def claim(self, *, code: str, order_id: str, now: datetime) -> bool:
        if (code, order_id) in self.redemptions:
            return False
        self.redemptions[code, order_id] = "claimed"
        return True

    async def take_use(self, code: str, *, now: datetime) -> Code | None:
        found = self.codes.get(code)
        promotion = self.promotions.get(found.promotion_id) if found else None
        if found is None or domain.refusal(found, promotion, now) is not None:
            return None
        self.codes[code] = domain.used(found, delta=1, now=now)
        return self.codes[code]

    async def settle(
        self, *, code: str, order_id: str, status: str, reason: str | None, now: datetime
    ) -> None:
        self.redemptions[code, order_id] = status

    async def release(self, order_id: str, *, now: datetime) -> list[Code]:
        changed = []
        for (code, order), status in sorted(self.redemptions.items()):
            if order == order_id and status == "redeemed":
                self.redemptions[code, order] = "released"
                self.codes[code] = domain.used(self.codes[code], delta=-1, now=now)
                changed.append(self.codes[code])
        return changed


Units = FakeUnits[FakePromotionStore]


async def promotion_with_code(
    units: Units, *, limit: int | None = 3, code: str = "SAVE10", **terms: object
) -> Promotion:
    promotion = await use_cases.create_promotion(
        units=units,
        caller=JENN,
        terms=Terms(name="Ten off", kind=Kind.PERCENTAGE, value=10.0, requires_code=True, **terms),  # type: ignore[arg-type]
        clock=lambda: NOW,
    )
    await use_cases.add_code(
        units=units,
        caller=JENN,
        promotion_id=promotion.id,
        code=code,
        usage_limit=limit,
        clock=lambda: NOW,
    )
    return promotion


async def test_creating_a_promotion_stores_it_and_announces_the_whole_promotion() -> None:
    units = FakeUnits(FakePromotionStore())
    promotion = await use_cases.create_promotion(
        units=units,
        caller=JENN,
        terms=Terms(name="5 off", kind=Kind.FIXED, value=Money(500, "USD")),
        clock=lambda: NOW,
    )
    assert units.store.promotions[promotion.id] == promotion
    [event] = units.published
    assert (event.type, event.subject, event.sequence) == (
        "promotion.promotion_changed.v1",
        promotion.id,
        1,
    )
    assert event.data["value"] == {"amount": 500, "currency": "USD"}
    assert event.data["valid_until"] is None


async def test_a_shopper_may_not_create_a_promotion_or_add_a_code_or_read_one() -> None:
    units = FakeUnits(FakePromotionStore())
    promotion = await promotion_with_code(units)
    with pytest.raises(domain.NotPromotionStaff):
        await use_cases.create_promotion(
            units=units, caller=SHOPPER, terms=Terms(name="x", kind=Kind.PERCENTAGE, value=1.0)
        )
    with pytest.raises(domain.NotPromotionStaff):
        await use_cases.add_code(
            units=units, caller=SHOPPER, promotion_id=promotion.id, code="MINE", usage_limit=1
        )
    with pytest.raises(domain.NotPromotionStaff):
        await use_cases.get_code(reads=units.reads, caller=SHOPPER, code="SAVE10")
    assert len(units.store.promotions) == 1


async def test_shoppers_see_only_promotions_on_offer_and_staff_see_all() -> None:
    units = FakeUnits(FakePromotionStore())
    on = await promotion_with_code(units)
    later = await promotion_with_code(units, code="LATER", valid_from=NOW + timedelta(days=1))
    listed = await use_cases.list_promotions(reads=units.reads, caller=SHOPPER, clock=lambda: NOW)
    assert [p.id for p in listed] == [on.id]
    everything = await use_cases.list_promotions(reads=units.reads, caller=JENN)
    assert {p.id for p in everything} == {on.id, later.id}
    with pytest.raises(domain.PromotionNotFound):
        await use_cases.get_promotion(
            reads=units.reads, caller=SHOPPER, promotion_id=later.id, clock=lambda: NOW
        )
    assert (await use_cases.get_code(reads=units.reads, caller=CART, code="later")).code == "LATER"


async def test_revising_announces_the_new_version_and_a_stale_one_changes_nothing() -> None:
    units = FakeUnits(FakePromotionStore())
    promotion = await promotion_with_code(units)
    ended = await use_cases.revise_promotion(
        units=units,
        caller=JENN,
        promotion_id=promotion.id,
        expected_version=1,
        changes={"active": False},
    )
    assert (ended.active, ended.version) == (False, 2)
    assert units.published[-1].data["active"] is False
    assert units.published[-1].sequence == 2
    with pytest.raises(StaleVersion):
        await use_cases.revise_promotion(
            units=units,
            caller=JENN,
            promotion_id=promotion.id,
            expected_version=1,
            changes={"active": True},
        )
    assert units.store.promotions[promotion.id].active is False


async def test_a_taken_code_name_is_a_conflict_whatever_its_case() -> None:
    units = FakeUnits(FakePromotionStore())
    promotion = await promotion_with_code(units)
    with pytest.raises(domain.DuplicateCode, match="SAVE10"):
        await use_cases.add_code(
            units=units, caller=JENN, promotion_id=promotion.id, code="save10", usage_limit=1
        )


async def test_a_code_is_redeemed_once_per_order_and_announced_with_its_new_uses() -> None:
    units = FakeUnits(FakePromotionStore())
    promotion = await promotion_with_code(units)
    published = len(units.published)
    outcomes = await use_cases.redeem_codes(units=units, order_id="o1", codes=["save10"], at=NOW)
    assert outcomes == [use_cases.Outcome(code="SAVE10", redeemed=True)]
    redeemed, changed = units.published[published:]
    assert (redeemed.type, redeemed.subject) == ("promotion.code_redeemed.v1", "o1")
    assert redeemed.data == {"order_id": "o1", "code": "SAVE10", "promotion_id": promotion.id}
    assert (changed.type, changed.data["uses"], changed.sequence) == (
        "promotion.code_changed.v1",
        1,
        2,
    )
    again = await use_cases.redeem_codes(units=units, order_id="o1", codes=["SAVE10"], at=NOW)
    assert again == []
    assert units.store.codes["SAVE10"].uses == 1
    assert len(units.published) == published + 2


async def test_codes_past_their_limit_window_or_unknown_are_refused_with_a_reason() -> None:
    units = FakeUnits(FakePromotionStore())
    await promotion_with_code(units, limit=1, valid_until=NOW + timedelta(days=1))
    await use_cases.redeem_codes(units=units, order_id="o1", codes=["SAVE10"], at=NOW)
    refusals = {
        "o2": (["SAVE10"], NOW, "usage limit reached (1 uses)"),
        "o3": (["NOPE"], NOW, "unknown code"),
        "o4": (["SAVE10"], NOW + timedelta(days=2), "code expired at"),
    }
    for order_id, (codes, at, reason) in refusals.items():
        [outcome] = await use_cases.redeem_codes(units=units, order_id=order_id, codes=codes, at=at)
        assert not outcome.redeemed
        assert str(outcome.reason).startswith(reason)
        assert units.published[-1].type == "promotion.code_refused.v1"
        assert units.published[-1].data["reason"] == outcome.reason
    assert units.store.codes["SAVE10"].uses == 1


async def test_a_cancelled_order_gives_its_use_back_once() -> None:
    units = FakeUnits(FakePromotionStore())
    await promotion_with_code(units, limit=1)
    await use_cases.redeem_codes(units=units, order_id="o1", codes=["SAVE10"], at=NOW)
    [released] = await use_cases.release_codes(units=units, order_id="o1")
    assert released.uses == 0
    assert units.published[-1].type == "promotion.code_changed.v1"
    assert units.published[-1].data["uses"] == 0
    assert await use_cases.release_codes(units=units, order_id="o1") == []
    [outcome] = await use_cases.redeem_codes(units=units, order_id="o2", codes=["SAVE10"], at=NOW)
    assert outcome.redeemed


async def test_an_ended_promotion_refuses_its_codes() -> None:
    units = FakeUnits(FakePromotionStore())
    promotion = await promotion_with_code(units)
    units.store.promotions[promotion.id] = replace(promotion, active=False)
    [outcome] = await use_cases.redeem_codes(units=units, order_id="o1", codes=["SAVE10"], at=NOW)
    assert outcome.reason == "code is no longer active"


async def test_an_order_cancelled_before_its_placement_is_applied_takes_no_use() -> None:
    units = FakeUnits(FakePromotionStore())
    await promotion_with_code(units, limit=1)
    assert await use_cases.release_codes(units=units, order_id="o1") == []
    [outcome] = await use_cases.redeem_codes(units=units, order_id="o1", codes=["SAVE10"], at=NOW)
    assert (outcome.redeemed, outcome.reason) == (False, "the order was cancelled")
    assert units.store.codes["SAVE10"].uses == 0
    [other] = await use_cases.redeem_codes(units=units, order_id="o2", codes=["SAVE10"], at=NOW)
    assert other.redeemed
