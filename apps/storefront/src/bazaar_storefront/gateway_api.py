"""The storefront's only way out: public gateway routes, with the shopper's own token.

No service URL, no service credential: what a shopper may do here is exactly what the gateway's
policy lets that shopper do with curl.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from bazaar_storefront.session import Session


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        return str(self.body.get("detail") or self.body.get("title") or f"HTTP {self.status}")


UNREACHABLE = 503


class GatewayApi:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._http = session
        self._base = base_url.rstrip("/")

    async def call(
        self,
        method: str,
        path: str,
        *,
        shopper: Session | None = None,
        json: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """One public call; an unreachable gateway is a 503 reply, never an exception."""
        sent = dict(headers or {})
        if shopper is not None and shopper.token:
            sent["Authorization"] = f"Bearer {shopper.token}"
        if shopper is not None and shopper.cart_token and "/cart/" in path:
            sent["Bazaar-Cart-Token"] = shopper.cart_token
        try:
            async with self._http.request(
                method, self._base + path, json=json, data=form, params=params, headers=sent
            ) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = {}
                return Reply(response.status, body if isinstance(body, dict) else {})
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Reply(UNREACHABLE, {"detail": f"the shop cannot be reached now ({exc})"})
