"""The events the promotion service publishes, and tolerant readers of the order events it uses.

Published events carry the whole state (a promotion, a code with its `uses`), `sequence` = the
entity's version, so the cart keeps its copy from them alone (checkout-design.md, ADR 6).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bazaar_promotion.domain import Code, Promotion

PROMOTION_CHANGED = "promotion.promotion_changed.v1"
CODE_CHANGED = "promotion.code_changed.v1"
CODE_REDEEMED = "promotion.code_redeemed.v1"
CODE_REFUSED = "promotion.code_refused.v1"


class MoneyState(BaseModel):
    amount: int
    currency: str


class PromotionState(BaseModel):
    """Payload of promotion.promotion_changed.v1 (subject: the promotion id)."""

    id: str
    name: str
    kind: str
    value: float | MoneyState | None = Field(description="percent 0-100, Money, or null")
    predicate: dict[str, list[str]] | None = Field(
        description="{skus: [...]} or {categories: [...]}; null means the whole cart"
    )
    threshold: MoneyState | None
    buy: int | None
    get: int | None
    priority: int
    stacking: str
    requires_code: bool
    valid_from: datetime
    valid_until: datetime | None = Field(description="null: no end")
    active: bool


class CodeState(BaseModel):
    """Payload of promotion.code_changed.v1 (subject: the code)."""

    code: str
    promotion_id: str
    usage_limit: int | None = Field(description="null: unlimited")
    uses: int
    valid_from: datetime
    valid_until: datetime | None
    active: bool


class CodeRedeemed(BaseModel):
    """Payload of promotion.code_redeemed.v1 (subject: the order id)."""

    order_id: str
    code: str
    promotion_id: str


class CodeRefused(BaseModel):
    """Payload of promotion.code_refused.v1 (subject: the order id)."""

    order_id: str
    code: str
    reason: str


SCHEMAS: dict[str, type[BaseModel]] = {
    PROMOTION_CHANGED: PromotionState,
    CODE_CHANGED: CodeState,
    CODE_REDEEMED: CodeRedeemed,
    CODE_REFUSED: CodeRefused,
}


def promotion_state(promotion: Promotion) -> dict[str, Any]:
    return PromotionState.model_validate(promotion, from_attributes=True).model_dump(mode="json")


def code_state(code: Code) -> dict[str, Any]:
    return CodeState.model_validate(code, from_attributes=True).model_dump(mode="json")


def redeemed(*, order_id: str, code: str, promotion_id: str) -> dict[str, Any]:
    return CodeRedeemed(order_id=order_id, code=code, promotion_id=promotion_id).model_dump()


def refused(*, order_id: str, code: str, reason: str) -> dict[str, Any]:
    return CodeRefused(order_id=order_id, code=code, reason=reason).model_dump()


# --- what the promotion service reads of the order's events (extra fields are ignored) ---


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrderPlaced(_Tolerant):
    """order.placed: the codes the order used."""

    order_id: str
    codes: list[str] | None = None
    placed_at: datetime | None = None


class OrderCancelled(_Tolerant):
    """order.cancelled: whose code uses to give back."""

    order_id: str
