"""The two full-text engines behind one query: SQLite FTS5 (by default) and PostgreSQL's
tsvector/GIN (production), each given the same words and asked the same question.

A query's terms must all match (AND); each matches as a prefix (type-ahead: `espr` finds
espresso) or as one of its corrections, whole. Relevance is "lower is better" on both: FTS5's
bm25 with the name weighted 10:1 over the description, PostgreSQL's ts_rank negated, the name
indexed with weight A and the description with weight B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, Integer, MetaData, Table, Text, func, literal_column

from bazaar_search.domain import Term

NAME_WEIGHT = 10.0  # FTS5 bm25 column weight of the name; the description weighs 1
PG_WEIGHTS = "'{0.01, 0.02, 0.1, 1.0}'::float4[]"  # D, C, B (description), A (name)
PG_CONFIG = "'simple'::regconfig"  # words are already cut by domain.words: no stemming

# The FTS5 index over `products` (external content: it stores only the index, triggers keep it).
fts = Table(
    "products_fts",
    MetaData(),
    Column("rowid", Integer),
    Column("name_terms", Text),
    Column("description_terms", Text),
)


def fts5_query(terms: Sequence[Term]) -> str:
    """`"espr"* AND ("espreso"* OR "espresso")`: words are letters and digits only, quoted so
    that none is read as an FTS5 operator."""

    def one(term: Term) -> str:
        options = [f'"{term.word}"*', *(f'"{w}"' for w in term.corrections)]
        return options[0] if len(options) == 1 else f"({' OR '.join(options)})"

    return " AND ".join(one(t) for t in terms)


def tsquery(terms: Sequence[Term]) -> str:
    """`espr:* & (espreso:* | espresso)`, for `to_tsquery('simple', ...)`."""

    def one(term: Term) -> str:
        options = [f"{term.word}:*", *term.corrections]
        return options[0] if len(options) == 1 else f"({' | '.join(options)})"

    return " & ".join(one(t) for t in terms)


@dataclass(frozen=True, slots=True)
class Match:
    """How to find the terms on one dialect: the join to add, the condition, the relevance."""

    join: Any  # the FROM clause: `products`, or `products` joined to the FTS5 index
    condition: ColumnElement[bool]
    relevance: ColumnElement[Any]


def matching(dialect: str, products: Table, terms: Sequence[Term]) -> Match:
    """The full-text match of `terms` against `products` on `dialect` (sqlite or postgresql)."""
    if dialect == "sqlite":
        index: ColumnElement[Any] = literal_column("products_fts")
        return Match(
            join=products.join(fts, fts.c.rowid == products.c.id),
            condition=index.bool_op("MATCH")(fts5_query(terms)),
            relevance=func.bm25(index, NAME_WEIGHT, 1.0),
        )
    vector: ColumnElement[Any] = literal_column("products.search_vector")
    query = func.to_tsquery(literal_column(PG_CONFIG), tsquery(terms))
    return Match(
        join=products,
        condition=vector.bool_op("@@")(query),
        relevance=-func.ts_rank(literal_column(PG_WEIGHTS), vector, query),
    )
