"""Starts one component process (`python -m <module>`, its log, its environment) by forking a
fork server that imported the shared stack once, instead of a fresh interpreter each time.

Every service imports the same ~1,300 modules (FastAPI, pydantic, SQLAlchemy, nats, aiohttp,
OpenTelemetry...): ~2 s of CPU each, and ~60 MiB of private memory each. The fork server
(multiprocessing's, preloading `bazaar_cli.shared_stack`) pays that once; each child starts
with it loaded and shares those pages copy-on-write. The child then behaves like
`python -m <module>`: own session (Ctrl-C reaches only the supervisor), stdout and stderr to its
log, exactly the environment given, `random` re-seeded by CPython's fork hook. The fork server
is single-threaded and runs no event loop, so forking it is safe; it exits with its parent.

`launch()` is the whole interface: the supervisor starts, restarts and stops components through
the `ComponentProcess` it returns, as it would a `subprocess.Popen`. `BAZAAR_FORK_SERVER=0`
starts fresh interpreters instead (`fresh_interpreter`, also how a deployed release, with an
interpreter of its own, starts).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import runpy
import subprocess
import sys
from multiprocessing import forkserver
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Protocol

PRELOAD = ["bazaar_cli.shared_stack"]
PR_SET_NAME = 15  # prctl(2): the name `top` and `ps -o comm` show (Linux, 15 bytes)
_context: ForkServerContext | None = None


class ComponentProcess(Protocol):
    """What the supervisor needs of a component's process (`subprocess.Popen` has it all)."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


def fork_server_enabled() -> bool:
    return os.environ.get("BAZAAR_FORK_SERVER", "1") != "0"


def warm_up() -> None:
    """Start the fork server now (it preloads in the background) rather than on first launch."""
    if fork_server_enabled():
        _fork_server()
        forkserver.ensure_running()


def launch(module: str, *, env: dict[str, str], log: Path) -> ComponentProcess:
    """Run `python -m module` with exactly `env`, appending its output to `log`."""
    if not fork_server_enabled():
        return fresh_interpreter(sys.executable, module, env=env, log=log)
    # A forked child has the fork server's umask, fixed when it started (before `bazaar up` made
    # its data dir private), so it is handed the supervisor's own.
    process = _fork_server().Process(
        target=_run_module,
        args=(module, env, str(log), _current_umask()),
        name=module,
        daemon=False,
    )
    process.start()
    return ForkedProcess(process, module=module)


def fresh_interpreter(
    python: str, module: str, *, env: dict[str, str], log: Path, cwd: str | None = None
) -> subprocess.Popen[bytes]:
    """Run `python -m module` in a new interpreter (`python`, in `cwd`), in a session of its own,
    with exactly `env`, appending its output to `log`."""
    with open(log, "ab") as output:
        return subprocess.Popen(  # noqa: S603 - an interpreter and module the supervisor chose
            [python, "-m", module],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _fork_server() -> ForkServerContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _run_module(module: str, env: dict[str, str], log: str, umask: int) -> None:
    """In the forked child: become `python -m module` in a session of its own."""
    os.umask(umask)
    os.setsid()
    _name_process(module.removeprefix("bazaar_"))
    output = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    # Line-buffered, as PYTHONUNBUFFERED gives a fresh interpreter: logs appear as written.
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(env)
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def _name_process(name: str) -> None:
    """Every child has the fork server's command line; at least its name says what it is."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


class ForkedProcess:
    """A forked component with the `subprocess.Popen` calls the supervisor uses."""

    def __init__(self, process: BaseProcess, *, module: str) -> None:
        self._process = process
        self._module = module

    @property
    def pid(self) -> int:
        assert self._process.pid is not None  # started
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode  # the fork server reports it; negative: killed by a signal

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self._process.exitcode
        if code is None:
            raise subprocess.TimeoutExpired([self._module], timeout or 0.0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        if self.poll() is None:
            self._process.kill()
