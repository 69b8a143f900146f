"""`bazaar deploy | undeploy | retire`: run one more release of a service beside the live ones,
stop one, and retire a major once nobody calls it, on the running platform, restarting nothing."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bazaar_cli import deployments, operations, releases
from bazaar_cli.console_commands import (
    DEMO_ADMIN,
    DEMO_PASSWORD,
    DataDir,
    Gateway,
    Password,
    User,
    running_gateway,
)
from bazaar_cli.state import DataDirLock

DEFAULT_IDLE_SECONDS = 300.0
Service = Annotated[str, typer.Argument(help="the service, e.g. pricing")]


def _require_running(data_dir: Path) -> None:
    if not DataDirLock(data_dir).is_held_by_someone():
        raise deployments.DeployFailed(f"nothing is running on {data_dir.resolve()}")


def instances_matching(listing: Any, *, service: str, which: str) -> list[dict[str, Any]]:
    """The live instances of `service` whose release or instance id is `which`."""
    entry = next((s for s in listing["items"] if s["name"] == service), None)
    if entry is None:
        raise deployments.DeployFailed(f"no live instance of {service!r}")
    found = [i for i in entry["instances"] if which in (i["version"], i["id"])]
    if not found:
        live = ", ".join(f"{i['version']} ({i['id']})" for i in entry["instances"])
        raise deployments.DeployFailed(f"{service} has no release or instance {which!r}: {live}")
    return found


def retire_major(
    gateway: str, *, user: str, password: str, service: str, major: int, force: bool, idle: float
) -> Any:
    """Ask the gateway to stop routing `major`; it refuses (409) while the major has traffic."""
    return operations.call(
        gateway,
        user=user,
        password=password,
        method="PUT",
        path=f"/gateway/1/retired-majors/{service}/{major}",
        json={"force": force, "idle_seconds": idle},
    )


def register(app: typer.Typer, console: Console) -> None:
    def fail(message: str) -> typer.Exit:
        console.print(f"[red]error:[/] {message}", soft_wrap=True)
        return typer.Exit(code=1)

    @app.command()
    def deploy(
        service: Service,
        ref: Annotated[
            str | None,
            typer.Option(help="a git revision to run (default: the working tree)"),
        ] = None,
        weight: Annotated[
            int | None, typer.Option(min=0, help="its share of its majors' traffic (default 100)")
        ] = None,
        data_dir: DataDir = Path(".bazaar"),
    ) -> None:
        """Start one more instance of a service on the running platform and register it."""
        try:
            _require_running(data_dir)
            launch = releases.prepare(service=service, ref=ref, weight=weight, data_dir=data_dir)
            console.print(f"starting {service} from {launch.label}…")
            started = deployments.ask(
                data_dir,
                {"op": "deploy", "service": service, "launch": asdict(launch)},
            )
        except (releases.ReleaseFailed, deployments.DeployFailed) as exc:
            raise fail(str(exc)) from None
        console.print(
            f"[green]✓[/] {service} release {started['release']} ready at {started['url']} "
            f"(weight {weight if weight is not None else 100}; log {started['log']})"
        )

    @app.command()
    def undeploy(
        service: Service,
        which: Annotated[str, typer.Argument(help="a release (e.g. 1.0.1) or an instance id")],
        gateway: Gateway = None,
        data_dir: DataDir = Path(".bazaar"),
        user: User = DEMO_ADMIN,
        password: Password = DEMO_PASSWORD,
    ) -> None:
        """Stop the instances of one release (or one instance) of a service."""
        try:
            _require_running(data_dir)
            url = running_gateway(gateway, data_dir)
            listing = operations.call(
                url, user=user, password=password, method="GET", path="/gateway/1/services"
            )
            found = instances_matching(listing, service=service, which=which)
            stopped = deployments.ask(
                data_dir,
                {"op": "undeploy", "service": service, "urls": [i["url"] for i in found]},
            )
        except (deployments.DeployFailed, operations.OperationFailed) as exc:
            raise fail(str(exc)) from None
        console.print(f"stopped {service} {which}: {', '.join(stopped['stopped'])}")

    @app.command()
    def retire(
        service: Service,
        major: Annotated[int, typer.Argument(min=1, help="the API major to retire, e.g. 1")],
        force: Annotated[bool, typer.Option(help="retire it even though it has traffic")] = False,
        idle: Annotated[
            float, typer.Option(help="seconds without a request to that major it must have had")
        ] = DEFAULT_IDLE_SECONDS,
        gateway: Gateway = None,
        data_dir: DataDir = Path(".bazaar"),
        user: User = DEMO_ADMIN,
        password: Password = DEMO_PASSWORD,
    ) -> None:
        """Stop routing one major of a service, once nobody has called it for `--idle` seconds."""
        try:
            url = running_gateway(gateway, data_dir)
            done = retire_major(
                url,
                user=user,
                password=password,
                service=service,
                major=major,
                force=force,
                idle=idle,
            )
        except (deployments.DeployFailed, operations.OperationFailed) as exc:
            raise fail(str(exc)) from None
        live = ", ".join(f"v{m}" for m in done["live_majors"]) or "none"
        console.print(
            f"retired {service} v{major}: /{service}/{major}/ now answers 404 (live majors: {live})"
        )
