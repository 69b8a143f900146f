"""What the cross-service tests below share: a stand-in for the gateway's side of a checkout,
and a read of what a shop window (the catalog, search) shows of each SKU's price and stock.

A conftest's functions are not importable from test modules, so they come as fixtures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Table, select

ShownRows = dict[str, tuple[int | None, int]]


def stand_in_checkout_gateway(*, sku: str, amount: int) -> FastAPI:
    """What the order service calls while placing: a token, each shopper's cart ("cart-<owner>",
    one unit of `sku` at `amount` US cents) and payment's card vault."""
    app = FastAPI()
    price = {"amount": amount, "currency": "USD"}

    @app.post("/identity/1/token")
    async def token() -> dict[str, Any]:
        return {"access_token": "t", "expires_in": 300}

    @app.get("/cart/1/carts/{cart_id}")
    async def cart(cart_id: str) -> dict[str, Any]:
        line = {"sku": sku, "name": sku, "quantity": 1, "unit_price": price}
        owner = cart_id.removeprefix("cart-")
        return {"id": cart_id, "owner": owner, "lines": [line], "subtotal": price, "total": price}

    @app.post("/payment/1/methods", status_code=201)
    async def method() -> dict[str, str]:
        return {"id": "pm-1", "brand": "visa", "last4": "4242"}

    return app


@pytest.fixture
def checkout_gateway() -> Callable[..., FastAPI]:
    """`stand_in_checkout_gateway(sku=..., amount=...)`."""
    return stand_in_checkout_gateway


async def shown_price_and_stock(app: FastAPI, table: Table, skus: list[str]) -> ShownRows:
    """SKU → (price amount, available) as the read model of the in-process instance `app` holds
    them in `table` (the catalog's `items`, search's `products`)."""
    async with app.state.runtime.database.snapshot() as connection:
        rows = await connection.execute(
            select(table.c.sku, table.c.price_amount, table.c.available).where(
                table.c.sku.in_(skus)
            )
        )
        return {row.sku: (row.price_amount, row.available) for row in rows}


@pytest.fixture
def shown() -> Callable[[FastAPI, Table, list[str]], Awaitable[ShownRows]]:
    """`shown_price_and_stock(app, table, skus)`."""
    return shown_price_and_stock
