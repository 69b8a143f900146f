"""Zero trust on the bus (issue 8, items 1 and 3): each attack a compromised service tried with
its own NATS credentials, replayed against a real nats-server configured and provisioned the way
`bazaar up` does it. Every attempt is refused by the server and leaves the bus as it was."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, KeyValueConfig, RePublish, StreamConfig

from bazaar_chassis.bus import Bus, inbox_prefix
from bazaar_chassis.pull import ContinuousPull
from bazaar_chassis.registry import Instance
from bazaar_chassis.testing import eventually
from bazaar_cli.bus_provisioning import platform_consumption, platform_producers
from bazaar_cli.nats_permissions import server_config
from bazaar_gateway.directory import ServiceDirectory
from bazaar_gateway.registry_trust import RegistryTrust
from bazaar_platform.nats_server import NatsServer
from bazaar_platform.provisioning import dead_letter_stream, producer_stream, provision_server

USERS = ["cart", "identity", "product", "catalog", "gateway", "operator"]
REFUSED_WITHIN = 0.5  # a refused request never gets an answer; do not wait long for it


@pytest.fixture
def passwords() -> dict[str, str]:
    return {user: secrets.token_urlsafe(16) for user in USERS}


@pytest.fixture
def bus(tmp_path: Path, passwords: dict[str, str]) -> Iterator[NatsServer]:
    """The embedded server as `bazaar up` configures it, provisioned by the operator (with a
    CART stream too, as if cart were a producer of the platform, to try reconfiguring it)."""
    config = server_config(passwords, platform_consumption())
    server = NatsServer(store_dir=tmp_path / "nats", config_text=config)
    server.start()
    yield server
    server.stop()


class Session:
    """One user's connection and the permission errors the server sent it."""

    def __init__(self, client: Client, errors: list[str]) -> None:
        self.client = client
        self.errors = errors
        self.js = client.jetstream(timeout=REFUSED_WITHIN)

    async def refused(self, subject: str, kind: str = "publish") -> None:
        async def seen() -> bool:
            wanted = f'permissions violation for {kind} to "{subject}"'.lower()
            return any(wanted in e.lower() for e in self.errors)  # nats-py lower-cases them

        await eventually(seen, timeout=5, message=f"the server did not refuse {subject}")


@pytest.fixture
async def login(bus: NatsServer, passwords: dict[str, str]) -> AsyncIterator[dict[str, Session]]:
    await provision_server(
        bus.url, [*platform_producers(), "cart"], user="operator", password=passwords["operator"]
    )
    sessions: dict[str, Session] = {}
    for user in USERS:
        errors: list[str] = []

        async def on_error(exc: Exception, errors: list[str] = errors) -> None:
            errors.append(str(exc))

        client = await nats.connect(
            bus.url,
            user=user,
            password=passwords[user],
            inbox_prefix=inbox_prefix(user) if user != "operator" else "_INBOX",
            error_cb=on_error,
            allow_reconnect=False,
        )
        sessions[user] = Session(client, errors)
    yield sessions
    for session in sessions.values():
        await session.client.close()


def entry(*, service: str, url: str, instance_id: str = "x") -> bytes:
    return Instance(
        service=service,
        version="6.6.6",
        instance_id=instance_id,
        url=url,
        majors=[1],
        default_major=1,
        openapi_url=f"{url}/openapi.json",
    ).to_json()


async def test_an_entry_under_carts_key_claiming_to_be_identity_is_never_routed_to(
    login: dict[str, Session], bus: NatsServer, passwords: dict[str, str]
) -> None:
    gateway = Bus(url=bus.url, name="gateway", user="gateway", password=passwords["gateway"])
    directory = ServiceDirectory(RegistryTrust())
    gateway.on_connect(directory.on_connect)
    await gateway.start()

    async def watching() -> bool:
        return gateway.ready

    await eventually(watching, message="the gateway could not watch the registry")
    bucket = await login["cart"].js.key_value("services")
    # The server allows both keys (they are cart's own); the gateway believes only the second.
    await bucket.put("cart.x", entry(service="identity", url="http://127.0.0.1:9"))
    await bucket.put("cart.y", entry(service="cart", url="http://127.0.0.1:10", instance_id="y"))

    async def cart_seen() -> bool:
        return bool(directory.alive("cart"))

    await eventually(cart_seen, message="cart's own entry was not seen")
    assert directory.alive("identity") == []
    assert directory.pick("identity", 1) is None  # no JWKS fetch, no sign-in goes there
    assert "identity" not in directory.known
    await directory.stop()
    await gateway.close()


