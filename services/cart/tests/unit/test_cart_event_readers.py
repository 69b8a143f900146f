"""The cart's readers accept the promotion service's payloads exactly as it publishes them."""

from __future__ import annotations

from bazaar_cart.events import PromotionFacts

# promotion.promotion_changed.v1 for a percentage promotion, as the promotion service sends it:
# the fields of other kinds are present and null.
PERCENTAGE = {
    "id": "p-1",
    "name": "Welcome",
    "kind": "percentage",
    "value": 10.0,
    "predicate": None,
    "threshold": None,
    "buy": None,
    "get": None,
    "priority": 100,
    "stacking": "stackable",
    "requires_code": True,
    "valid_from": "2026-01-01T00:00:00Z",
    "valid_until": None,
    "active": True,
}


def test_a_percentage_promotion_with_null_buy_and_get_is_read() -> None:
    facts = PromotionFacts.model_validate(PERCENTAGE)
    assert (facts.kind, facts.value, facts.buy, facts.get) == ("percentage", 10.0, None, None)


def test_a_buy_x_get_y_promotion_keeps_its_counts() -> None:
    facts = PromotionFacts.model_validate(
        {**PERCENTAGE, "kind": "buy_x_get_y", "value": None, "buy": 2, "get": 1}
    )
    assert (facts.buy, facts.get) == (2, 1)
