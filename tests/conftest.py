"""What the cross-service tests below share: a stand-in for the gateway's side of a checkout.

A conftest's functions are not importable from test modules, so the stand-in comes as a fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI


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
