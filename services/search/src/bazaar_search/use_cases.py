"""What search answers: one keyword-only function per query (the API only parses).

A search runs the terms as typed (each a prefix); only when that finds nothing does it look up
the vocabulary for known words within one edit of each term and run once more with them, saying
which corrections it used. The store is the `Index` protocol below, so unit tests run on a fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bazaar_chassis import Reads
from bazaar_search.domain import Facets, Filters, SearchItem, Term, corrected, deletions


class Index(Protocol):
    """The read model as the queries need it (`store.SearchStore` in production)."""

    async def page(
        self, *, terms: Sequence[Term], filters: Filters, limit: int, offset: int
    ) -> list[SearchItem]: ...
    async def facets(self, *, terms: Sequence[Term], filters: Filters) -> Facets: ...
    async def spelling_neighbours(self, variants: set[str]) -> list[tuple[str, str]]: ...


@dataclass(frozen=True, slots=True)
class Results:
    total: int
    items: list[SearchItem]
    facets: Facets
    corrections: dict[str, list[str]] = field(default_factory=dict)  # term -> words it also ran as


async def search(
    *, reads: Reads[Index], terms: Sequence[Term], filters: Filters, limit: int, offset: int
) -> Results:
    """One page of listed products matching every term, the facets of all matches, and the
    spelling corrections used (only when the terms as typed match nothing)."""
    async with reads() as index:
        facets = await index.facets(terms=terms, filters=filters)
        corrections: dict[str, list[str]] = {}
        if facets.total == 0 and terms:
            variants = {v for t in terms for v in deletions(t.word)}
            widened = corrected(terms, await index.spelling_neighbours(variants))
            if widened != list(terms):
                terms = widened
                facets = await index.facets(terms=terms, filters=filters)
                corrections = {t.word: list(t.corrections) for t in terms if t.corrections}
        items = (
            await index.page(terms=terms, filters=filters, limit=limit, offset=offset)
            if facets.total > offset
            else []
        )
    return Results(total=facets.total, items=items, facets=facets, corrections=corrections)
