"""How consumed facts update the read model: product facts set the catalog's own columns, the
rest are copied as every shop window copies them (`bazaar_shelf.copying`); a run of events of
one kind becomes one conditional `executemany`, and the same transaction bumps the read model's
generation (so no cached answer outlives it)."""

from __future__ import annotations

from datetime import UTC, datetime

from bazaar_catalog import store
from bazaar_chassis import Event, Handler, UnitOfWork
from bazaar_shelf import copying as shelf
from bazaar_shelf.facts import ProductFacts
from bazaar_shelf.newest import copying, each_batch_after


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


async def new_generation(uow: UnitOfWork) -> None:
    """Bump the generation before each run of a batch (so before its first row): an answer
    kept before it (`KEPT` in service.py) is not sent again once the batch commits, on any
    instance. Its row lock also makes several instances' batches take turns on PostgreSQL
    (`each_batch_after`, `test_read_model_convergence.py`)."""
    await uow.connection.execute(store.BUMP_GENERATION)


PRODUCTS = copying(store.PRODUCT, product_row)

HANDLERS: dict[str, Handler] = each_batch_after(
    new_generation,
    {
        "product.created": PRODUCTS,
        "product.updated": PRODUCTS,
        "product.recalled": PRODUCTS,
        **shelf.handlers(
            card=store.items, categories=store.categories, placements=store.placements
        ),
    },
)
