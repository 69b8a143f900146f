"""M7 bulkheads on the bus: with one service's NATS credentials, another service's facts cannot
be forged, its stream cannot be touched and its durable consumer cannot be taken over."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import ConsumerConfig

from bazaar_chassis.bus import inbox_prefix
from bazaar_chassis.testing import eventually
from bazaar_cli.bus_provisioning import platform_consumption
from bazaar_cli.nats_permissions import server_config
from bazaar_platform.nats_server import NatsServer

USERS = ["cart", "product", "catalog", "gateway", "operator"]


@pytest.fixture
def passwords() -> dict[str, str]:
    return {user: secrets.token_urlsafe(16) for user in USERS}


@pytest.fixture
def secured_nats(tmp_path: Path, passwords: dict[str, str]) -> Iterator[NatsServer]:
    config = server_config(passwords, platform_consumption())
    server = NatsServer(store_dir=tmp_path / "nats", config_text=config)
    server.start()
    yield server
    server.stop()


async def connect(server: NatsServer, user: str, password: str) -> tuple[Client, list[str]]:
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    client = await nats.connect(
        server.url,
        user=user,
        password=password,
        inbox_prefix=inbox_prefix(user if user != "operator" else None),  # replies: its own only
        error_cb=on_error,
        allow_reconnect=False,
    )
    return client, errors


async def test_cart_cannot_publish_a_product_recall_but_product_can(
    secured_nats: NatsServer, passwords: dict[str, str]
) -> None:
    operator, _ = await connect(secured_nats, "operator", passwords["operator"])
    await operator.jetstream().add_stream(name="PRODUCT", subjects=["bazaar.product.>"])

    cart, cart_errors = await connect(secured_nats, "cart", passwords["cart"])
    with pytest.raises(Exception):  # noqa: B017, PT011 - the server refuses; nats-py's error type varies
        await cart.jetstream().publish("bazaar.product.recalled", b"{}", timeout=1)
    await cart.publish("bazaar.product.recalled", b"{}")
    await cart.flush()

    async def refused() -> bool:
        return any("permissions violation" in e.lower() for e in cart_errors)

    await eventually(refused, timeout=5, message="the server did not refuse cart's publish")

    product, _ = await connect(secured_nats, "product", passwords["product"])
    await product.jetstream().publish("bazaar.product.recalled", b"{}")
    info = await operator.jetstream().stream_info("PRODUCT")
    assert info.state.messages == 1  # only product's own fact got in
    for client in (operator, cart, product):
        await client.close()


async def test_cart_cannot_delete_another_stream_or_take_over_its_durable_consumer(
    secured_nats: NatsServer, passwords: dict[str, str]
) -> None:
    operator, _ = await connect(secured_nats, "operator", passwords["operator"])
    await operator.jetstream().add_stream(name="PRODUCT", subjects=["bazaar.product.>"])
    cart, _ = await connect(secured_nats, "cart", passwords["cart"])
    js = cart.jetstream(timeout=1)
    with pytest.raises(Exception):  # noqa: B017, PT011
        await js.delete_stream("PRODUCT")
    with pytest.raises(Exception):  # noqa: B017, PT011
        await js.add_consumer("PRODUCT", ConsumerConfig(durable_name="catalog"))
    catalog, _ = await connect(secured_nats, "catalog", passwords["catalog"])
    # The catalog consumes product's facts: its own durable there is fine.
    await catalog.jetstream().add_consumer("PRODUCT", ConsumerConfig(durable_name="catalog"))
    names = [c.name for c in await operator.jetstream().consumers_info("PRODUCT")]
    assert names == ["catalog"]
    for client in (operator, cart, catalog):
        await client.close()
