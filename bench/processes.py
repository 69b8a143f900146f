"""Helper processes a scenario runs next to the platform (the page assembler, the monolith).

Each is `python -m bench.<module> --port N ...`, started from the repository root, considered
up when its /healthz answers 200 and stopped with SIGINT (then SIGKILL if it hangs). They run in
their own processes, like the services, so that their CPU is measured and they compete for the
cores exactly as a real extra service would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bazaar_platform.nats_server import free_port

REPOSITORY = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 180.0  # a busy 2-core machine can take minutes to import a service


class HelperFailed(RuntimeError):
    pass


@dataclass
class Helper:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as reply:  # noqa: S310 - loopback
            return bool(reply.status == 200)
    except OSError:
        return False


@contextmanager
def helper_process(
    module: str, *args: str, log_dir: Path, env: Mapping[str, str] | None = None
) -> Iterator[Helper]:
    """Run `python -m bench.<module> --port <free> *args` until the block ends (`env`: more
    environment variables, for what must not show on a command line)."""
    port = free_port()
    log = log_dir / f"{module}.log"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", f"bench.{module}", "--port", str(port), *args],
            cwd=REPOSITORY,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    helper = Helper(module, process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _healthy(helper.url):
            if process.poll() is not None:
                raise HelperFailed(f"{module} exited early:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise HelperFailed(f"{module} did not answer /healthz:\n{log.read_text()}")
            time.sleep(0.1)
        yield helper
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
