"""Zero trust on the bus of the platform `bazaar up` runs (issue 8, items 1 and 3): the operator
provisioned every stream before services started, events still flow, and a registry hijack with
cart's NATS credentials reaches neither sign-ins nor the gateway's key fetches."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import nats
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.aio.client import Client
from nats.js.api import StreamConfig

from bazaar_chassis.bus import inbox_prefix
from bazaar_chassis.registry import Instance
from bazaar_chassis.testing import eventually
from bazaar_cli.bus_provisioning import platform_producers
from bazaar_platform.nats_server import free_port
from bazaar_platform.provisioning import layout

from .conftest import Platform, sign_in

pytestmark = pytest.mark.e2e

PLATFORM_STREAMS = sorted(str(c.name) for c in layout(platform_producers()))


@contextlib.asynccontextmanager
async def connected(platform: Platform, user: str) -> AsyncIterator[Client]:
    passwords = json.loads((platform.data_dir / "secrets" / "nats-users.json").read_text())
    state = json.loads((platform.data_dir / "run" / "state.json").read_text())
    client = await nats.connect(
        state["nats_url"],
        user=user,
        password=passwords[user],
        inbox_prefix=inbox_prefix(None if user == "operator" else user),
        allow_reconnect=False,
    )
    try:
        yield client
    finally:
        await client.close()


async def test_the_operator_provisioned_the_bus_and_no_service_may_add_a_stream(
    platform: Platform,
) -> None:
    async with connected(platform, "operator") as operator:
        js = operator.jetstream()
        names = sorted(info.config.name or "" for info in await js.streams_info())
        assert names == PLATFORM_STREAMS
        registry = await js.stream_info("KV_services")
        assert registry.config.allow_rollup_hdrs is False  # one key's writer cannot wipe others
    async with connected(platform, "cart") as cart:
        with pytest.raises(Exception):  # noqa: B017, PT011 - refused: never answered
            await cart.jetstream(timeout=1).add_stream(
                StreamConfig(name="CART", subjects=["bazaar.cart.>"])
            )


async def test_a_price_change_still_reaches_the_catalog(platform: Platform) -> None:
    token = sign_in(platform.gateway, "merch@bazaar.test")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=platform.gateway, headers=headers, timeout=10) as http:
        reply = await http.put("/pricing/1/prices/TEA-002", json={"amount": 777, "currency": "USD"})
        assert reply.status_code == 200, reply.text

        async def shown() -> bool:
            item = (await http.get("/catalog/1/products/TEA-002")).json()
            return bool(item.get("price", {}).get("amount") == 777)

        await eventually(shown, timeout=15, message="the catalog never showed the price")


class Attacker:
    """What the hijacker runs: it answers as identity would, with its own signing key."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.requests: list[str] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(f"{request.method} {request.path}")
        if request.path.endswith("/jwks"):
            public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key()))
            return web.json_response({"keys": [{**public, "kid": "attacker", "alg": "EdDSA"}]})
        return web.json_response({"access_token": "stolen", "token_type": "Bearer"})

    def admin_token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": "bazaar-identity",
            "sub": "attacker",
            "kind": "user",
            "org": "bazaar",
            "roles": ["admin"],
            "email": "attacker@evil.test",
            "iat": now,
            "exp": now + 600,
            "jti": "forged",
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": "attacker"})

    async def keep_registered(self, client: Client, key: str, *, claiming: str) -> None:
        """Put an entry for this server under `key`, heart-beating like a live instance."""
        bucket = await client.jetstream(timeout=2).key_value("services")
        while True:
            entry = Instance(
                service=claiming,
                version="9.9.9",
                instance_id=key.split(".", 1)[1],
                url=self.url,
                majors=[1],
                default_major=1,
                openapi_url=f"{self.url}/openapi.json",
            )
            await bucket.put(key, entry.to_json())
            await asyncio.sleep(1)


def refused_keys(platform: Platform) -> set[str]:
    """Registry keys the gateway logged as refused."""
    keys = set()
    for line in (platform.data_dir / "logs" / "gateway.log").read_text().splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if record.get("event") == "refusing a registry entry":
                keys.add(record["key"])
    return keys


async def test_a_registry_hijack_with_carts_credentials_gains_nothing(platform: Platform) -> None:
    attacker = Attacker()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", attacker.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", attacker.port).start()
    async with connected(platform, "cart") as cart, connected(platform, "identity") as identity:
        hijacks = [
            # cart's own key, claiming to be identity, at a host the platform does hand out
            asyncio.create_task(attacker.keep_registered(cart, "cart.x", claiming="identity")),
            # even identity's own credentials cannot move identity off the pinned instance
            asyncio.create_task(
                attacker.keep_registered(identity, "identity.x", claiming="identity")
            ),
        ]
        try:

            async def refused() -> bool:
                return refused_keys(platform) == {"cart.x", "identity.x"}

            await eventually(refused, message="the gateway never refused the forged entries")

            async with httpx.AsyncClient(base_url=platform.gateway, timeout=10) as http:
                for _ in range(4):  # round-robin would reach a second identity instance
                    token = await http.post(
                        "/identity/1/token",
                        data={
                            "grant_type": "password",
                            "username": "jenn@bazaar.test",
                            "password": "bazaar-demo",
                        },
                    )
                    assert token.status_code == 200, token.text
                    assert token.json()["access_token"] != "stolen"
                forged = {"Authorization": f"Bearer {attacker.admin_token()}"}
                policies = await http.get("/gateway/1/policies", headers=forged)
                assert policies.status_code == 401, policies.text  # JWKS from real identity only
                jwks = await http.get("/identity/1/jwks")
                assert "attacker" not in jwks.text
        finally:
            for task in hijacks:
                task.cancel()
            await asyncio.gather(*hijacks, return_exceptions=True)
    await runner.cleanup()
    assert attacker.requests == []
