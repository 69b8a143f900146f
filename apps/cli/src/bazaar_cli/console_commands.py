"""`bazaar services | versions | events | slo | dlq | trace`: the console's answers in a
terminal, signed in at the gateway of the running platform (or `--gateway`) as an operator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bazaar_cli import operations
from bazaar_cli import versions as versions_view
from bazaar_cli.state import RunState

User = Annotated[str, typer.Option(envvar="BAZAAR_USER", help="an operator or admin")]
Password = Annotated[str, typer.Option(envvar="BAZAAR_PASSWORD", help="their password")]
Gateway = Annotated[
    str | None, typer.Option(help="the gateway's URL (default: the running `bazaar up`'s)")
]
DataDir = Annotated[Path, typer.Option(envvar="BAZAAR_DATA_DIR", help="the platform's data dir")]
DEMO_ADMIN = "admin@bazaar.test"
DEMO_PASSWORD = "bazaar-demo"  # noqa: S105 - the documented demo account, development mode only


def running_gateway(gateway: str | None, data_dir: Path) -> str:
    """The gateway named, else the running platform's (OperationFailed if nothing runs)."""
    if gateway is not None:
        return gateway
    state = RunState.load(data_dir)
    if state is None:
        raise operations.OperationFailed(f"nothing is running on {data_dir.resolve()}")
    return state.gateway_url


def register(app: typer.Typer, console: Console) -> None:
    def run(
        gateway: str | None,
        data_dir: Path,
        user: str,
        password: str,
        show: Callable[[Any, Console], None],
        method: str,
        path: str,
        **kwargs: Any,
    ) -> None:
        gateway = resolve(gateway, data_dir)
        try:
            body = operations.call(
                gateway, user=user, password=password, method=method, path=path, **kwargs
            )
            show(body, console)
        except operations.OperationFailed as exc:
            console.print(f"[red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(code=1) from None

    def resolve(gateway: str | None, data_dir: Path) -> str:
        try:
            return running_gateway(gateway, data_dir)
        except operations.OperationFailed as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(code=1) from None

    @app.command()
    def versions(
        service: str,
        gateway: Gateway = None,
        data_dir: DataDir = Path(".bazaar"),
        user: User = DEMO_ADMIN,
        password: Password = DEMO_PASSWORD,
        window: Annotated[float, typer.Option(help="seconds of traffic to sample")] = 5.0,
    ) -> None:
        """A service's live releases: instances, health, majors, weight and share of traffic."""
        url = resolve(gateway, data_dir)

        def show(body: Any, console: Console) -> None:
            token = versions_view.operations_token(data_dir)
            try:  # the last hour, from the console's store; the table says "-" without it
                stored = operations.call(
                    url,
                    user=user,
                    password=password,
                    method="GET",
                    path=f"/console/1/slo?window={versions_view.LONG_WINDOW_SECONDS:g}",
                )
            except operations.OperationFailed:
                stored = None
            versions_view.show_versions(
                body,
                console,
                service=service,
                gateway=url,
                token=token,
                window_seconds=window,
                stored=stored,
            )

        run(url, data_dir, user, password, show, "GET", "/gateway/1/services")

    @app.command()
    def services(
        gateway: Gateway = None,
        data_dir: DataDir = Path(".bazaar"),
        user: User = DEMO_ADMIN,
        password: Password = DEMO_PASSWORD,
    ) -> None:
        """Every live service: health, API majors, releases and instances."""
        run(
            gateway,
            data_dir,
            user,
            password,
            operations.show_services,
            "GET",
            "/console/1/services",
        )

    @app.command()
    def events(
        gateway: Gateway = None,
        data_dir: DataDir = Path(".bazaar"),
        user: User = DEMO_ADMIN,
        password: Password = DEMO_PASSWORD,
    ) -> None:
        """Every event type: producer, schemas, consumers and what each has left to read."""
        run(gateway, data_dir, user, password, operations.show_events, "GET", "/console/1/events")

    @app.command()
    def slo(
        window: Annotated[float, typer.Option(help="seconds")] = 300,
        gateway: Gateway = None,
        data_dir: DataDir = Path(".bazaar"),
        user: User = DEMO_ADMIN,
        password: Password = DEMO_PASSWORD,
    ) -> None:
        """Requests, availability and p50/p95/p99 per service, release and route."""
        path = f"/console/1/slo?window={window}"
        run(gateway, data_dir, user, password, operations.show_slo, "GET", path)

    @app.command()
    def dlq(
        retry: Annotated[int | None, typer.Option(help="retry this dead letter")] = None,
        retry_all: Annotated[bool, typer.Option(help="retry every dead letter")] = False,
        discard: Annotated[int | None, typer.Option(help="discard this dead letter")] = None,
        reason: Annotated[str, typer.Option(help="why it is discarded")] = "",
        gateway: Gateway = None,
        data_dir: DataDir = Path(".bazaar"),
        user: User = DEMO_ADMIN,
        password: Password = DEMO_PASSWORD,
    ) -> None:
        """List the dead letters; or retry one or all, or discard one with a reason."""
        listing = "/console/1/dead-letters"
        if retry is not None or retry_all or discard is not None:
            if retry_all:
                path, body = f"{listing}/retry", None
            elif retry is not None:
                path, body = f"{listing}/{retry}/retry", None
            else:
                path, body = f"{listing}/{discard}/discard", {"reason": reason}
            run(
                gateway,
                data_dir,
                user,
                password,
                lambda _b, c: c.print("done."),
                "POST",
                path,
                json=body,
            )
        run(gateway, data_dir, user, password, operations.show_dead_letters, "GET", listing)

    @app.command()
    def trace(
        query: Annotated[str, typer.Argument(help="a trace id, request id, order id or SKU")],
        gateway: Gateway = None,
        data_dir: DataDir = Path(".bazaar"),
        user: User = DEMO_ADMIN,
        password: Password = DEMO_PASSWORD,
    ) -> None:
        """A trace's spans with their service and release (the newest trace matching `query`)."""

        def newest(found: Any, out: Console) -> None:
            if not found["items"]:
                out.print(f"no trace mentions {query}")
                raise typer.Exit(code=1)
            trace_id = found["items"][0]["trace_id"]
            run(
                gateway,
                data_dir,
                user,
                password,
                operations.show_trace,
                "GET",
                f"/console/1/traces/{trace_id}",
            )

        run(
            gateway,
            data_dir,
            user,
            password,
            newest,
            "GET",
            "/console/1/traces",
            params={"q": query},
        )
