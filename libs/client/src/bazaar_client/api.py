"""The calls: one typed method per public operation the platform's own clients use, each
returning the operation's generated model, and every answer that is not a success an `ApiProblem`.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic import BaseModel, ValidationError

from bazaar_client.models import (
    cart,
    catalog,
    category,
    customer,
    identity,
    inventory,
    notification,
    order,
    pricing,
    product,
    promotion,
    search,
)

Json = dict[str, Any]
M = TypeVar("M", bound=BaseModel)
UNREACHABLE = 503
OFF_CONTRACT = 502


class ApiProblem(Exception):
    """The API answered an RFC 9457 problem: `status`, `type` (a URI), a `detail` to show and
    the whole `problem` (its extra members too); an API that cannot be reached is a 503."""

    def __init__(self, *, status: int, problem: Json, what: str) -> None:
        self.status = status
        self.type = str(problem.get("type", ""))
        self.detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.problem = problem
        super().__init__(f"{what} -> {status}: {self.detail}")


def _segment(value: str) -> str:
    return quote(value, safe="")


class BazaarClient:
    """One caller of the public API at `base_url` (the gateway): its bearer `token` (set by
    `sign_in`) and, for a guest's cart, the `cart_token` the cart was created with."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        token: str | None = None,
        cart_token: str | None = None,
    ) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.cart_token = cart_token

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Json | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Json | None:
        """The answer's JSON object (None for a 204); any other answer is an ApiProblem."""
        sent = dict(headers or {})
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if self.cart_token and path.startswith("/cart/"):
            sent.setdefault("Bazaar-Cart-Token", self.cart_token)
        what = f"{method} {path}"
        try:
            async with self._session.request(
                method, self.base_url + path, json=body, params=params, headers=sent
            ) as reply:
                if reply.status == 204:
                    return None
                try:
                    answer = await reply.json(content_type=None)
                except ValueError:
                    answer = {"detail": f"HTTP {reply.status} without a JSON body"}
        except (aiohttp.ClientError, TimeoutError) as exc:
            problem = {"detail": f"the API cannot be reached now ({exc})"}
            raise ApiProblem(status=UNREACHABLE, problem=problem, what=what) from exc
        if not 200 <= reply.status < 300:
            problem = answer if isinstance(answer, dict) else {"detail": str(answer)}
            raise ApiProblem(status=reply.status, problem=problem, what=what)
        return answer if isinstance(answer, dict) else {"items": answer}

    async def _model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        """The answer as `model`; an answer outside the documented shape is a 502 problem (a bad
        gateway), so a caller handles it like any other refusal instead of crashing."""
        body = await self._call(method, path, **kwargs)
        try:
            return model.model_validate(body)
        except ValidationError as off_contract:
            problem = {
                "title": "Bad Gateway",
                "status": OFF_CONTRACT,
                "detail": f"the answer does not match {model.__name__}: {off_contract}",
            }
            raise ApiProblem(
                status=OFF_CONTRACT, problem=problem, what=f"{method} {path}"
            ) from off_contract

    # identity
    async def sign_in(self, username: str, password: str) -> str:
        """Sign in with the password grant; later calls carry the token."""
        body = {"grant_type": "password", "username": username, "password": password}
        token = await self._model(identity.TokenOut, "POST", "/identity/1/token", body=body)
        self.token = token.access_token
        return self.token

    async def sign_out(self) -> None:
        """End this token's session at identity (not only in this client)."""
        await self._call("POST", "/identity/1/logout")
        self.token = None

    async def bootstrap_admin(
        self, *, bootstrap_token: str, email: str, password: str, organization: str, name: str
    ) -> identity.UserOut:
        """The first administrator (production mode), with identity's one-time token."""
        body = {
            "bootstrap_token": bootstrap_token,
            "email": email,
            "password": password,
            "organization": organization,
            "name": name,
        }
        return await self._model(identity.UserOut, "POST", "/identity/1/bootstrap", body=body)

    # the catalog's systems of record
    async def put_category(
        self, key: str, *, name: str, parent: str | None = None, position: int = 0
    ) -> category.Category:
        body = {"name": name, "parent": parent, "position": position}
        path = f"/category/1/categories/{_segment(key)}"
        return await self._model(category.Category, "PUT", path, body=body)

    async def place_product(
        self, category_key: str, sku: str, *, position: int = 0
    ) -> category.MembershipOut:
        path = f"/category/1/categories/{_segment(category_key)}/products/{_segment(sku)}"
        body = {"position": position}
        return await self._model(category.MembershipOut, "PUT", path, body=body)

    async def create_product(
        self, *, sku: str, name: str, description: str = "", attributes: Json | None = None
    ) -> product.Product:
        body = {"sku": sku, "name": name, "description": description, "attributes": attributes}
        return await self._model(product.Product, "POST", "/product/1/products", body=body)

    async def put_price(
        self, sku: str, *, amount: int, currency: str
    ) -> pricing.BazaarPricingApiV1PriceOut:
        path, body = f"/pricing/1/prices/{_segment(sku)}", {"amount": amount, "currency": currency}
        return await self._model(pricing.BazaarPricingApiV1PriceOut, "PUT", path, body=body)

    async def put_stock(self, sku: str, *, quantity: int) -> inventory.StockOut:
        path = f"/inventory/1/stock/{_segment(sku)}"
        return await self._model(inventory.StockOut, "PUT", path, body={"quantity": quantity})

    # promotions
    async def find_code(self, code: str) -> promotion.Code | None:
        """The discount code, or None if there is none by that name."""
        try:
            path = f"/promotion/1/codes/{_segment(code)}"
            return await self._model(promotion.Code, "GET", path)
        except ApiProblem as problem:
            if problem.status == 404:
                return None
            raise

    async def create_promotion(self, terms: Json) -> promotion.Promotion:
        path = "/promotion/1/promotions"
        return await self._model(promotion.Promotion, "POST", path, body=terms)

    async def add_code(
        self, promotion_id: str, *, code: str, usage_limit: int | None
    ) -> promotion.Code:
        path = f"/promotion/1/promotions/{_segment(promotion_id)}/codes"
        body = {"code": code, "usage_limit": usage_limit}
        return await self._model(promotion.Code, "POST", path, body=body)

    # what a shopper reads
    async def categories(self) -> catalog.CategoryList:
        return await self._model(catalog.CategoryList, "GET", "/catalog/1/categories")

    async def category_page(self, key: str, *, limit: int, offset: int = 0) -> catalog.CategoryPage:
        path = f"/catalog/1/categories/{_segment(key)}/products"
        params = {"limit": str(limit), "offset": str(offset)}
        return await self._model(catalog.CategoryPage, "GET", path, params=params)

    async def catalog_product(self, sku: str) -> catalog.ItemDetail:
        path = f"/catalog/1/products/{_segment(sku)}"
        return await self._model(catalog.ItemDetail, "GET", path)

    async def search_products(
        self,
        query: str,
        *,
        limit: int,
        category_key: str = "",
        in_stock: bool = False,
        min_price: int | None = None,
        max_price: int | None = None,
    ) -> search.SearchResults:
        params = {"q": query, "limit": str(limit)}
        if in_stock:
            params["in_stock"] = "true"
        if category_key:
            params["category"] = category_key
        if min_price is not None:
            params["min_price"] = str(min_price)
        if max_price is not None:
            params["max_price"] = str(max_price)
        return await self._model(search.SearchResults, "GET", "/search/1/products", params=params)

    # the cart
    async def create_cart(self) -> cart.CartCreated:
        return await self._model(cart.CartCreated, "POST", "/cart/1/carts")

    async def get_cart(self, cart_id: str) -> cart.CartOut:
        return await self._model(cart.CartOut, "GET", f"/cart/1/carts/{_segment(cart_id)}")

    async def add_item(self, cart_id: str, *, sku: str, quantity: int) -> cart.CartOut:
        path, body = f"/cart/1/carts/{_segment(cart_id)}/items", {"sku": sku, "quantity": quantity}
        return await self._model(cart.CartOut, "POST", path, body=body)

    async def change_item(self, cart_id: str, *, sku: str, quantity: int) -> cart.CartOut:
        path = f"/cart/1/carts/{_segment(cart_id)}/items/{_segment(sku)}"
        return await self._model(cart.CartOut, "PATCH", path, body={"quantity": quantity})

    async def remove_item(self, cart_id: str, *, sku: str) -> cart.CartOut:
        path = f"/cart/1/carts/{_segment(cart_id)}/items/{_segment(sku)}"
        return await self._model(cart.CartOut, "DELETE", path)

    async def apply_code(self, cart_id: str, *, code: str) -> cart.CartOut:
        path = f"/cart/1/carts/{_segment(cart_id)}/discount-codes"
        return await self._model(cart.CartOut, "POST", path, body={"code": code})

    async def merge_cart(self, guest_cart_id: str, *, guest_token: str) -> cart.CartOut:
        """The guest's cart joined into the signed-in shopper's own (which is returned)."""
        path = f"/cart/1/carts/{_segment(guest_cart_id)}/merge"
        headers = {"Bazaar-Cart-Token": guest_token}
        return await self._model(cart.CartOut, "POST", path, headers=headers)

    # orders, the customer, their messages
    async def place_order(
        self, *, cart_id: str, card_number: str, idempotency_key: str
    ) -> order.Order:
        """The order of the cart; the same `idempotency_key` again is the same order."""
        body = {"cart_id": cart_id, "payment": {"card_number": card_number}}
        headers = {"Idempotency-Key": idempotency_key}
        return await self._model(order.Order, "POST", "/order/1/orders", body=body, headers=headers)

    async def orders(self) -> order.OrderPage:
        return await self._model(order.OrderPage, "GET", "/order/1/orders")

    async def get_order(self, order_id: str) -> order.Order:
        return await self._model(order.Order, "GET", f"/order/1/orders/{_segment(order_id)}")

    async def me(self) -> customer.CustomerOut:
        return await self._model(customer.CustomerOut, "GET", "/customer/1/customers/me")

    async def messages(self) -> notification.MessagePage:
        return await self._model(notification.MessagePage, "GET", "/notification/1/messages")

    # the contract itself
    async def openapi(self, service: str | None = None, major: int = 1) -> Json:
        """The merged document of the public API, or one service's at one major."""
        path = f"/{service}/{major}/openapi.json" if service else "/openapi.json"
        return await self._call("GET", path) or {}
