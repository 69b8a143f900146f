"""What the console's routes and jobs share: the scraper of the gateway's metrics."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from fastapi import Request

from bazaar_chassis import Runtime
from bazaar_console import scrape
from bazaar_console.settings import ConsoleSettings

FRESH_SECONDS = 1.0


class Console:
    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self._lock = asyncio.Lock()
        self.last_scrape = 0.0
        self.last_error: str | None = None

    async def scrape(self, runtime: Runtime) -> int:
        """Scrape the gateway once and store what it counted since the last time."""
        async with self._lock:
            headers = {}
            if token := self.settings.operations_token:
                headers["Authorization"] = f"Bearer {token.get_secret_value()}"
            timeout = aiohttp.ClientTimeout(total=5)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(runtime.settings.gateway_url + "/metrics", headers=headers) as reply,
            ):
                if reply.status != 200:
                    self.last_error = f"gateway /metrics answered {reply.status}"
                    return 0
                text = await reply.text()
            async with runtime.database.transaction() as connection:
                counted = await scrape.record(connection, scrape.parse(text))
            self.last_scrape, self.last_error = time.time(), None
            return counted

    async def fresh(self, runtime: Runtime) -> None:
        """Scrape now unless the last scrape is under a second old (an SLO read is current)."""
        if time.time() - self.last_scrape > FRESH_SECONDS:
            try:
                await self.scrape(runtime)
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.last_error = f"gateway /metrics unreachable: {exc}"


def get_console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console
