"""Components forked from the fork server behave like `python -m module`: exactly their own
environment, their own session and log, their own random numbers, and they stop on a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bazaar_chassis.testing import eventually_sync
from bazaar_cli.launcher import fresh_interpreter, launch

PROBE = textwrap.dedent(
    """
    import json, os, random, signal, sys, threading, time
    print(json.dumps({
        "pid": os.getpid(),
        "session": os.getsid(0),
        "environment": dict(os.environ),
        "random": random.random(),
        "name": __name__,
        "process name": open("/proc/self/comm").read().strip(),
        "cwd": os.getcwd(),
    }))
    if os.environ.get("PROBE_WAIT") == "1":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
        while True:
            time.sleep(0.05)
    print("to stderr", file=sys.stderr)
    sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
    """
)


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module `launcher_probe` the children can import (they inherit sys.path at launch)."""
    (tmp_path / "launcher_probe.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "launcher_probe"


def first_line(log: Path) -> dict[str, object]:
    return json.loads(log.read_text().splitlines()[0])  # type: ignore[no-any-return]


def test_a_forked_module_runs_as_main_with_exactly_its_environment_in_its_own_session(
    probe: str, tmp_path: Path
) -> None:
    log = tmp_path / "probe.log"
    process = launch(probe, env={"PROBE_EXIT": "3", "ONLY": "this"}, log=log)
    assert process.wait(timeout=30) == 3
    assert process.returncode == 3
    seen = first_line(log)
    assert seen["environment"] == {"PROBE_EXIT": "3", "ONLY": "this"}
    assert seen["name"] == "__main__"
    assert seen["pid"] == process.pid
    assert seen["session"] == process.pid  # a session of its own: Ctrl-C does not reach it
    assert seen["session"] != os.getsid(0)
    assert seen["process name"] == "launcher_probe"  # what `top` shows, not `python`
    assert "to stderr" in log.read_text()


def test_two_forked_children_draw_different_random_numbers(probe: str, tmp_path: Path) -> None:
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    for log in logs:
        assert launch(probe, env={}, log=log).wait(timeout=30) == 0
    assert first_line(logs[0])["random"] != first_line(logs[1])["random"]


def test_a_running_child_is_polled_waited_for_and_stopped_by_a_signal(
    probe: str, tmp_path: Path
) -> None:
    log = tmp_path / "waiting.log"
    process = launch(probe, env={"PROBE_WAIT": "1"}, log=log)
    eventually_sync(lambda: log.exists() and log.read_text(), message="the child never started")
    assert process.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.1)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 7
    process.send_signal(signal.SIGTERM)  # already gone: nothing to signal, no error


def test_a_child_that_ignores_sigterm_is_killed(probe: str, tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    process = launch(probe, env={"PROBE_WAIT": "1"}, log=log)
    eventually_sync(lambda: log.exists() and log.read_text(), message="the child never started")
    process.kill()
    assert process.wait(timeout=30) == -signal.SIGKILL


def test_a_fresh_interpreter_runs_the_module_in_its_directory_with_its_environment_and_session(
    probe: str, tmp_path: Path
) -> None:
    """How a deployed release starts: its own interpreter, in its own checkout (here the probe's
    directory, which `-m` puts on the path)."""
    log = tmp_path / "fresh.log"
    env = {"PROBE_EXIT": "3", "PYTHONUNBUFFERED": "1"}  # unbuffered, as the supervisor sets it
    process = fresh_interpreter(sys.executable, probe, env=env, log=log, cwd=str(tmp_path))
    assert process.wait(timeout=30) == 3
    seen = first_line(log)
    environment = dict(seen["environment"])  # type: ignore[call-overload]
    environment.pop("LC_CTYPE", None)  # CPython coerces the C locale of an empty environment
    assert environment == env
    assert seen["name"] == "__main__"
    assert seen["cwd"] == str(tmp_path)
    assert seen["session"] == process.pid != os.getsid(0)
    assert "to stderr" in log.read_text()


def test_importing_the_shared_stack_starts_no_thread() -> None:
    """The fork server forks from this state; `shared_stack` raises if a thread was started."""
    subprocess.run(
        [sys.executable, "-c", "import bazaar_cli.shared_stack"], check=True, timeout=120
    )
