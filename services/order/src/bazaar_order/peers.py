"""The order's two synchronous calls, through the gateway with its own service token (ADR 6):
read the cart it is made of, and tokenise the card at payment (the number goes no further)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bazaar_chassis import InvalidInput, Money, Runtime, Unavailable
from bazaar_order.domain import Card, Cart, CartNotFound, Discount, OrderLine
from bazaar_order.use_cases import CardVault, CartSource


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Money(_Tolerant):
    amount: int
    currency: str = "USD"

    def money(self) -> Money:
        return Money(self.amount, self.currency)


class _Line(_Tolerant):
    sku: str
    name: str = ""
    quantity: int = Field(ge=1)
    unit_price: _Money
    line_total: _Money | None = None

    def line(self) -> OrderLine:
        price = self.unit_price.money()
        total = (
            self.line_total.money()
            if self.line_total
            else Money(price.amount * self.quantity, price.currency)
        )
        return OrderLine(self.sku, self.name or self.sku, self.quantity, price, total)


class _Discount(_Tolerant):
    promotion_id: str
    code: str | None = None
    description: str = ""
    amount: _Money


class _Cart(_Tolerant):
    """What the order reads of `GET /cart/1/carts/{id}`."""

    id: str
    owner: str | None = None
    state: str = "active"  # the cart's own word for it: active, ordered, merged
    lines: list[_Line] = []
    subtotal: _Money
    discounts: list[_Discount] = []
    total: _Money
    codes: list[str] = []

    def cart(self) -> Cart:
        return Cart(
            id=self.id,
            owner=self.owner or "",
            status=self.state,
            lines=tuple(line.line() for line in self.lines),
            subtotal=self.subtotal.money(),
            discounts=tuple(
                Discount(d.promotion_id, d.code, d.description, d.amount.money())
                for d in self.discounts
            ),
            total=self.total.money(),
            codes=tuple(self.codes),
        )


class _Card(_Tolerant):
    id: str
    brand: str = "card"
    last4: str = ""


def cart_source(runtime: Runtime) -> CartSource:
    async def read(cart_id: str) -> Cart:
        reply = await runtime.http.get(f"/cart/1/carts/{cart_id}")
        if reply.status in (403, 404):
            raise CartNotFound(cart_id)
        if reply.status != 200:
            raise Unavailable(f"the cart service answered {reply.status}; retry with the same key")
        try:
            return _Cart.model_validate(reply.body).cart()
        except ValidationError as exc:
            raise Unavailable(f"the cart service answered an unreadable cart: {exc}") from exc

    return read


def card_vault(runtime: Runtime) -> CardVault:
    async def tokenise(card_number: str) -> Card:
        reply = await runtime.http.request(
            "POST", "/payment/1/methods", json={"card_number": card_number}
        )
        if reply.status in (400, 422):
            detail = reply.body.get("detail") if isinstance(reply.body, dict) else None
            raise InvalidInput(f"payment refused the card: {detail or 'invalid card'}")
        if reply.status not in (200, 201):
            raise Unavailable(f"payment answered {reply.status}; retry with the same key")
        try:
            found = _Card.model_validate(reply.body)
        except ValidationError as exc:
            raise Unavailable(f"payment answered an unreadable card token: {exc}") from exc
        return Card(found.id, found.brand, found.last4)

    return tokenise