async def test_cart_cannot_write_identitys_registry_entry(login: dict[str, Session]) -> None:
    cart, operator = login["cart"], login["operator"]
    bucket = await cart.js.key_value("services")
    with pytest.raises(Exception):  # noqa: B017, PT011 - refused: the request is never answered
        await bucket.put("identity.x", entry(service="identity", url="http://127.0.0.1:9"))
    await cart.refused("$KV.services.identity.x")
    info = await operator.js.stream_info("KV_services")
    assert info.state.messages == 0


async def test_no_service_and_not_the_gateway_can_create_a_stream_or_a_bucket(
    login: dict[str, Session],
) -> None:
    for user in ("cart", "catalog", "gateway"):
        session = login[user]
        with pytest.raises(Exception):  # noqa: B017, PT011
            await session.js.add_stream(name="EVIL", subjects=["evil.>"])
        await session.refused("$JS.API.STREAM.CREATE.EVIL")
        with pytest.raises(Exception):  # noqa: B017, PT011
            await session.js.create_key_value(KeyValueConfig(bucket="services_evil"))
        await session.refused("$JS.API.STREAM.CREATE.KV_services_evil")
    operator = login["operator"]
    names = sorted([name async for name in _stream_names(operator)])
    assert "EVIL" not in names
    assert "KV_services_evil" not in names


async def _stream_names(session: Session) -> AsyncIterator[str]:
    for info in await session.js.streams_info():
        yield info.config.name or ""


async def test_cart_cannot_give_its_stream_a_republish_into_product(
    login: dict[str, Session], bus: NatsServer, passwords: dict[str, str]
) -> None:
    cart, operator = login["cart"], login["operator"]
    forging = producer_stream("cart")
    forging.republish = RePublish(src="bazaar.cart.>", dest="bazaar.product.recalled")
    await operator.js.delete_stream("CART")  # neither creating it afresh nor updating it works
    with pytest.raises(Exception):  # noqa: B017, PT011
        await cart.js.add_stream(forging)
    await cart.refused("$JS.API.STREAM.CREATE.CART")
    await provision_server(bus.url, ["cart"], user="operator", password=passwords["operator"])
    with pytest.raises(Exception):  # noqa: B017, PT011
        await cart.js.update_stream(forging)
    await cart.refused("$JS.API.STREAM.UPDATE.CART")

    await cart.js.publish("bazaar.cart.checked_out", b"{}", timeout=5)
    assert (await operator.js.stream_info("CART")).config.republish is None
    assert (await operator.js.stream_info("PRODUCT")).state.messages == 0


async def test_no_service_can_shrink_purge_or_delete_the_dead_letter_stream(
    login: dict[str, Session],
) -> None:
    cart, operator = login["cart"], login["operator"]
    shrunk: StreamConfig = dead_letter_stream()
    shrunk.max_msgs = 1
    await cart.js.publish("bazaar.dlq.cart", b"a dead letter", timeout=5)  # its own: fine
    with pytest.raises(Exception):  # noqa: B017, PT011
        await cart.js.update_stream(shrunk)
    await cart.refused("$JS.API.STREAM.UPDATE.DLQ")
    with pytest.raises(Exception):  # noqa: B017, PT011
        await cart.js.purge_stream("DLQ")
    await cart.refused("$JS.API.STREAM.PURGE.DLQ")
    with pytest.raises(Exception):  # noqa: B017, PT011
        await cart.js.delete_stream("DLQ")
    await cart.refused("$JS.API.STREAM.DELETE.DLQ")
    info = await operator.js.stream_info("DLQ")
    assert info.config.max_msgs in (None, -1)
    assert info.state.messages == 1


