"""Asks each process whether it is ready, over HTTP, the way an orchestrator would."""

from __future__ import annotations

from typing import Any

import aiohttp


async def probe(
    session: aiohttp.ClientSession, url: str, *, token: str | None = None
) -> dict[str, Any] | None:
    """The JSON of `GET url`, or None if it cannot be had (not listening yet, error status)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with session.get(
            url, headers=headers, timeout=aiohttp.ClientTimeout(total=1.0)
        ) as response:
            if response.status != 200:
                return None
            body: dict[str, Any] = await response.json()
            return body
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


async def service_ready(session: aiohttp.ClientSession, base_url: str) -> bool:
    body = await probe(session, f"{base_url}/readyz")
    return body is not None and body.get("status") == "ready"


async def gateway_routes(
    session: aiohttp.ClientSession, base_url: str, names: set[str], *, token: str | None = None
) -> bool:
    """The gateway is ready once it routes to every one of `names` (its operations `token`
    shows what it routes to: the gateway tells no one else)."""
    body = await probe(session, f"{base_url}/readyz", token=token)
    return body is not None and names <= set(body.get("services", []))
