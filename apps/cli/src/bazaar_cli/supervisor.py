"""Starts, watches and stops the platform's processes: nats-server, services, gateway.

Children run in their own session, so Ctrl-C reaches only the supervisor, which then stops them
in order (gateway, services, bus). A child that dies unexpectedly is restarted with back-off.
Python components are forked from a warm fork server (bazaar_cli.launcher).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

from bazaar_chassis.tracing import STANDARD_ENDPOINT_VARIABLES
from bazaar_cli import launcher
from bazaar_cli.bus_provisioning import platform_consumption, platform_observers, provision_bus
from bazaar_cli.nats_permissions import OPERATOR, server_config
from bazaar_cli.platform import Component
from bazaar_cli.releases import Launch
from bazaar_cli.secrets import PlatformSecrets, ensure_secrets
from bazaar_platform.nats_server import NatsServer, free_port

STOP_TIMEOUT_SECONDS = 10.0
MAX_RESTARTS = 5


@dataclass
class Child:
    component: Component
    port: int
    log: Path
    process: launcher.ComponentProcess
    restarts: int = 0
    started_at: float = field(default_factory=time.monotonic)
    launch: Launch | None = None  # one more instance (`bazaar deploy`); None: `bazaar up`'s own

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None


def _identity_secrets(secrets: PlatformSecrets) -> dict[str, str]:
    env = {
        "BAZAAR_IDENTITY_SERVICE_CLIENTS_FILE": str(secrets.clients_file),
        "BAZAAR_IDENTITY_KEY_PASSPHRASE": secrets.identity_key_passphrase,
        "BAZAAR_IDENTITY_BOOTSTRAP_TOKEN": secrets.bootstrap_token,
    }
    if secrets.identity_previous_key_passphrase:
        env["BAZAAR_IDENTITY_PREVIOUS_KEY_PASSPHRASE"] = secrets.identity_previous_key_passphrase
    return env


class Supervisor:
    def __init__(
        self,
        *,
        data_dir: Path,
        gateway_port: int,
        mode: str = "development",
        database_urls: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.gateway_port = gateway_port
        self.mode = mode
        self.database_urls = database_urls or {}  # service -> URL; default: SQLite files
        self.logs = self.data_dir / "logs"
        self.secrets: PlatformSecrets = ensure_secrets(self.data_dir)
        self.nats = NatsServer(
            store_dir=self.data_dir / "nats",
            port=free_port(avoid={gateway_port}),
            log_file=self.logs / "nats.log",
            config_text=server_config(
                self.secrets.nats_passwords, platform_consumption(), platform_observers()
            ),
        )
        self.children: list[Child] = []
        # `bazaar deploy`/`undeploy` change the children from the control socket's thread while
        # the watch loop restarts crashed ones: an undeployed instance must not be restarted,
        # and two instances started at once must not be promised one port.
        self._children_lock = threading.Lock()

    def ports_promised(self) -> set[int]:
        """The ports handed out so far: a service starting now must not be offered the gateway's
        port (the gateway starts last, so the kernel still sees that port as free)."""
        return {self.gateway_port, self.nats.port} | {child.port for child in self.children}

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def start_nats(self) -> None:
        """Start the bus and provision it as the operator, before any service connects."""
        self.logs.mkdir(parents=True, exist_ok=True)
        launcher.warm_up()  # the fork server imports the shared stack while the bus starts
        self.nats.start()
        self.provision_bus()

    def provision_bus(self) -> list[str]:
        return provision_bus(
            self.nats.url, user=OPERATOR, password=self.secrets.nats_passwords[OPERATOR]
        )

    def _environment(self, component: Component, port: int) -> dict[str, str]:
        secrets = self.secrets
        nats_user = "gateway" if component.is_gateway else component.name
        env = dict(os.environ)
        env.update(
            {
                "BAZAAR_DATA_DIR": str(self.data_dir),
                "BAZAAR_NATS_URL": self.nats.url,
                "BAZAAR_PORT": str(port),
                "BAZAAR_GATEWAY_PORT": str(self.gateway_port),
                "BAZAAR_GATEWAY_URL": self.gateway_url,
                "BAZAAR_MODE": self.mode,
                "BAZAAR_EXIT_WITH_PARENT": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if component.on_bus:  # an outside system (the test payment provider) gets no bus
            env["BAZAAR_NATS_USER"] = nats_user
            env["BAZAAR_NATS_PASSWORD"] = secrets.nats_passwords[nats_user]
        if component.is_gateway:
            env["BAZAAR_ASSERTION_SECRET_FILE"] = str(secrets.assertion_secret_file)
            # Signing keys (and passwords) go only to the identity this supervisor started.
            identity = [c.url for c in self.children if c.component.name == "identity"]
            env["BAZAAR_IDENTITY_URLS"] = json.dumps(identity)
            env["BAZAAR_OPERATIONS_TOKEN"] = secrets.operations_token
            storefront = [c.url for c in self.children if c.component.name == "storefront"]
            if storefront:  # `/` and `/shop/*` go to it
                env["BAZAAR_STOREFRONT_URL"] = storefront[0]
        elif component.on_bus:
            env["BAZAAR_CLIENT_SECRET"] = secrets.client_secrets[component.name]
            # it checks the gateway's assertions with its own key, and holds no other
            env["BAZAAR_ASSERTION_KEY_FILE"] = str(secrets.assertion_key_file(component.name))
        if not component.is_gateway:  # its /metrics answers the operations token's holders only
            env["BAZAAR_METRICS_TOKEN_SHA256"] = sha256(
                secrets.operations_token.encode()
            ).hexdigest()
        if component.observes:  # the console scrapes the gateway's and every instance's metrics
            env["BAZAAR_OPERATIONS_TOKEN"] = secrets.operations_token
        env.update(self._telemetry_environment())
        if component.name in ("payment", "payment-provider"):
            env.update(self._payment_provider_environment())
        if component.name == "identity":
            env.update(_identity_secrets(secrets))
        if component.name in self.database_urls:
            env["BAZAAR_DATABASE_URL"] = self.database_urls[component.name]
        return env

    def _telemetry_environment(self) -> dict[str, str]:
        """Spans go to the console, unless the operator named a collector of their own."""
        configured = ("BAZAAR_OTLP_ENDPOINT", *STANDARD_ENDPOINT_VARIABLES)
        console = next((c for c in self.children if c.component.observes), None)
        if console is None or any(os.environ.get(name) for name in configured):
            return {}
        return {"BAZAAR_OTLP_ENDPOINT": console.url}

    def _payment_provider_environment(self) -> dict[str, str]:
        """Both sides of the provider: its secrets, its URL, and the gateway's webhook route."""
        shared = self.secrets.payment_provider
        env = {
            "BAZAAR_PAYMENT_PROVIDER_API_KEY": shared["api_key"],
            "BAZAAR_PAYMENT_PROVIDER_WEBHOOK_SECRET": shared["webhook_secret"],
            "BAZAAR_PAYMENT_PROVIDER_WEBHOOK_URL": (
                f"{self.gateway_url}/payment/1/webhooks/test-provider"
            ),
        }
        provider = next((c for c in self.children if c.component.name == "payment-provider"), None)
        if provider is not None:
            env["BAZAAR_PAYMENT_PROVIDER_URL"] = provider.url
        return env

    def _log(self, component: Component, port: int, launch: Launch | None) -> Path:
        return self.logs / (f"{component.name}-{port}.log" if launch else f"{component.name}.log")

    def _spawn(
        self, component: Component, port: int, launch: Launch | None = None
    ) -> launcher.ComponentProcess:
        """`bazaar up`'s own instances fork from the warm fork server; a deployed one runs from
        its release's own interpreter and directory (another revision may lock other libraries)."""
        env = self._environment(component, port)
        log = self._log(component, port, launch)
        if launch is None:
            return launcher.launch(component.module, env=env, log=log)
        env.update(launch.environment())
        if launch.cwd is not None:  # another revision: nothing of this checkout on its path
            env.pop("PYTHONPATH", None)
        return launcher.fresh_interpreter(
            launch.python, component.module, env=env, log=log, cwd=launch.cwd
        )

    def start(self, component: Component, launch: Launch | None = None) -> Child:
        with self._children_lock:
            port = (
                self.gateway_port
                if component.is_gateway
                else free_port(avoid=self.ports_promised())
            )
            child = Child(
                component=component,
                port=port,
                log=self._log(component, port, launch),
                process=self._spawn(component, port, launch),
                launch=launch,
            )
            self.children.append(child)
        return child

    def stop_child(self, child: Child) -> None:
        """Stop one instance for good (`bazaar undeploy`): it is not restarted."""
        with self._children_lock:
            self.children.remove(child)
        _terminate([child])

    def restart_crashed(self) -> list[tuple[str, int]]:
        """Restart whatever died (the bus included); returns (name, exit code) of each."""
        restarted = []
        if not self.nats.running:
            nats_code = self.nats.returncode
            self.nats.start()  # same port, same store: clients reconnect by themselves
            self.provision_bus()  # in case the store was lost with it
            restarted.append(("nats", nats_code))
        with self._children_lock:
            for child in self.children:
                code = child.process.poll()
                if code is None or child.restarts >= MAX_RESTARTS:
                    continue
                child.restarts += 1
                child.process = self._spawn(child.component, child.port, child.launch)
                child.started_at = time.monotonic()
                restarted.append((child.component.name, code))
        return restarted

    def stop(self) -> None:
        """Gateway first (no new requests), then the services, then the bus."""
        gateway = [c for c in self.children if c.component.is_gateway]
        services = [c for c in self.children if not c.component.is_gateway]
        for group in (gateway, services):
            _terminate(group)
        self.nats.stop()


def _terminate(group: list[Child]) -> None:
    """SIGTERM each, then wait for all; whoever is still there after the timeout is killed."""
    for child in group:
        if child.alive():
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in group:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            child.process.wait(remaining)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