@pytest.mark.parametrize(
    "stream", ["CATEGORY", "IDENTITY", "KV_gateway_policies", "KV_services", "DLQ"]
)
async def test_cart_cannot_create_any_consumer_on_a_stream_it_does_not_consume(
    login: dict[str, Session], stream: str
) -> None:
    cart, operator = login["cart"], login["operator"]
    attempts = [
        (ConsumerConfig(durable_name="cart"), f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.cart"),
        (ConsumerConfig(name="cart"), f"$JS.API.CONSUMER.CREATE.{stream}.cart"),
        (ConsumerConfig(), f"$JS.API.CONSUMER.CREATE.{stream}"),  # ephemeral
    ]
    for config, subject in attempts:
        with pytest.raises(Exception):  # noqa: B017, PT011
            await cart.js.add_consumer(stream, config)
        await cart.refused(subject)
    assert await operator.js.consumers_info(stream) == []


async def test_catalog_binds_its_own_durable_on_what_it_consumes_and_nothing_else(
    login: dict[str, Session],
) -> None:
    catalog, operator = login["catalog"], login["operator"]
    await catalog.js.add_consumer("PRODUCT", ConsumerConfig(durable_name="catalog"))
    with pytest.raises(Exception):  # noqa: B017, PT011 - another name on a stream it consumes
        await catalog.js.add_consumer("PRODUCT", ConsumerConfig(durable_name="search"))
    await catalog.refused("$JS.API.CONSUMER.DURABLE.CREATE.PRODUCT.search")
    with pytest.raises(Exception):  # noqa: B017, PT011 - its own name on a stream it does not
        await catalog.js.add_consumer("IDENTITY", ConsumerConfig(durable_name="catalog"))
    await catalog.refused("$JS.API.CONSUMER.DURABLE.CREATE.IDENTITY.catalog")

    # The allowed subject with another consumer's name inside the request: the server refuses.
    smuggled = {"stream_name": "PRODUCT", "config": {"durable_name": "search"}}
    reply = await catalog.client.request(
        "$JS.API.CONSUMER.CREATE.PRODUCT.catalog", json.dumps(smuggled).encode(), timeout=5
    )
    assert "error" in json.loads(reply.data)
    names = sorted(c.name for c in await operator.js.consumers_info("PRODUCT"))
    assert names == ["catalog"]


async def test_cart_cannot_read_identitys_events_by_any_route(login: dict[str, Session]) -> None:
    cart, identity, catalog = login["cart"], login["identity"], login["catalog"]
    await identity.js.publish(
        "bazaar.identity.user_registered", b'{"email": "a@b.test"}', timeout=5
    )
    received: list[bytes] = []

    async def keep(message: Msg) -> None:
        received.append(message.data)

    for subject in ("bazaar.identity.>", "_INBOX.>", "_INBOX.catalog.>", "$KV.>"):
        await cart.client.subscribe(subject, cb=keep)
        await cart.refused(subject, "subscription")
    for request in (
        "$JS.API.STREAM.MSG.GET.IDENTITY",
        "$JS.API.DIRECT.GET.IDENTITY.bazaar.identity.user_registered",
        "$JS.API.DIRECT.GET.KV_gateway_policies.$KV.gateway_policies.current",
        "$JS.API.STREAM.INFO.IDENTITY",
    ):
        with pytest.raises(Exception):  # noqa: B017, PT011
            await cart.client.request(request, b'{"seq": 1}', timeout=REFUSED_WITHIN)
        await cart.refused(request)

    # Meanwhile a legitimate consumer pulls an event: its reply inbox is not cart's to read.
    await catalog.js.add_consumer("PRODUCT", ConsumerConfig(durable_name="catalog"))
    await login["product"].js.publish("bazaar.product.created", b"{}", timeout=5)
    pull = ContinuousPull(catalog.client, stream="PRODUCT", durable="catalog")
    await pull.start()
    async with asyncio.timeout(5):
        assert len(await pull.next_batch()) == 1
    await pull.stop()
    assert received == []
