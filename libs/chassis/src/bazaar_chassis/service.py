"""The service factory: from a `ServiceDefinition` to a running FastAPI app with everything wired.

A service's composition root builds a `ServiceDefinition` (what it is: name, version, API routers
per major, migrations, events published, handlers for events consumed, background jobs);
`create_app` adds what every service has: `/healthz`, `/readyz`, `/metrics`, problem+json errors,
request ids, logs, traces, the outbox relay, durable consumers and the registry heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import ASGIApp

from bazaar_chassis import inbox
from bazaar_chassis.bus import Bus, open_stream
from bazaar_chassis.caller import AssertionVerifier, Caller, assertion_key
from bazaar_chassis.consumer import EventConsumer, Handler
from bazaar_chassis.contract import document_errors
from bazaar_chassis.database import Database
from bazaar_chassis.envelope import stream_name
from bazaar_chassis.errors import Unauthorized
from bazaar_chassis.http_middleware import ObservabilityMiddleware
from bazaar_chassis.identity_middleware import GatewayIdentityMiddleware
from bazaar_chassis.jobs import repeat, stop_task
from bazaar_chassis.links import Links
from bazaar_chassis.logs import configure_logging
from bazaar_chassis.metrics import ServiceMetrics, may_scrape
from bazaar_chassis.outbound import ServiceClient
from bazaar_chassis.outbox import OutboxRelay
from bazaar_chassis.problems import install_problem_handlers
from bazaar_chassis.registry import Deprecation, Instance, Registration
from bazaar_chassis.request_spans import RequestSpans
from bazaar_chassis.settings import ServiceSettings
from bazaar_chassis.tracing import build_tracer_provider
from bazaar_chassis.unit_of_work import Reads, UnitOfWorkFactory, Units, reads_of, units_of

BackgroundJob = Callable[["Runtime"], Coroutine[Any, Any, None]]
StartupStep = Callable[["Runtime"], Awaitable[None]]
# An ASGI layer a service puts around its own routes, given its runtime: inside the identity
# check and observability, so every caller is still verified, traced and counted.
InnerMiddleware = Callable[[ASGIApp, "Runtime"], ASGIApp]


def _connection(connection: AsyncConnection) -> AsyncConnection:
    return connection


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything that makes one service what it is; built by the service's composition root."""

    name: str
    version: str
    description: str
    apis: Mapping[int, APIRouter]
    default_major: int = 1
    deprecated_majors: Mapping[int, Deprecation] = field(default_factory=dict)
    migrations: Path | None = None
    publishes: Sequence[str] = ()
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    background: Sequence[BackgroundJob] = ()
    on_startup: Sequence[StartupStep] = ()  # after migrations, before the first request
    store: Callable[[AsyncConnection], Any] = _connection  # what `Units`/`Reads` hand use cases
    # Paths other processes call without the gateway (an OTLP receiver): no assertion, no span.
    open_paths: frozenset[str] = frozenset()
    # Where an answer's values lead (OpenAPI links): what a client does next with a resource.
    links: tuple[Links, ...] = ()
    # Layers around the routes, outermost first (the catalog's kept answers).
    middleware: Sequence[InnerMiddleware] = ()


@dataclass
class Runtime:
    """The live dependencies of one service instance, reachable from routes and jobs."""

    definition: ServiceDefinition
    settings: ServiceSettings
    database: Database
    bus: Bus
    relay: OutboxRelay
    unit_of_work: UnitOfWorkFactory
    units: Units[Any]  # the service's store on a transaction, for use cases
    reads: Reads[Any]  # the service's store on a snapshot, for queries
    read_value: Callable[[str], Awaitable[Any]]  # one value of a SQL read, on a snapshot
    consumer: EventConsumer
    metrics: ServiceMetrics
    tracer_provider: TracerProvider
    http: ServiceClient
    registration: Registration | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def spawn(self, job: Coroutine[Any, Any, None], name: str) -> None:
        """Run `job` for the lifetime of the instance."""
        self.tasks.append(asyncio.create_task(job, name=name))

    def on_close(self, closer: Callable[[], None]) -> None:
        """Call `closer` when the instance stops (what a service opened beside the chassis)."""
        self.closers.append(closer)


