"""The operator provisions the bus from what services declare: `bazaar provision` creates every
stream and bucket (idempotently), and the permissions follow each service's declared events."""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from typer.testing import CliRunner

from bazaar_chassis import ServiceSettings
from bazaar_cli.bus_provisioning import platform_consumption, platform_producers
from bazaar_cli.main import app
from bazaar_cli.nats_permissions import gateway_permissions, server_config, service_permissions
from bazaar_cli.platform import BUS_SERVICES, Component
from bazaar_platform.nats_server import NatsServer
from bazaar_platform.provisioning import layout

PLATFORM_STREAMS = sorted(str(c.name) for c in layout(platform_producers()))


@pytest.mark.parametrize("component", BUS_SERVICES, ids=lambda c: c.name)
def test_what_the_platform_declares_on_the_bus_is_what_each_service_definition_says(
    component: Component, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's app is built (not started), as `bazaar up` would build it, and its
    definition compared with what the platform declares for it."""
    monkeypatch.setenv("BAZAAR_IDENTITY_KEY_PASSPHRASE", "declarations-test-only")
    service = importlib.import_module(f"{component.module}.service")
    app = service.build_app(ServiceSettings(data_dir=tmp_path))
    definition = app.state.runtime.definition
    assert component.publishes == bool(definition.publishes)
    consumed = sorted({name.split(".", 1)[0] for name in definition.handlers})
    assert sorted(component.consumes) == consumed


def test_no_user_but_the_operator_has_any_right_over_streams() -> None:
    users = [service_permissions(c.name, c.consumes) for c in BUS_SERVICES] + [
        gateway_permissions()
    ]
    for permissions in users:
        allowed: list[str] = permissions["publish"]["allow"]  # type: ignore[index]
        stream_rights = [s.split(".")[3] for s in allowed if s.startswith("$JS.API.STREAM.")]
        assert set(stream_rights) <= {"INFO", "MSG"}  # look up, and the gateway's KV gets
        assert not [s for s in allowed if s.startswith("$JS.API.STREAM.MSG.DELETE")]
        assert not [s for s in allowed if "*" in s], "no wildcard may stand for a stream"


def test_the_catalog_may_bind_its_durable_exactly_on_the_four_streams_it_consumes() -> None:
    allowed: list[str] = service_permissions("catalog", platform_consumption()["catalog"])[
        "publish"
    ]["allow"]  # type: ignore[index]
    creates = sorted(s for s in allowed if s.startswith("$JS.API.CONSUMER.DURABLE.CREATE."))
    assert creates == [
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.catalog"
        for stream in ("CATEGORY", "INVENTORY", "PRICING", "PRODUCT")
    ]


@pytest.fixture
def passwords() -> dict[str, str]:
    return {user: secrets.token_urlsafe(16) for user in ("operator", "cart", "gateway")}


@pytest.fixture
def production_nats(tmp_path: Path, passwords: dict[str, str]) -> Iterator[NatsServer]:
    server = NatsServer(store_dir=tmp_path / "nats", config_text=server_config(passwords))
    server.start()
    yield server
    server.stop()


async def stream_names(server: NatsServer, password: str) -> list[str]:
    client = await nats.connect(server.url, user="operator", password=password)
    try:
        return sorted(info.config.name or "" for info in await client.jetstream().streams_info())
    finally:
        await client.close()


async def test_bazaar_provision_creates_every_stream_and_bucket_and_may_run_again(
    production_nats: NatsServer, passwords: dict[str, str]
) -> None:
    arguments = ["provision", "--nats-url", production_nats.url, "--user", "operator"]
    for _ in range(2):  # idempotent: every start of the platform runs it
        result = CliRunner().invoke(app, [*arguments, "--password", passwords["operator"]])
        assert result.exit_code == 0, result.output
        assert f"provisioned {len(PLATFORM_STREAMS)} streams" in result.output
    assert await stream_names(production_nats, passwords["operator"]) == PLATFORM_STREAMS


def test_bazaar_provision_with_wrong_credentials_fails_in_one_line(
    production_nats: NatsServer,
) -> None:
    result = CliRunner().invoke(
        app, ["provision", "--nats-url", production_nats.url, "--password", "wrong"]
    )
    assert result.exit_code == 1
    assert "cannot provision the bus" in result.output
    assert "Traceback" not in result.output
