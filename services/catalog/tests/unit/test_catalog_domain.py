"""What the catalog shows of an item."""

from __future__ import annotations

from bazaar_catalog.domain import CatalogItem


def test_an_item_is_in_stock_only_with_units_available() -> None:
    item = CatalogItem(sku="A", name="A", description="", price=None, available=0)
    assert not item.in_stock
