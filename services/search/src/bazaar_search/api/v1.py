"""Search API v1: full-text product search with filters and facets, open to guests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bazaar_chassis import ReadsDep, Text
from bazaar_search import use_cases
from bazaar_search.domain import Filters, query_terms
from bazaar_shelf.card import ItemOut

router = APIRouter()

MAX_OFFSET = 10_000  # deeper than any shopper pages; a bigger offset is a 422, not a slow scan
MAX_PRICE = 100_000_000_000  # minor units: pricing's largest amount, so any price can be found


class FacetsOut(BaseModel):
    category: dict[str, int] = Field(description="matches directly placed in each category")
    in_stock: dict[str, int] = Field(description='"true" and "false": matches with and without')
    price: dict[str, int] = Field(description='per price band in minor units, e.g. "1000-2499"')


class SearchResults(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ItemOut]
    facets: FacetsOut
    corrections: dict[str, list[str]] = Field(
        description="when the query as typed matched nothing: each term and the known words "
        "within one edit it was also searched as"
    )


@router.get("/products")
async def search_products(
    reads: ReadsDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    category: Annotated[Text | None, Query(min_length=1, max_length=64)] = None,
    in_stock: bool | None = None,
    min_price: Annotated[int | None, Query(ge=0, le=MAX_PRICE)] = None,
    max_price: Annotated[int | None, Query(ge=0, le=MAX_PRICE)] = None,
) -> SearchResults:
    """Listed products matching every word of `q` (each as a prefix), best first: a match in the
    name ranks above one in the description. Prices are minor units of USD, bounds inclusive."""
    found = await use_cases.search(
        reads=reads,
        terms=query_terms(q),
        filters=Filters(
            category=category, in_stock=in_stock, min_price=min_price, max_price=max_price
        ),
        limit=limit,
        offset=offset,
    )
    return SearchResults(
        total=found.total,
        limit=limit,
        offset=offset,
        items=[ItemOut.of(item) for item in found.items],
        facets=FacetsOut.model_validate(found.facets, from_attributes=True),
        corrections=found.corrections,
    )