# The dependencies below are `async def` on purpose: FastAPI runs a plain `def` dependency in
# a worker thread, a thread hop per request that cost ~1.6 ms of CPU on the catalog's list
# (docs/benchmarks.md P1b); these only read attributes, so they run on the event loop.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_caller(request: Request) -> Caller:
    """The caller the gateway vouched for (set by GatewayIdentityMiddleware)."""
    caller: Caller = request.scope["bazaar.caller"]
    return caller


async def get_units(request: Request) -> Units[Any]:
    runtime: Runtime = request.app.state.runtime
    return runtime.units


async def get_reads(request: Request) -> Reads[Any]:
    runtime: Runtime = request.app.state.runtime
    return runtime.reads


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CallerDep = Annotated[Caller, Depends(get_caller)]
UnitsDep = Annotated[Units[Any], Depends(get_units)]
ReadsDep = Annotated[Reads[Any], Depends(get_reads)]


def _build_runtime(definition: ServiceDefinition, settings: ServiceSettings) -> Runtime:
    database = Database(settings.database_url_for(definition.name))
    bus = Bus(
        url=settings.nats_url,
        name=f"{definition.name}/{definition.version}/{settings.instance_id}",
        user=settings.nats_user,
        password=settings.nats_password,
    )
    metrics = ServiceMetrics()
    tracer_provider = build_tracer_provider(
        service=definition.name, version=definition.version, otlp_endpoint=settings.otlp_endpoint
    )
    labels = (definition.name, definition.version)
    relay = OutboxRelay(
        database=database,
        bus=bus,
        poll_seconds=settings.outbox_poll_seconds,
        on_published=lambda name: metrics.count_published(labels, name),
    )
    units = UnitOfWorkFactory(
        database=database,
        source=f"/{definition.name}/{definition.version}",
        after_commit=relay.send_committed,
    )
    consumer = EventConsumer(
        service=definition.name,
        bus=bus,
        units=units,
        handlers=definition.handlers,
        max_deliver=settings.consumer_max_deliver,
        observe=lambda outcome, name: metrics.events_consumed.labels(*labels, name, outcome).inc(),
        spans=RequestSpans(tracer_provider, scope="bazaar", version=definition.version),
    )
    return Runtime(
        definition=definition,
        settings=settings,
        database=database,
        bus=bus,
        relay=relay,
        unit_of_work=units,
        units=units_of(units, definition.store),
        reads=reads_of(database, definition.store),
        read_value=database.scalar,
        consumer=consumer,
        metrics=metrics,
        tracer_provider=tracer_provider,
        http=ServiceClient(
            base_url=settings.gateway_url,
            client_id=definition.name,
            client_secret=settings.client_secret,
        ),
    )


def _instance(runtime: Runtime) -> Instance:
    definition, settings = runtime.definition, runtime.settings
    url = f"http://{settings.public_host or settings.host}:{settings.port}"
    return Instance(
        service=definition.name,
        version=definition.version,
        instance_id=settings.instance_id,
        url=url,
        majors=sorted(definition.apis),
        default_major=definition.default_major,
        deprecated_majors=sorted(definition.deprecated_majors),
        deprecations={str(m): d.to_entry() for m, d in definition.deprecated_majors.items()},
        openapi_url=f"{url}/openapi.json",
        publishes=sorted(definition.publishes),
        consumes=sorted(definition.handlers),
        weight=settings.weight,
    )


