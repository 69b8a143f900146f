"""Promotion API v1: promotions and their discount codes.

Each route parses, calls one use case and answers with the entity; who may write is checked in
the use cases (the gateway's policy checks it too). Shoppers and guests read what is on offer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field

from bazaar_chassis import MAX_INT32, CallerDep, Money, ReadsDep, Text, UnitsDep, Version
from bazaar_promotion import use_cases
from bazaar_promotion.domain import (
    CODE_SCHEMA_PATTERN,
    MAX_AMOUNT,
    Code,
    Kind,
    Promotion,
    Stacking,
    Terms,
)

router = APIRouter()


class MoneyIn(BaseModel):
    amount: Annotated[int, Field(ge=1, le=MAX_AMOUNT, description="integer minor units")]
    currency: str = Field(min_length=1, max_length=8, examples=["USD"])


class TermsIn(BaseModel):
    """The terms of a promotion; `domain.checked` says which fit which kind."""

    value: float | MoneyIn | None = Field(
        default=None, description="percent (0-100] for percentage/threshold, or Money"
    )
    predicate: dict[str, list[str]] | None = Field(
        default=None, description="{skus: [...]} or {categories: [...]}; null = the whole cart"
    )
    threshold: MoneyIn | None = None
    buy: int | None = Field(default=None, le=MAX_INT32)  # ≥ 1: the domain says so in its words
    get: int | None = Field(default=None, le=MAX_INT32)
    priority: int = Field(default=100, ge=0, le=1_000_000, description="lower applies first")
    stacking: Stacking = Stacking.STACKABLE
    requires_code: bool = False
    valid_from: AwareDatetime | None = Field(default=None, description="default: now")
    valid_until: AwareDatetime | None = Field(default=None, description="default: no end")
    active: bool = True


class PromotionCreate(TermsIn):
    name: Text = Field(min_length=1, max_length=200, examples=["10% off coffee"])
    kind: Kind


class PromotionPatch(TermsIn):
    version: Version
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    kind: Kind | None = None


class CodeCreate(BaseModel):
    code: str = Field(
        min_length=1,
        max_length=64,
        json_schema_extra={"pattern": CODE_SCHEMA_PATTERN},
        examples=["WELCOME10"],
        description="3-32 letters, digits, '_' or '-', starting with a letter or digit; "
        "case-insensitive",
    )
    usage_limit: int | None = Field(le=MAX_INT32, description="at least 1; null for no limit")
    valid_from: AwareDatetime | None = Field(default=None, description="default: the promotion's")
    valid_until: AwareDatetime | None = Field(default=None, description="default: the promotion's")


class PromotionList(BaseModel):
    items: list[Promotion]


def _domain_values(given: dict[str, Any]) -> dict[str, Any]:
    """The parsed fields with Money as the domain's `Money`."""
    for key in ("value", "threshold"):
        if isinstance(given.get(key), dict):
            given[key] = Money(**given[key])
    return given


@router.post("/promotions", status_code=201)
async def create_promotion(body: PromotionCreate, units: UnitsDep, caller: CallerDep) -> Promotion:
    terms = Terms(**_domain_values(body.model_dump()))
    return await use_cases.create_promotion(units=units, caller=caller, terms=terms)


@router.get("/promotions")
async def list_promotions(reads: ReadsDep, caller: CallerDep) -> PromotionList:
    """Staff and services see every promotion; shoppers and guests those on offer now."""
    return PromotionList(items=await use_cases.list_promotions(reads=reads, caller=caller))


@router.get("/promotions/{promotion_id}")
async def get_promotion(promotion_id: str, reads: ReadsDep, caller: CallerDep) -> Promotion:
    return await use_cases.get_promotion(reads=reads, caller=caller, promotion_id=promotion_id)


@router.patch("/promotions/{promotion_id}")
async def revise_promotion(
    promotion_id: str, body: PromotionPatch, units: UnitsDep, caller: CallerDep
) -> Promotion:
    changes = _domain_values(body.model_dump(exclude_unset=True, exclude={"version"}))
    return await use_cases.revise_promotion(
        units=units,
        caller=caller,
        promotion_id=promotion_id,
        expected_version=body.version,
        changes=changes,
    )


@router.post("/promotions/{promotion_id}/codes", status_code=201)
async def add_code(promotion_id: str, body: CodeCreate, units: UnitsDep, caller: CallerDep) -> Code:
    return await use_cases.add_code(
        units=units,
        caller=caller,
        promotion_id=promotion_id,
        code=body.code,
        usage_limit=body.usage_limit,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )


@router.get("/codes/{code}")
async def get_code(code: str, reads: ReadsDep, caller: CallerDep) -> Code:
    return await use_cases.get_code(reads=reads, caller=caller, code=code)
