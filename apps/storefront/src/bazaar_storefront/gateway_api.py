"""The storefront's only way out: the typed public API client (bazaar_client), through the
gateway, with the shopper's own token.

No service URL, no service credential: what a shopper may do here is exactly what the gateway's
policy lets that shopper do with curl. `attempt` turns a call into a `Reply` a page can show.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import aiohttp
from pydantic import BaseModel

from bazaar_client import ApiProblem, BazaarClient
from bazaar_storefront.session import Session

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, slots=True)
class Reply(Generic[T_co]):
    """A call's outcome: its typed `value` on success, else its status and problem."""

    status: int
    value: T_co | None = None
    problem: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def body(self) -> dict[str, Any]:
        """What the templates read: the value as the documents' JSON, or the problem."""
        if isinstance(self.value, BaseModel):
            return self.value.model_dump(mode="json", by_alias=True)
        return self.problem

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or f"HTTP {self.status}")


async def attempt(call: Awaitable[T]) -> Reply[T]:
    """One public call; an answer that is not a success (an unreachable gateway is a 503) is a
    reply with its problem, never an exception."""
    try:
        return Reply(200, await call)
    except ApiProblem as refused:
        return Reply(refused.status, problem=refused.problem)


class GatewayApi:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._http = session
        self._base = base_url.rstrip("/")

    def client(self, shopper: Session | None = None) -> BazaarClient:
        """A client of the public API as `shopper` (a guest: none), with their cart's token."""
        if shopper is None:
            return BazaarClient(self._http, self._base)
        return BazaarClient(
            self._http, self._base, token=shopper.token, cart_token=shopper.cart_token
        )