async def _forget_old_inbox_entries(runtime: Runtime) -> None:
    async with runtime.database.transaction() as connection:
        await inbox.forget_older_than(connection)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime: Runtime = app.state.runtime
    definition = runtime.definition
    migrations = [definition.migrations] if definition.migrations else []
    await runtime.database.migrate(migrations)
    for step in definition.on_startup:
        await step(runtime)

    if definition.publishes:
        own_stream = stream_name(definition.name)

        async def find_own_stream(bus: Bus) -> None:  # provisioned by the operator, never here
            await open_stream(bus.js, own_stream)

        runtime.bus.on_connect(find_own_stream)

    if definition.handlers:
        runtime.bus.on_connect(runtime.consumer.on_connect)
    runtime.bus.on_ready(runtime.relay.wake)  # publish what waited while the bus was away
    await runtime.bus.start()
    runtime.spawn(runtime.relay.run(), "outbox-relay")
    if definition.handlers:
        runtime.spawn(
            repeat(lambda: _forget_old_inbox_entries(runtime), every=3600, name="inbox-retention"),
            "inbox-retention",
        )
    for job in definition.background:
        runtime.spawn(job(runtime), getattr(job, "__name__", "job"))
    if runtime.settings.port:
        runtime.registration = registration = Registration(
            bus=runtime.bus,
            instance=_instance(runtime),
            heartbeat_seconds=runtime.settings.heartbeat_seconds,
        )
        await registration.start()
    try:
        yield
    finally:
        if runtime.registration is not None:
            await runtime.registration.stop()
        await asyncio.gather(*(stop_task(task) for task in runtime.tasks))
        await runtime.consumer.stop()
        await runtime.http.close()
        await runtime.bus.close()
        await runtime.database.close()
        for close in runtime.closers:
            close()
        runtime.tracer_provider.shutdown()  # sends the spans still waiting for export


def _platform_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(runtime: RuntimeDep, response: Response) -> dict[str, Any]:
        database_ok = await runtime.database.ping()
        bus_ok = runtime.bus.connected
        wanted = set(runtime.consumer.producers)
        consumers_ok = wanted <= runtime.consumer.bound | runtime.consumer.awaiting
        if not database_ok:
            status = "unavailable"
            response.status_code = 503
        elif bus_ok and consumers_ok:
            status = "ready"
        else:
            status = "degraded"  # still serving; writes wait in the outbox
        return {
            "status": status,
            "service": runtime.definition.name,
            "version": runtime.definition.version,
            "checks": {
                "database": database_ok,
                "bus": bus_ok,
                "consumers": sorted(runtime.consumer.bound),
                "awaiting_streams": sorted(runtime.consumer.awaiting),
            },
        }

    @app.get("/metrics", include_in_schema=False)
    async def metrics(runtime: RuntimeDep, request: Request) -> Response:
        if not may_scrape(
            request.headers.get("authorization"), runtime.settings.metrics_token_sha256
        ):
            raise Unauthorized("/metrics is for scrapers: present the scrape token as a bearer")
        labels = (runtime.definition.name, runtime.definition.version)
        runtime.metrics.bus_connected.labels(*labels).set(1 if runtime.bus.connected else 0)
        with contextlib.suppress(Exception):
            runtime.metrics.outbox_backlog.labels(*labels).set(await runtime.relay.backlog())
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def create_app(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> FastAPI:
    """Assemble the FastAPI app of one service instance (nothing starts until its lifespan)."""
    settings = settings or ServiceSettings()
    configure_logging(service=definition.name, version=definition.version, level=settings.log_level)
    runtime = _build_runtime(definition, settings)
    app = FastAPI(
        # Our own middleware does tracing and metrics with service version labels (M8, M10).
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        title=f"Bazaar {definition.name}",
        version=definition.version,
        description=definition.description,
        lifespan=_lifespan,
        redirect_slashes=False,  # a redirect would name the internal port (issue 8)
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    _platform_routes(app)
    for layer in reversed(definition.middleware):  # added first, so inside the identity check
        app.add_middleware(layer, runtime)
    key = settings.assertion_key_for(definition.name)
    app.add_middleware(
        GatewayIdentityMiddleware,
        verifier=AssertionVerifier(assertion_key(key) if key else None, audience=definition.name),
        open_paths=definition.open_paths,
    )
    for major, router in sorted(definition.apis.items()):
        app.include_router(
            router,
            prefix=f"/{definition.name}/{major}",
            tags=[f"{definition.name} v{major}"],
            deprecated=major in definition.deprecated_majors or None,
        )
    document_errors(app, links=definition.links)
    app.add_middleware(
        ObservabilityMiddleware,
        service=definition.name,
        version=definition.version,
        metrics=runtime.metrics,
        spans=RequestSpans(runtime.tracer_provider, scope="bazaar", version=definition.version),
        unobserved=definition.open_paths,
    )
    return app
