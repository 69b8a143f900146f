"""Product life-cycle rules, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bazaar_chassis import InvalidInput, InvalidSku, StaleVersion
from bazaar_product.domain import (
    AlreadyRecalled,
    InvalidTransition,
    Product,
    ProductStatus,
    new_product,
    recall,
    revise,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def a_product(status: ProductStatus = ProductStatus.ACTIVE) -> Product:
    """A product at version 1 (draft or active) or 2 (any later status)."""
    start = ProductStatus.DRAFT if status == ProductStatus.DRAFT else ProductStatus.ACTIVE
    product = new_product(
        id="p1", sku="COF-1", name="Coffee", description="", attributes={}, status=start, now=NOW
    )
    if status == start:
        return product
    return revise(product, expected_version=1, now=NOW, status=status)


def test_a_new_product_starts_at_version_one() -> None:
    assert a_product().version == 1


@pytest.mark.parametrize("sku", ["", "-leading-dash", "has space", "x" * 65, "ümlaut"])
def test_an_invalid_sku_is_refused_with_the_rule_in_the_message(sku: str) -> None:
    with pytest.raises(InvalidSku, match="1-64 letters"):
        new_product(
            id="p",
            sku=sku,
            name="n",
            description="",
            attributes={},
            status=ProductStatus.ACTIVE,
            now=NOW,
        )


def test_a_new_product_cannot_start_recalled() -> None:
    with pytest.raises(InvalidInput):
        new_product(
            id="p",
            sku="A1",
            name="n",
            description="",
            attributes={},
            status=ProductStatus.RECALLED,
            now=NOW,
        )


def test_a_revision_based_on_an_old_version_is_stale() -> None:
    product = revise(a_product(), expected_version=1, now=NOW, name="New name")
    with pytest.raises(StaleVersion, match="version 2"):
        revise(product, expected_version=1, now=NOW, name="Lost update")


def test_a_revision_bumps_the_version_and_keeps_unspecified_fields() -> None:
    revised = revise(a_product(), expected_version=1, now=NOW, description="Dark roast")
    assert (revised.version, revised.name, revised.description) == (2, "Coffee", "Dark roast")


def test_a_discontinued_product_can_be_reactivated_but_a_draft_cannot_be_discontinued() -> None:
    discontinued = a_product(ProductStatus.DISCONTINUED)
    assert revise(
        discontinued, expected_version=2, now=NOW, status=ProductStatus.ACTIVE
    ).status == (ProductStatus.ACTIVE)
    with pytest.raises(InvalidTransition, match="allowed from draft"):
        revise(
            a_product(ProductStatus.DRAFT),
            expected_version=1,
            now=NOW,
            status=ProductStatus.DISCONTINUED,
        )


def test_recall_is_final_and_cannot_happen_twice() -> None:
    recalled = recall(a_product(), now=NOW)
    assert recalled.status == ProductStatus.RECALLED
    with pytest.raises(AlreadyRecalled):
        recall(recalled, now=NOW)
    with pytest.raises(InvalidTransition, match="final"):
        revise(recalled, expected_version=recalled.version, now=NOW, status=ProductStatus.ACTIVE)
