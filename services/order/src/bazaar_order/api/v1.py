"""Order API v1: place an order from a cart (idempotently), read orders, cancel one.

Each route parses, calls one use case and answers with the `Order` entity itself (its fields are
the API's). Who may call is the gateway's policy; whose order it is, the use cases decide.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from bazaar_chassis import CallerDep, Offset, ReadsDep, RuntimeDep, Text, UnitsDep
from bazaar_order import peers, use_cases
from bazaar_order.domain import Order

router = APIRouter()


class Payment(BaseModel):
    card_number: str = Field(
        min_length=12, max_length=23, description="tokenised at payment; never stored here"
    )


class OrderCreate(BaseModel):
    cart_id: Text = Field(min_length=1, max_length=200)
    payment: Payment


class OrderPage(BaseModel):
    items: list[Order]


@router.post(
    "/orders",
    status_code=201,
    responses={200: {"description": "this key or cart already made the order: the same one"}},
)
async def place_order(
    body: OrderCreate,
    response: Response,
    runtime: RuntimeDep,
    units: UnitsDep,
    reads: ReadsDep,
    caller: CallerDep,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="required: the same key never orders twice"),
    ] = None,
) -> Order:
    placed = await use_cases.place_order(
        units=units,
        reads=reads,
        caller=caller,
        idempotency_key=idempotency_key,
        cart_id=body.cart_id,
        card_number=body.payment.card_number,
        carts=peers.cart_source(runtime),
        cards=peers.card_vault(runtime),
    )
    if not placed.created:
        response.status_code = 200
    return placed.order


@router.get("/orders")
async def list_orders(
    reads: ReadsDep,
    caller: CallerDep,
    customer: Annotated[
        Text | None, Query(max_length=200, description="admins and marketing: whose orders")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=use_cases.MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> OrderPage:
    """The caller's orders, newest first."""
    found = await use_cases.list_orders(
        reads=reads, caller=caller, customer=customer, limit=limit, offset=offset
    )
    return OrderPage(items=found)


@router.get("/orders/{order_id}")
async def get_order(order_id: str, reads: ReadsDep, caller: CallerDep) -> Order:
    return await use_cases.get_order(reads=reads, caller=caller, order_id=order_id)


@router.post("/orders/{order_id}/cancel")
async def cancel_order(order_id: str, units: UnitsDep, caller: CallerDep) -> Order:
    """Cancel an order that has not shipped; a paid one is refunded through events."""
    return await use_cases.cancel_order(units=units, caller=caller, order_id=order_id)
