"""`bazaar up`: the whole platform on this machine, in the foreground, until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from enum import StrEnum
from pathlib import Path

import aiohttp
import asyncpg
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bazaar_cli import deployments, readiness, releases, seeding
from bazaar_cli.platform import BUS_SERVICES, GATEWAY, SERVICES
from bazaar_cli.postgres_provisioning import provision
from bazaar_cli.secrets import ensure_secrets
from bazaar_cli.state import DataDirLock, ProcessState, RunState, make_private
from bazaar_cli.supervisor import Child, Supervisor
from bazaar_platform.nats_server import port_is_open

READY_TIMEOUT_SECONDS = 90.0


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class StartFailed(Exception):
    """Said to the user in one line; `bazaar up` then exits non-zero."""


def check_port_free(port: int) -> None:
    if port_is_open("127.0.0.1", port):
        raise StartFailed(
            f"port {port} is already in use: stop what uses it, or choose another port with "
            "BAZAAR_GATEWAY_PORT"
        )


async def _wait_ready(supervisor: Supervisor, console: Console) -> None:
    names = {c.name for c in BUS_SERVICES}
    started = time.monotonic()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting services", total=len(supervisor.children))
        pending = {_shown(c): c for c in supervisor.children}
        async with aiohttp.ClientSession() as session:

            async def is_ready(child: Child) -> bool:
                if child.component.is_gateway:
                    return await readiness.gateway_routes(
                        session, child.url, names, token=supervisor.secrets.operations_token
                    )
                return await readiness.service_ready(session, child.url)

            while pending:
                for name, child in pending.items():
                    if not child.alive():
                        raise StartFailed(
                            f"{name} exited during start-up (code {child.process.returncode}); "
                            f"see {child.log}"
                        )
                probed = list(pending.items())  # all at once: one slow answer delays no other
                answers = await asyncio.gather(*(is_ready(child) for _, child in probed))
                for (name, child), ok in zip(probed, answers, strict=True):
                    if ok:
                        del pending[name]
                        progress.advance(task)
                        console.print(f"  [green]✓[/] {name:<10} {child.url}")
                progress.update(task, description="waiting for " + ", ".join(sorted(pending)))
                if time.monotonic() - started > READY_TIMEOUT_SECONDS:
                    raise StartFailed(
                        "not ready after "
                        f"{READY_TIMEOUT_SECONDS:.0f}s: {', '.join(sorted(pending))}; "
                        f"see the logs in {supervisor.logs}"
                    )
                await asyncio.sleep(0.1)


async def _seed_if_first_start(supervisor: Supervisor, console: Console) -> None:
    marker = supervisor.data_dir / "seeded"
    if marker.exists():
        console.print("  data dir already seeded: keeping its data")
        return
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("seeding the demo catalog", total=seeding.seed_request_count())
        count = await seeding.seed(supervisor.gateway_url, on_step=lambda: progress.advance(task))
    console.print(f"  seeded the demo catalog ({count} requests through the gateway)")
    await _wait_until_catalog_applied_seed(supervisor, console)
    marker.write_text("demo catalog loaded\n")


async def _wait_until_catalog_applied_seed(supervisor: Supervisor, console: Console) -> None:
    """The catalog is a read model fed by events: wait until its pages show every seeded
    product with its price and stock, so the README's first command answers the full page."""
    pages = seeding.seeded_pages()
    wanted = sum(len(listings) for listings in pages.values())
    started = time.monotonic()
    console.print(f"  waiting for the catalog to apply the seed ({wanted} products)…")
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("catalog applying the seed", total=wanted)
        async with aiohttp.ClientSession() as session:
            while (
                shown := await readiness.catalog_shows(session, supervisor.gateway_url, pages)
            ) < wanted:
                progress.update(task, completed=shown)
                if time.monotonic() - started > READY_TIMEOUT_SECONDS:
                    raise StartFailed(
                        f"the catalog shows {shown} of the {wanted} seeded products after "
                        f"{READY_TIMEOUT_SECONDS:.0f}s; see the logs in {supervisor.logs}"
                    )
                await asyncio.sleep(0.2)
    console.print(
        f"  [green]✓[/] catalog    shows all {wanted} seeded products "
        f"({time.monotonic() - started:.1f}s after seeding)"
    )


def _save_state(supervisor: Supervisor) -> None:
    RunState(
        supervisor_pid=os.getpid(),
        gateway_url=supervisor.gateway_url,
        nats_url=supervisor.nats.url,
        processes=[
            ProcessState(c.component.name, c.process.pid, c.url, str(c.log))
            for c in supervisor.children
        ],
    ).save(supervisor.data_dir)


