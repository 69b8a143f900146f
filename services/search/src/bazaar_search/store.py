"""Search's own tables, the conditional upserts that keep them equal to the sources, and the
two queries a search runs: one page in relevance order, and the facets of the whole match set.

Each fact is applied only if it is newer than what the row holds for that aspect (`product_seq`,
`price_seq`, `stock_seq`, per category or placement `seq`; the chassis's `apply_newer` puts the
condition inside the UPSERT), so facts arriving in any order, on any instance, converge. The
full-text index follows `products` by itself (FTS5 triggers on SQLite, a generated tsvector
column on PostgreSQL; see the migration). The columns every shop window keeps come from
`bazaar_shelf.copying`; search adds the words it indexes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import Money, dialect_insert
from bazaar_search import fulltext
from bazaar_search.domain import (
    PRICE_BANDS,
    SEARCH_CURRENCY,
    Facets,
    Filters,
    SearchItem,
    Term,
    band_key,
)
from bazaar_shelf.card import LISTED_STATUSES
from bazaar_shelf.copying import card_columns, categories_table, placements_table, product_aspect

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),  # the FTS5 index's rowid (stable, unlike sku)
    Column("sku", String(64), nullable=False, unique=True),
    Column("name", String(200)),
    Column("name_terms", Text),
    Column("description_terms", Text),
    *card_columns(),
)
categories = categories_table(metadata, Column("parent", String(64)))
placements = placements_table(metadata)
spellings = Table(
    "spellings",
    metadata,
    Column("variant", String(64), primary_key=True),  # the word, or it less one letter
    Column("word", String(64), primary_key=True),
)
PRODUCT = product_aspect(products, "name", "name_terms", "description_terms")


async def learn_spellings(connection: AsyncConnection, pairs: Iterable[tuple[str, str]]) -> None:
    """Add (variant, word) pairs to the vocabulary; known ones are kept as they are."""
    rows = [{"variant": v, "word": w} for v, w in sorted(pairs)]
    if rows:
        statement = dialect_insert(connection, spellings).on_conflict_do_nothing()
        await connection.execute(statement, rows)


def _literal(value: str | int) -> ColumnElement[Any]:
    """A constant of ours inlined in SQL (so PostgreSQL can group by it and type it)."""
    return literal_column(f"'{value}'" if isinstance(value, str) else str(int(value)))


def _price_band() -> ColumnElement[Any]:
    priced = products.c.price_currency == SEARCH_CURRENCY
    return case(
        *(
            (
                and_(priced, products.c.price_amount <= _literal(high))
                if high is not None
                else priced,
                _literal(band_key(low, high)),
            )
            for low, high in PRICE_BANDS
        ),
        else_=None,
    )


def _in_category(category: str) -> ColumnElement[bool]:
    """Placed in the category or any category below it (a recursive walk down the tree)."""
    tree = select(cast(literal(category), String(64)).label("key")).cte("tree", recursive=True)
    tree = tree.union(select(categories.c.key).where(categories.c.parent == tree.c.key))
    placed = select(placements.c.sku).where(
        placements.c.assigned.is_(True), placements.c.category_key.in_(select(tree.c.key))
    )
    return products.c.sku.in_(placed)


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [products.c.status.in_(LISTED_STATUSES)]
    if filters.category is not None:
        found.append(_in_category(filters.category))
    if filters.in_stock is not None:
        found.append(products.c.available > 0 if filters.in_stock else products.c.available <= 0)
    if filters.min_price is not None or filters.max_price is not None:
        found.append(products.c.price_currency == SEARCH_CURRENCY)
    if filters.min_price is not None:
        found.append(products.c.price_amount >= filters.min_price)
    if filters.max_price is not None:
        found.append(products.c.price_amount <= filters.max_price)
    return found


def _matches(
    dialect: str, terms: Sequence[Term], filters: Filters, *columns: ColumnElement[Any]
) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    """The listed products matching terms and filters, and their order: relevance (lower is
    better; none without terms), then name and SKU, so that pages are stable."""
    conditions = _conditions(filters)
    source: Any = products
    order: list[ColumnElement[Any]] = [products.c.name, products.c.sku]
    if terms:
        match = fulltext.matching(dialect, products, terms)
        source, order = match.join, [match.relevance, *order]
        conditions.append(match.condition)
    return select(*columns).select_from(source).where(*conditions), order


async def page(
    connection: AsyncConnection,
    *,
    terms: Sequence[Term],
    filters: Filters,
    limit: int,
    offset: int,
) -> list[SearchItem]:
    """One page of the matches, best first."""
    query, order = _matches(
        connection.dialect.name,
        terms,
        filters,
        products.c.sku,
        products.c.name,
        products.c.price_amount,
        products.c.price_currency,
        products.c.available,
    )
    ordered = query.order_by(*order).limit(limit).offset(offset)
    return [
        SearchItem(
            sku=row.sku,
            name=row.name,
            price=Money(row.price_amount, row.price_currency)
            if row.price_amount is not None and row.price_currency
            else None,
            available=row.available,
        )
        for row in await connection.execute(ordered)
    ]


async def facets(connection: AsyncConnection, *, terms: Sequence[Term], filters: Filters) -> Facets:
    """Counts by category (direct placements), stock and price band, in one statement."""
    stock = case((products.c.available > 0, _literal("true")), else_=_literal("false"))
    query, _ = _matches(
        connection.dialect.name,
        terms,
        filters,
        products.c.sku,
        stock.label("stock"),
        _price_band().label("band"),
    )
    matched = query.cte("matched")
    counted = union_all(
        select(_literal("category").label("facet"), placements.c.category_key, func.count())
        .select_from(matched.join(placements, placements.c.sku == matched.c.sku))
        .where(placements.c.assigned.is_(True))
        .group_by(placements.c.category_key),
        select(_literal("in_stock"), matched.c.stock, func.count()).group_by(matched.c.stock),
        select(_literal("price"), matched.c.band, func.count())
        .where(matched.c.band.is_not(None))
        .group_by(matched.c.band),
    )
    found = Facets()
    for facet, key, count in await connection.execute(counted):
        getattr(found, facet)[key] = int(count)
    return found


async def spelling_neighbours(
    connection: AsyncConnection, variants: set[str]
) -> list[tuple[str, str]]:
    """The vocabulary's (variant, word) pairs under any of `variants`."""
    query = select(spellings.c.variant, spellings.c.word).where(
        spellings.c.variant.in_(sorted(variants))
    )
    return [(row.variant, row.word) for row in await connection.execute(query)]


class SearchStore:
    """The read model on one connection, as the queries in `use_cases` read it."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def page(
        self, *, terms: Sequence[Term], filters: Filters, limit: int, offset: int
    ) -> list[SearchItem]:
        return await page(self.connection, terms=terms, filters=filters, limit=limit, offset=offset)

    async def facets(self, *, terms: Sequence[Term], filters: Filters) -> Facets:
        return await facets(self.connection, terms=terms, filters=filters)

    async def spelling_neighbours(self, variants: set[str]) -> list[tuple[str, str]]:
        return await spelling_neighbours(self.connection, variants)
