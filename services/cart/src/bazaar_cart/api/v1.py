"""Cart API v1: carts, their lines and discount codes, and merging a guest cart at sign-in.

Each route parses, calls one use case and answers. A guest sends the cart token it got at
creation in `Bazaar-Cart-Token`; writes may carry the `version` last read (stale: 409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel, Field

from bazaar_cart import lookups, use_cases
from bazaar_cart.discounts import AppliedDiscount
from bazaar_cart.domain import MAX_QUANTITY, Access, Line, LineRequest
from bazaar_cart.offers import PricedCart
from bazaar_chassis import MAX_INTEGER, CallerDep, Money, ReadsDep, RuntimeDep, Sku, UnitsDep

router = APIRouter()

CartToken = Annotated[
    str | None,
    Header(alias="Bazaar-Cart-Token", description="a guest cart's token (from its creation)"),
]
Version = Field(
    default=None,
    ge=1,
    le=MAX_INTEGER,
    description="the version you last read; a stale one gets 409",
)


class LineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money
    categories: list[str]

    @classmethod
    def of(cls, line: Line) -> LineOut:
        return cls(
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.total,
            categories=list(line.categories),
        )


class NoticeOut(BaseModel):
    """A line the platform removed (a recall), and why."""

    sku: str
    name: str
    quantity: int
    reason: str
    at: datetime


class CartOut(BaseModel):
    id: str
    owner: str
    state: str
    version: int
    lines: list[LineOut]
    subtotal: Money
    discounts: list[AppliedDiscount]
    total: Money
    codes: list[str]
    messages: list[str]
    notices: list[NoticeOut] = Field(
        default_factory=list, description="lines removed by the platform (recalls), and why"
    )

    @classmethod
    def of(cls, priced: PricedCart) -> CartOut:
        cart = priced.cart
        return cls(
            id=cart.id,
            owner=cart.owner,
            state=str(cart.state),
            version=cart.version,
            lines=[LineOut.of(line) for line in cart.lines],
            subtotal=priced.subtotal,
            discounts=priced.discounts,
            total=priced.total,
            codes=list(cart.codes),
            messages=priced.messages,
            notices=[NoticeOut.model_validate(n, from_attributes=True) for n in cart.notices],
        )


class CartCreated(CartOut):
    cart_token: str | None = Field(
        description="guests only, shown once: send it as Bazaar-Cart-Token to use the cart"
    )


class ItemAdd(BaseModel):
    sku: Sku
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    version: int | None = Version


class ItemChange(BaseModel):
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    version: int | None = Version


class CodeAdd(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    version: int | None = Version


# Not `?version=`: through the gateway that names the API major (docs/api.md).
VersionQuery = Annotated[
    int | None,
    Query(alias="expected_version", ge=1, le=MAX_INTEGER, description="the version you last read"),
]


def cart_access(cart_id: str, caller: CallerDep, token: CartToken = None) -> Access:
    return Access(cart_id=cart_id, caller=caller, token=token)


AccessDep = Annotated[Access, Depends(cart_access)]


@router.post("/carts", status_code=201)
async def create_cart(units: UnitsDep, caller: CallerDep) -> CartCreated:
    priced, token = await use_cases.create_cart(units=units, caller=caller)
    return CartCreated(**CartOut.of(priced).model_dump(), cart_token=token)


@router.get("/carts/{cart_id}")
async def get_cart(access: AccessDep, reads: ReadsDep) -> CartOut:
    return CartOut.of(await use_cases.get_cart(reads=reads, access=access))


@router.post("/carts/{cart_id}/items", status_code=201)
async def add_item(
    body: ItemAdd, access: AccessDep, units: UnitsDep, runtime: RuntimeDep
) -> CartOut:
    """Add a line (or more of one); 409 with `available` when inventory cannot supply it."""
    priced = await use_cases.add_item(
        units=units,
        access=access,
        request=LineRequest(body.sku, body.quantity, body.version),
        stock=lookups.stock_lookup(runtime),
        products=lookups.product_lookup(runtime),
    )
    return CartOut.of(priced)


@router.patch("/carts/{cart_id}/items/{sku}")
async def change_item(
    sku: Sku, body: ItemChange, access: AccessDep, units: UnitsDep, runtime: RuntimeDep
) -> CartOut:
    priced = await use_cases.change_item(
        units=units,
        access=access,
        request=LineRequest(sku, body.quantity, body.version),
        stock=lookups.stock_lookup(runtime),
    )
    return CartOut.of(priced)


@router.delete("/carts/{cart_id}/items/{sku}")
async def remove_item(
    sku: Sku, access: AccessDep, units: UnitsDep, version: VersionQuery = None
) -> CartOut:
    priced = await use_cases.remove(
        units=units, access=access, kind="line", key=sku, expected_version=version
    )
    return CartOut.of(priced)


@router.post("/carts/{cart_id}/discount-codes", status_code=201)
async def apply_code(body: CodeAdd, access: AccessDep, units: UnitsDep) -> CartOut:
    priced = await use_cases.apply_code(
        units=units, access=access, code=body.code, expected_version=body.version
    )
    return CartOut.of(priced)


@router.delete("/carts/{cart_id}/discount-codes/{code}")
async def remove_code(
    code: str, access: AccessDep, units: UnitsDep, version: VersionQuery = None
) -> CartOut:
    priced = await use_cases.remove(
        units=units, access=access, kind="code", key=code, expected_version=version
    )
    return CartOut.of(priced)


@router.post("/carts/{cart_id}/merge")
async def merge_cart(access: AccessDep, units: UnitsDep) -> CartOut:
    """Signed in with a guest cart's token: its lines join your active cart, which is answered."""
    return CartOut.of(await use_cases.merge_guest_cart(units=units, access=access))
