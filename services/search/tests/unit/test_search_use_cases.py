"""Search's queries on an in-memory index: ranking, prefixes, typo widening, filters and facets.

The fake ranks as the real engines do (a name match above a description match), so these tests
say what the use case must do with the index's answers, not how SQL finds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bazaar_chassis import Money
from bazaar_chassis.testing import FakeUnits
from bazaar_search import use_cases
from bazaar_search.domain import (
    PRICE_BANDS,
    Facets,
    Filters,
    SearchItem,
    Term,
    band_key,
    spellings,
    words,
)


@dataclass
class Product:
    item: SearchItem
    description: str = ""
    categories: tuple[str, ...] = ()


@dataclass
class FakeIndex:
    """The `Index` protocol over a list of listed products."""

    products: list[Product] = field(default_factory=list)
    asked_for_spellings: int = 0

    def _score(self, product: Product, terms: Sequence[Term]) -> int | None:
        name, description = words(product.item.name), words(product.description)
        score = 0
        for term in terms:
            options = (term.word, *term.corrections)

            def hits(found: list[str], options: tuple[str, ...] = options) -> bool:
                return any(w.startswith(options[0]) or w in options[1:] for w in found)

            if hits(name):
                score += 10
            elif hits(description):
                score += 1
            else:
                return None
        return score

    def _matches(self, terms: Sequence[Term], filters: Filters) -> list[Product]:
        scored = [(self._score(p, terms), p) for p in self.products]
        found = [
            (s, p)
            for s, p in scored
            if s is not None
            and (filters.category is None or filters.category in p.categories)
            and (filters.in_stock is None or p.item.in_stock == filters.in_stock)
        ]
        return [p for _, p in sorted(found, key=lambda sp: (-sp[0], sp[1].item.name))]

    async def page(
        self, *, terms: Sequence[Term], filters: Filters, limit: int, offset: int
    ) -> list[SearchItem]:
        return [p.item for p in self._matches(terms, filters)][offset : offset + limit]

    async def facets(self, *, terms: Sequence[Term], filters: Filters) -> Facets:
        facets = Facets()
        for product in self._matches(terms, filters):
            for key in product.categories:
                facets.category[key] = facets.category.get(key, 0) + 1
            facets.in_stock[str(product.item.in_stock).lower()] += 1
            amount = product.item.price.amount if product.item.price else None
            for low, high in PRICE_BANDS:
                if amount is not None and low <= amount and (high is None or amount <= high):
                    facets.price[band_key(low, high)] += 1
        return facets

    async def spelling_neighbours(self, variants: set[str]) -> list[tuple[str, str]]:
        self.asked_for_spellings += 1
        texts = [t for p in self.products for t in (p.item.name, p.description)]
        return [(v, w) for v, w in spellings(texts) if v in variants]


def a_product(sku: str, name: str, description: str = "", **kwargs: object) -> Product:
    available = int(str(kwargs.get("available", 1)))
    amount = int(str(kwargs.get("amount", 1200)))
    categories = tuple(str(kwargs.get("category", "coffee")).split())
    item = SearchItem(sku=sku, name=name, price=Money(amount, "USD"), available=available)
    return Product(item, description, categories)


def an_index() -> FakeUnits[FakeIndex]:
    return FakeUnits(
        FakeIndex(
            [
                a_product("GRINDER", "Burr grinder", "for espresso", category="gear"),
                a_product("BLEND", "House Espresso Blend", "dark", available=0, amount=2600),
                a_product("TEA", "Darjeeling", "first flush", category="tea"),
            ]
        )
    )


async def run(
    units: FakeUnits[FakeIndex], *words_: str, limit: int = 10, offset: int = 0, **filters: object
) -> use_cases.Results:
    return await use_cases.search(
        reads=units.reads,
        terms=[Term(w) for w in words_],
        filters=Filters(**filters),  # type: ignore[arg-type]
        limit=limit,
        offset=offset,
    )


async def test_a_name_match_comes_first_and_a_prefix_matches_without_asking_for_spellings() -> None:
    units = an_index()
    found = await run(units, "espr")
    assert [i.sku for i in found.items] == ["BLEND", "GRINDER"]
    assert (found.total, found.corrections, units.store.asked_for_spellings) == (2, {}, 0)


async def test_a_query_matching_nothing_is_widened_to_known_words_within_one_edit() -> None:
    units = an_index()
    found = await run(units, "espreso")
    assert [i.sku for i in found.items] == ["BLEND", "GRINDER"]
    assert found.corrections == {"espreso": ["espresso"]}


async def test_a_query_too_far_from_every_known_word_finds_nothing_and_corrects_nothing() -> None:
    found = await run(an_index(), "exprezzo")
    assert (found.total, found.items, found.corrections) == (0, [], {})


async def test_facets_count_every_match_while_the_page_shows_only_its_slice() -> None:
    found = await run(an_index(), limit=1, offset=1)
    assert [i.sku for i in found.items] == ["TEA"]  # by name without a query
    assert found.total == 3
    assert found.facets.category == {"gear": 1, "coffee": 1, "tea": 1}
    assert found.facets.in_stock == {"true": 2, "false": 1}
    assert found.facets.price["1000-2499"] == 2
    assert found.facets.price["2500-4999"] == 1


async def test_filters_narrow_both_the_page_and_the_facets() -> None:
    found = await run(an_index(), in_stock=True, category="gear")
    assert ([i.sku for i in found.items], found.facets.category) == (["GRINDER"], {"gear": 1})


async def test_a_page_past_the_last_match_is_empty_but_keeps_the_total() -> None:
    found = await run(an_index(), offset=5)
    assert (found.total, found.items) == (3, [])