async def _supervise(supervisor: Supervisor, console: Console, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for name, code in supervisor.restart_crashed():
            console.print(f"[yellow]! {name} exited with code {code}; restarted[/]")
            _save_state(supervisor)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await stop.wait()


def _shown(child: Child) -> str:
    """A process's name in the start-up list: a declared instance says what it runs."""
    name = child.component.name
    return name if child.launch is None else f"{name} ({child.launch.label}, :{child.port})"


async def _run(
    supervisor: Supervisor,
    console: Console,
    *,
    seed: bool,
    declared: list[tuple[str, releases.Launch]] | None = None,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    started = time.monotonic()
    supervisor.start_nats()
    console.print(f"  [green]✓[/] nats       {supervisor.nats.url} (JetStream, store in data dir)")
    for component in SERVICES:
        supervisor.start(component)
    for service, launch in declared or []:  # `--deploy`: more instances, beside those
        supervisor.start(deployments.component_named(service), launch)
    supervisor.start(GATEWAY)
    _save_state(supervisor)
    waiting = asyncio.create_task(_wait_ready(supervisor, console))
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({waiting, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stopper in done:
        waiting.cancel()
        return
    stopper.cancel()
    waiting.result()
    control = await deployments.serve_control(supervisor, on_change=lambda: _save_state(supervisor))
    if seed:
        await _seed_if_first_start(supervisor, console)
    elif supervisor.mode == Mode.PRODUCTION:
        console.print(
            "  production mode: no demo accounts or catalog; create the first administrator "
            f"with `bazaar admin create --email … --data-dir {supervisor.data_dir}`"
        )
    console.print(f"[bold green]Bazaar is ready[/] in {time.monotonic() - started:.1f}s")
    gateway = supervisor.gateway_url
    console.print(
        f"\n  gateway   {gateway}\n"
        f"  try       curl {gateway}/catalog/1/categories/coffee/products\n"
        f"  status    bazaar status      logs  {supervisor.logs}\n\n"
        "Press Ctrl-C to stop."
    )
    try:
        await _supervise(supervisor, console, stop)
    finally:
        control.close()


def _postgres_databases(admin_url: str, data_dir: Path, console: Console) -> dict[str, str]:
    """Provision one database and role per service on the given server (idempotent)."""
    passwords = ensure_secrets(data_dir.resolve()).postgres_passwords
    try:
        databases = asyncio.run(
            provision(admin_url, [c.name for c in BUS_SERVICES], passwords=passwords)
        )
    except (OSError, asyncpg.PostgresError) as exc:
        raise StartFailed(f"cannot provision PostgreSQL at the given admin URL: {exc}") from exc
    console.print(f"  [green]✓[/] postgres   {len(databases)} databases, one role each")
    return {d.service: d.url for d in databases}


def _prepare_declared(
    declared: tuple[releases.Declared, ...], data_dir: Path, console: Console
) -> list[tuple[str, releases.Launch]]:
    """Check out and install each declared revision before anything starts."""
    launches = []
    for d in declared:
        try:
            deployments.component_named(d.service)
            launch = releases.prepare(
                service=d.service, ref=d.ref, weight=d.weight, data_dir=data_dir
            )
        except (releases.ReleaseFailed, deployments.DeployFailed) as exc:
            raise StartFailed(f"--deploy {d.service}: {exc}") from exc
        console.print(f"  [green]✓[/] prepared   {d.service} from {launch.label}")
        launches.append((d.service, launch))
    return launches


def run_up(
    *,
    data_dir: Path,
    gateway_port: int,
    seed: bool,
    console: Console,
    postgres_admin_url: str | None = None,
    mode: Mode = Mode.DEVELOPMENT,
    declared: tuple[releases.Declared, ...] = (),
) -> None:
    """Start everything, wait until ready, seed once, then supervise until asked to stop.

    Production mode: no demo accounts (identity), no demo catalog, no demo secrets. `declared`:
    more instances (another git revision, a weight), prepared before anything starts and started
    with the default ones."""
    lock = DataDirLock(data_dir)
    lock.acquire()
    make_private(data_dir)
    try:
        check_port_free(gateway_port)
        launches = _prepare_declared(declared, data_dir, console)
        databases = (
            _postgres_databases(postgres_admin_url, data_dir, console)
            if postgres_admin_url
            else None
        )
        supervisor = Supervisor(
            data_dir=data_dir, gateway_port=gateway_port, mode=mode.value, database_urls=databases
        )
        try:
            asyncio.run(
                _run(
                    supervisor,
                    console,
                    seed=seed and mode is Mode.DEVELOPMENT,
                    declared=launches,
                )
            )
        finally:
            # A second Ctrl-C (or `uv run` passing the first one on) must not cut the orderly
            # stop short and leave the bus running: the stop is bounded by its own timeouts.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            console.print("stopping…")
            supervisor.stop()
            console.print("stopped.")
    finally:
        lock.release()
