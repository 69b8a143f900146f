"""A thin typed client of Bazaar's public API: what the platform's own tools call, through the
gateway like any client, with every error read as the problem+json the documents promise.
"""

from __future__ import annotations

from typing import Any

import aiohttp

__all__ = ["ApiProblem", "BazaarClient"]

Json = dict[str, Any]


class ApiProblem(Exception):
    """The API answered an RFC 9457 problem: `status`, `type` (a URI) and a `detail` to show."""

    def __init__(self, *, status: int, problem: Json, what: str) -> None:
        self.status = status
        self.type = str(problem.get("type", ""))
        self.detail = str(problem.get("detail", problem))
        self.problem = problem
        super().__init__(f"{what} -> {status}: {self.detail}")


class BazaarClient:
    """One caller of the public API at `base_url` (the gateway); `sign_in` sets its token."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, *, token: str | None = None
    ) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/")
        self.token = token

    async def _call(
        self, method: str, path: str, *, body: Json | None = None, ok: tuple[int, ...] = (200,)
    ) -> Json:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self._session.request(
            method, self.base_url + path, json=body, headers=headers
        ) as reply:
            answer = await reply.json(content_type=None) if reply.status != 204 else {}
            if reply.status not in ok:
                problem = answer if isinstance(answer, dict) else {"detail": str(answer)}
                raise ApiProblem(status=reply.status, problem=problem, what=f"{method} {path}")
            return dict(answer)

    # identity
    async def sign_in(self, username: str, password: str) -> str:
        """Sign in with the password grant; later calls carry the token."""
        body = {"grant_type": "password", "username": username, "password": password}
        self.token = str((await self._call("POST", "/identity/1/token", body=body))["access_token"])
        return self.token

    async def bootstrap_admin(
        self, *, bootstrap_token: str, email: str, password: str, organization: str, name: str
    ) -> Json:
        """The first administrator (production mode), with identity's one-time token."""
        body = {
            "bootstrap_token": bootstrap_token,
            "email": email,
            "password": password,
            "organization": organization,
            "name": name,
        }
        return await self._call("POST", "/identity/1/bootstrap", body=body, ok=(201,))

    # the catalog's systems of record
    async def put_category(
        self, key: str, *, name: str, parent: str | None = None, position: int = 0
    ) -> Json:
        body = {"name": name, "parent": parent, "position": position}
        return await self._call("PUT", f"/category/1/categories/{key}", body=body, ok=(200, 201))

    async def place_product(self, category: str, sku: str, *, position: int = 0) -> Json:
        path = f"/category/1/categories/{category}/products/{sku}"
        return await self._call("PUT", path, body={"position": position}, ok=(200, 201))

    async def create_product(
        self, *, sku: str, name: str, description: str = "", attributes: Json | None = None
    ) -> Json:
        body = {"sku": sku, "name": name, "description": description, "attributes": attributes}
        return await self._call("POST", "/product/1/products", body=body, ok=(201,))

    async def put_price(self, sku: str, *, amount: int, currency: str) -> Json:
        body = {"amount": amount, "currency": currency}
        return await self._call("PUT", f"/pricing/1/prices/{sku}", body=body)

    async def put_stock(self, sku: str, *, quantity: int) -> Json:
        return await self._call("PUT", f"/inventory/1/stock/{sku}", body={"quantity": quantity})

    # promotions
    async def find_code(self, code: str) -> Json | None:
        """The discount code, or None if there is none by that name."""
        try:
            return await self._call("GET", f"/promotion/1/codes/{code}")
        except ApiProblem as problem:
            if problem.status == 404:
                return None
            raise

    async def create_promotion(self, terms: Json) -> Json:
        return await self._call("POST", "/promotion/1/promotions", body=terms, ok=(201,))

    async def add_code(self, promotion_id: str, *, code: str, usage_limit: int | None) -> Json:
        path = f"/promotion/1/promotions/{promotion_id}/codes"
        body = {"code": code, "usage_limit": usage_limit}
        return await self._call("POST", path, body=body, ok=(201,))

    # the contract itself
    async def openapi(self, service: str | None = None, major: int = 1) -> Json:
        """The merged document of the public API, or one service's at one major."""
        return await self._call(
            "GET", f"/{service}/{major}/openapi.json" if service else "/openapi.json"
        )
