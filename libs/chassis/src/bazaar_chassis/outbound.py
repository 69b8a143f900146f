"""Service-to-service calls: always through the gateway, never straight to another service.

aiohttp with one keep-alive pool per process (httpx is ~8x slower as a client under load here).
Failures become `Unavailable` so a route can answer 503 problem+json instead of crashing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from bazaar_chassis.errors import Unavailable
from bazaar_chassis.unit_of_work import current_traceparent

TOKEN_PATH = "/identity/1/token"  # noqa: S105 - a URL path, not a secret


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any


class ServiceClient:
    """A JSON client for the platform's public API, acting as one service.

    It authenticates with OAuth2 client credentials (its own client id and secret) and sends the
    token it gets; the gateway's policy decides what this service may call (M7).
    """

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        timeout_seconds: float = 3.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[str, float] | None = None  # (access token, refresh after)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=30),
                json_serialize=lambda value: orjson.dumps(value).decode(),
            )
        return self._session

    async def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> Reply:
        reply = await self._send(method, path, json=json, params=params, token=await self._bearer())
        if reply.status == 401:  # the token expired or the keys rotated: one fresh try
            self._token = None
            reply = await self._send(
                method, path, json=json, params=params, token=await self._bearer()
            )
        return reply

    async def _bearer(self) -> str:
        if self._token is not None and self._token[1] > time.monotonic():
            return self._token[0]
        reply = await self._send(
            "POST",
            TOKEN_PATH,
            json={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
            params=None,
            token=None,
        )
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise Unavailable(
                f"could not get a service token for {self._client_id}: status {reply.status}"
            )
        lifetime = float(reply.body.get("expires_in", 60))
        self._token = (str(reply.body["access_token"]), time.monotonic() + lifetime * 0.8)
        return self._token[0]

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        params: dict[str, str] | None,
        token: str | None,
    ) -> Reply:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if traceparent := current_traceparent():
            headers["traceparent"] = traceparent
        try:
            async with self._open().request(
                method, self._base_url + path, json=json, params=params, headers=headers
            ) as response:
                raw = await response.read()
                body = orjson.loads(raw) if raw else None
                return Reply(response.status, body)
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as exc:
            raise Unavailable(f"{method} {path} failed: {exc.__class__.__name__} {exc}") from exc

    async def get(self, path: str, *, params: dict[str, str] | None = None) -> Reply:
        return await self.request("GET", path, params=params)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
