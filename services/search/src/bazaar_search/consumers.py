"""How consumed facts update the read model: product facts set search's own columns and teach the
vocabulary the spellings of their words (for typo tolerance); the rest are copied as every shop
window copies them (`bazaar_shelf.copying`), a run of one kind in one conditional `executemany`.
Batches of several instances take turns on PostgreSQL (`in_turn`, `each_batch_after`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import text

from bazaar_chassis import Batched, Event, Handler, UnitOfWork
from bazaar_search import store
from bazaar_search.domain import indexed_text, spellings
from bazaar_shelf import copying as shelf
from bazaar_shelf.facts import ProductFacts
from bazaar_shelf.newest import apply_newer, each_batch_after


def product_row(event: Event) -> shelf.Row:
    facts = ProductFacts.model_validate(event.data)
    return {
        "sku": facts.sku,
        "name": facts.name,
        "name_terms": indexed_text(facts.name),
        "description_terms": indexed_text(facts.description),
        "status": facts.status,
        "product_seq": event.sequence,
        "updated_at": datetime.now(UTC),
    }


async def _apply_products(events: Sequence[Event], uow: UnitOfWork) -> None:
    rows = [product_row(e) for e in events]
    await apply_newer(uow.connection, store.PRODUCT, rows)
    texts = [r[column] for r in rows for column in ("name_terms", "description_terms")]
    await store.learn_spellings(uow.connection, spellings(texts))


TAKE_TURNS = text("SELECT pg_advisory_xact_lock(hashtext('bazaar_search.consumers'))")


async def in_turn(uow: UnitOfWork) -> None:
    """Take search's consumer lock before each run of a batch (so before its first row), on
    PostgreSQL (SQLite's one writer takes turns already): without it two instances' batches
    sharing SKUs deadlocked, and the loser waited a second for PostgreSQL to find it
    (`test_read_model_convergence.py`). It is held to the commit."""
    if uow.connection.dialect.name == "postgresql":
        await uow.connection.execute(TAKE_TURNS)


PRODUCTS = Batched(_apply_products)

HANDLERS: dict[str, Handler] = each_batch_after(
    in_turn,
    {
        "product.created": PRODUCTS,
        "product.updated": PRODUCTS,
        "product.recalled": PRODUCTS,
        **shelf.handlers(
            card=store.products, categories=store.categories, placements=store.placements
        ),
    },
)
