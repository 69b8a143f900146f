"""The storefront's only way out: the typed public API client (bazaar_client), through the
gateway, with the shopper's own token.

No service URL, no service credential: what a shopper may do here is exactly what the gateway's
policy lets that shopper do with curl. `attempt` turns a call into a `Reply` a page can show.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

import aiohttp
from pydantic import BaseModel

from bazaar_client import ApiProblem, BazaarClient
from bazaar_storefront.session import Session

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Reply(Generic[T_co]):
    """A call's outcome: its typed `value` on success, else the client's `ApiProblem` (its
    status, problem and detail are the reply's)."""

    value: T_co | None = None
    refused: ApiProblem | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None

    @property
    def status(self) -> int:
        return 200 if self.refused is None else self.refused.status

    @property
    def problem(self) -> dict[str, Any]:
        return {} if self.refused is None else self.refused.problem

    @cached_property
    def body(self) -> dict[str, Any]:
        """What the templates read: the value as the documents' JSON (dumped once), or the
        problem."""
        if isinstance(self.value, BaseModel):
            return self.value.model_dump(mode="json", by_alias=True)
        return self.problem

    @property
    def detail(self) -> str:
        return f"HTTP {self.status}" if self.refused is None else self.refused.detail


async def attempt(call: Awaitable[T]) -> Reply[T]:
    """One public call; an answer that is not a success (an unreachable gateway is a 503) is a
    reply with its problem, never an exception."""
    try:
        return Reply(await call)
    except ApiProblem as refused:
        return Reply(refused=refused)


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
