"""Customer API v1: the caller's own record and addresses; any customer for admin and marketing.

Each route parses, calls one use case and answers; who may read or write what is decided in
`domain` (the gateway's policy says the same first: marketing never writes here, M7). An address
is answered as the `Address` entity itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from bazaar_chassis import CallerDep, Offset, ReadsDep, Text, UnitsDep
from bazaar_customer import use_cases
from bazaar_customer.domain import Address, Customer, HistoryEntry, Profile

router = APIRouter()

Label = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", examples=["home"])]


class AddressIn(BaseModel):
    line1: Text = Field(min_length=1, max_length=200, examples=["1 Market Street"])
    line2: Text = Field(default="", max_length=200)
    city: Text = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=2, max_length=12, examples=["94105"])
    country: str = Field(min_length=2, max_length=2, examples=["US"], description="ISO 3166-1")


class Money(BaseModel):
    amount: int
    currency: str


class OrderOut(BaseModel):
    order_id: str
    status: str
    total: Money
    placed_at: datetime


class ProfileOut(BaseModel):
    subject: str
    email: str
    name: str
    organization: str
    registered: bool = Field(description="false until identity's registration has arrived")


class CustomerOut(ProfileOut):
    addresses: list[Address]
    orders: list[OrderOut] = Field(description="the customer's orders, newest first")


class CustomerPage(BaseModel):
    total: int
    items: list[ProfileOut]


def _profile(profile: Profile) -> ProfileOut:
    return ProfileOut.model_validate(profile, from_attributes=True)


def _order(entry: HistoryEntry) -> OrderOut:
    return OrderOut(
        order_id=entry.order_id,
        status=entry.status,
        total=Money(amount=entry.total_amount, currency=entry.total_currency),
        placed_at=entry.placed_at,
    )


def _customer(customer: Customer) -> CustomerOut:
    return CustomerOut(
        **_profile(customer.profile).model_dump(),
        addresses=customer.addresses,
        orders=[_order(o) for o in customer.orders],
    )


@router.get("/customers/me")
async def my_customer(reads: ReadsDep, caller: CallerDep) -> CustomerOut:
    return _customer(await use_cases.my_customer(reads=reads, caller=caller))


@router.put("/customers/me/addresses/{label}")
async def put_address(label: Label, body: AddressIn, units: UnitsDep, caller: CallerDep) -> Address:
    return await use_cases.put_address(
        units=units,
        caller=caller,
        subject=caller.subject,
        label=label,
        line1=body.line1,
        line2=body.line2,
        city=body.city,
        postal_code=body.postal_code,
        country=body.country,
    )


@router.delete("/customers/me/addresses/{label}", status_code=204)
async def delete_address(label: Label, units: UnitsDep, caller: CallerDep) -> Response:
    await use_cases.delete_address(units=units, caller=caller, subject=caller.subject, label=label)
    return Response(status_code=204)


@router.get("/customers")
async def list_customers(
    reads: ReadsDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> CustomerPage:
    total, profiles = await use_cases.list_customers(
        reads=reads, caller=caller, limit=limit, offset=offset
    )
    return CustomerPage(total=total, items=[_profile(p) for p in profiles])


@router.get("/customers/{subject}")
async def get_customer(subject: str, reads: ReadsDep, caller: CallerDep) -> CustomerOut:
    return _customer(await use_cases.get_customer(reads=reads, caller=caller, subject=subject))
