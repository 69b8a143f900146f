"""Payment API v1: tokenise a card (the order service only), the provider's webhooks, and an
order's payment with its ledger.

The webhook route is public through the gateway (the provider is not a Bazaar caller): what
makes it trustworthy is the HMAC signature and its timestamp, checked here (401 otherwise).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from bazaar_chassis import CallerDep, ReadsDep, Unauthorized, UnitsDep
from bazaar_payment import use_cases
from bazaar_payment.domain import PaymentMethod
from bazaar_payment.provider import InvalidSignature, PaymentProvider

router = APIRouter()


def get_provider(request: Request) -> PaymentProvider:
    provider: PaymentProvider = request.app.state.payment_provider
    return provider


ProviderDep = Annotated[PaymentProvider, Depends(get_provider)]


class MethodCreate(BaseModel):
    card_number: str = Field(min_length=1, max_length=40, examples=["4242424242424242"])


class Method(BaseModel):
    id: str
    brand: str
    last4: str


class LedgerEntry(BaseModel):
    id: str
    kind: str
    amount: int
    currency: str
    idempotency_key: str
    status: str
    provider_ref: str | None
    attempts: int
    reason: str | None
    created_at: datetime
    updated_at: datetime


class Payment(BaseModel):
    order_id: str
    state: str
    amount: int
    currency: str
    payment_method_id: str | None
    waiting_for: list[str]
    reason: str | None
    provider_ref: str | None
    version: int
    transactions: list[LedgerEntry]


@router.post("/methods", status_code=201)
async def create_method(
    body: MethodCreate, units: UnitsDep, caller: CallerDep, provider: ProviderDep
) -> Method:
    method: PaymentMethod = await use_cases.register_method(
        units=units, provider=provider, caller=caller, card_number=body.card_number
    )
    return Method.model_validate(method, from_attributes=True)


@router.post("/webhooks/test-provider")
async def provider_webhook(
    request: Request, units: UnitsDep, provider: ProviderDep
) -> dict[str, Any]:
    body = await request.body()
    try:
        notice = provider.read_webhook(headers=request.headers, body=body, now=time.time())
    except InvalidSignature as exc:
        raise Unauthorized(f"webhook refused: {exc}") from exc
    if notice is None:
        return {"received": True, "outcome": "ignored"}
    outcome = await use_cases.settle(units=units, notice=notice)
    request.app.state.payment_worker_wake()
    return {"received": True, "outcome": outcome}


@router.get("/payments/{order_id}")
async def get_payment(order_id: str, reads: ReadsDep, caller: CallerDep) -> Payment:
    intent, ledger = await use_cases.get_payment(reads=reads, order_id=order_id, caller=caller)
    waiting = ([] if intent.stock_reserved else ["stock"]) + [
        f"code {c}" for c in intent.codes_awaited if c not in intent.codes_redeemed
    ]
    return Payment.model_validate(
        {
            **{f: getattr(intent, f) for f in Payment.model_fields if hasattr(intent, f)},
            "waiting_for": waiting,
            "transactions": [LedgerEntry.model_validate(t, from_attributes=True) for t in ledger],
        }
    )
