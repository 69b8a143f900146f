"""The `bazaar` command. Each command says what it does while it does it, and fails with one
clear line and a non-zero exit code, never a traceback."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import psutil
import typer
from rich.console import Console

from bazaar_cli import console_commands, release_commands
from bazaar_cli.admin import AdminCreateFailed, create_first_admin
from bazaar_cli.bus_provisioning import provision_bus
from bazaar_cli.recall import RecallFailed, show_recall
from bazaar_cli.releases import Declared, ReleaseFailed
from bazaar_cli.shop import TerminalShop
from bazaar_cli.state import DataDirBusy, DataDirLock, RunState
from bazaar_cli.status import show_status
from bazaar_cli.up import Mode, StartFailed, run_up

app = typer.Typer(
    help="Bazaar: a commerce platform built as real microservices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
admin = typer.Typer(help="Administer a running platform.", no_args_is_help=True)
app.add_typer(admin, name="admin")
console = Console()
console_commands.register(app, console)
release_commands.register(app, console)
DataDir = Annotated[
    Path,
    typer.Option(envvar="BAZAAR_DATA_DIR", help="where databases, the NATS store and logs live"),
]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code=1)


@app.command()
def up(
    data_dir: DataDir = Path(".bazaar"),
    port: Annotated[
        int, typer.Option(envvar="BAZAAR_GATEWAY_PORT", help="the gateway's public port")
    ] = 8000,
    seed: Annotated[bool, typer.Option(help="load the demo catalog on first start")] = True,
    postgres: Annotated[
        str | None,
        typer.Option(
            envvar="BAZAAR_POSTGRES_ADMIN_URL",
            help="a PostgreSQL admin URL: each service gets its own database and role there "
            "instead of a SQLite file",
        ),
    ] = None,
    mode: Annotated[
        Mode,
        typer.Option(
            envvar="BAZAAR_MODE",
            help="development: demo accounts and catalog; production: none (create the first "
            "admin with `bazaar admin create`)",
        ),
    ] = Mode.DEVELOPMENT,
    deploy: Annotated[
        list[str] | None,
        typer.Option(
            help="one more instance, beside the default ones: service[@git-ref][:weight], "
            "e.g. pricing@v1.2:10 (repeatable)"
        ),
    ] = None,
) -> None:
    """Start NATS, every service and the gateway; seed the demo catalog on first start."""
    console.print(f"[bold]Bazaar[/] — data dir {data_dir.resolve()} ({mode.value} mode)")
    try:
        declared = tuple(Declared.parse(spec) for spec in deploy or [])
        run_up(
            data_dir=data_dir,
            gateway_port=port,
            seed=seed,
            console=console,
            postgres_admin_url=postgres,
            mode=mode,
            declared=declared,
        )
    except ReleaseFailed as exc:
        raise _fail(str(exc)) from None
    except DataDirBusy as exc:
        raise _fail(
            f"another `bazaar up` ({exc}) is using {data_dir.resolve()}; stop it with "
            "`bazaar stop` or choose another --data-dir"
        ) from None
    except StartFailed as exc:
        raise _fail(str(exc)) from None


@app.command()
def provision(
    nats_url: Annotated[
        str, typer.Option(envvar="BAZAAR_NATS_URL", help="the production NATS server")
    ] = "nats://127.0.0.1:4222",
    user: Annotated[
        str, typer.Option(envvar="BAZAAR_NATS_USER", help="a NATS user allowed to manage streams")
    ] = "operator",
    password: Annotated[
        str | None, typer.Option(envvar="BAZAAR_NATS_PASSWORD", help="that user's password")
    ] = None,
    replicas: Annotated[int, typer.Option(help="replicas per stream (a cluster's size)")] = 1,
) -> None:
    """Create or update the platform's streams and buckets, as the operator, before services
    start (`bazaar up` does this itself); services cannot create them."""
    try:
        names = provision_bus(nats_url, user=user, password=password, replicas=replicas)
    except Exception as exc:  # connection refused, authorization, a stream that cannot change
        raise _fail(f"cannot provision the bus at {nats_url} as {user}: {exc}") from None
    console.print(f"provisioned {len(names)} streams on {nats_url}: {', '.join(names)}")


@app.command()
def status(data_dir: DataDir = Path(".bazaar")) -> None:
    """Show every process of a running `bazaar up` and whether it is ready."""
    if not show_status(data_dir=data_dir, console=console):
        raise typer.Exit(code=1)


@app.command()
def stop(data_dir: DataDir = Path(".bazaar")) -> None:
    """Stop a `bazaar up` running on this data dir (from another terminal)."""
    state = RunState.load(data_dir)
    if state is None or not DataDirLock(data_dir).is_held_by_someone():
        raise _fail(f"nothing is running on {data_dir.resolve()}")
    os.kill(state.supervisor_pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while psutil.pid_exists(state.supervisor_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    console.print("stopped." if not psutil.pid_exists(state.supervisor_pid) else "still stopping…")


@app.command()
def recall(
    sku: Annotated[str, typer.Argument(help="the SKU of the product to recall")],
    reason: Annotated[str, typer.Option(help="why: every buyer and cart owner is told")],
    username: Annotated[
        str | None, typer.Option(envvar="BAZAAR_USERNAME", help="an admin or merchandiser")
    ] = None,
    password: Annotated[
        str | None, typer.Option(envvar="BAZAAR_PASSWORD", help="that user's password")
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="BAZAAR_TOKEN", help="an access token instead")
    ] = None,
    timeout: Annotated[float, typer.Option(help="seconds to watch at most")] = 15.0,
    data_dir: DataDir = Path(".bazaar"),
) -> None:
    """Recall a product and watch every service react on its own, live, as its facts arrive."""
    state = RunState.load(data_dir)
    if state is None or not DataDirLock(data_dir).is_held_by_someone():
        raise _fail(f"nothing is running on {data_dir.resolve()}")
    credentials = (username, password) if username and password else None
    try:
        show_recall(
            console,
            state=state,
            data_dir=data_dir,
            sku=sku,
            reason=reason,
            credentials=credentials,
            token=token,
            timeout=timeout,
        )
    except RecallFailed as exc:
        raise _fail(str(exc)) from None


@app.command()
def shop(
    gateway: Annotated[
        str, typer.Option(envvar="BAZAAR_GATEWAY_URL", help="the platform's public gateway")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Shop in the terminal: browse, search, fill a cart and pay, through the public API."""
    TerminalShop(gateway_url=gateway, console=console).run()


def _read_password() -> str:
    """From a hidden prompt (typed twice) on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\n")


@admin.command("create")
def admin_create(
    email: Annotated[str, typer.Option(help="the administrator's email (their login)")],
    organization: Annotated[
        str, typer.Option(help="the operator's organization (made if missing)")
    ] = "bazaar",
    name: Annotated[str, typer.Option(help="the administrator's display name")] = "Administrator",
    data_dir: DataDir = Path(".bazaar"),
) -> None:
    """Create the first administrator (once; the password is prompted for or read from stdin)."""
    try:
        created = create_first_admin(
            data_dir=data_dir,
            email=email,
            password=_read_password(),
            organization=organization,
            name=name,
        )
    except AdminCreateFailed as exc:
        raise _fail(str(exc)) from None
    console.print(f"created administrator {created.email} ({created.id}) of {organization}")


if __name__ == "__main__":
    app()
