"""How consumed facts update the read model: product facts set the catalog's own columns, the
rest are copied as every shop window copies them (`bazaar_shelf.copying`); a run of events of
one kind becomes one conditional `executemany`."""

from __future__ import annotations

from datetime import UTC, datetime

from bazaar_catalog import store
from bazaar_chassis import Event, Handler, copying
from bazaar_shelf import copying as shelf
from bazaar_shelf.facts import ProductFacts


def product_row(event: Event) -> shelf.Row:
    facts = ProductFacts.model_validate(event.data)
    return {
        "sku": facts.sku,
        "name": facts.name,
        "description": facts.description,
        "status": facts.status,
        "product_seq": event.sequence,
        "updated_at": datetime.now(UTC),
    }


PRODUCTS = copying(store.PRODUCT, product_row)

HANDLERS: dict[str, Handler] = {
    "product.created": PRODUCTS,
    "product.updated": PRODUCTS,
    "product.recalled": PRODUCTS,
    **shelf.handlers(card=store.items, categories=store.categories, placements=store.placements),
}
