"""How consumed facts update the read model: product facts set the catalog's own columns, the
rest are copied as every shop window copies them (`bazaar_shelf.copying`); a run of events of
one kind becomes one conditional `executemany`, and the same transaction bumps the read model's
generation (so no cached answer outlives it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bazaar_catalog import store
from bazaar_chassis import Batched, Event, Handler, UnitOfWork
from bazaar_shelf import copying as shelf
from bazaar_shelf.facts import ProductFacts
from bazaar_shelf.newest import copying


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


def new_generation(handler: Batched) -> Batched:
    """The generation bumped, then `handler`, in one transaction: an answer kept before it
    (`KEPT` in service.py) is not sent again once this transaction commits, on any instance.

    The bump comes first so that on PostgreSQL its row lock orders the batches of several
    instances: each batch locks the items of its events in event order, and two batches that
    share items in different orders deadlock (`test_read_model_convergence.py`)."""

    async def apply(events: Sequence[Event], uow: UnitOfWork) -> None:
        await uow.connection.execute(store.BUMP_GENERATION)
        await handler.handle(events, uow)

    return Batched(apply)


PRODUCTS = copying(store.PRODUCT, product_row)

HANDLERS: dict[str, Handler] = {
    name: new_generation(handler)
    for name, handler in {
        "product.created": PRODUCTS,
        "product.updated": PRODUCTS,
        "product.recalled": PRODUCTS,
        **shelf.handlers(
            card=store.items, categories=store.categories, placements=store.placements
        ),
    }.items()
}
