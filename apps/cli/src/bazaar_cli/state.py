"""What a running `bazaar up` leaves in its data dir: a lock, a state file, private modes.

The lock (an flock on `<data dir>/bazaar.lock`) makes sure two `bazaar up` never share one data
dir; the kernel drops it when the process dies, so a crash never leaves a stale lock behind.
Everything in the data dir (secrets, databases, the NATS config and store) is its owner's only.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO


class DataDirBusy(Exception):
    """Another `bazaar up` holds this data dir."""


@dataclass
class ProcessState:
    name: str
    pid: int
    url: str
    log: str


@dataclass
class RunState:
    supervisor_pid: int
    gateway_url: str
    nats_url: str
    processes: list[ProcessState] = field(default_factory=list)

    def save(self, data_dir: Path) -> None:
        path = state_path(data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)

    @classmethod
    def load(cls, data_dir: Path) -> RunState | None:
        path = state_path(data_dir)
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        return cls(
            supervisor_pid=raw["supervisor_pid"],
            gateway_url=raw["gateway_url"],
            nats_url=raw["nats_url"],
            processes=[ProcessState(**p) for p in raw["processes"]],
        )


def state_path(data_dir: Path) -> Path:
    return data_dir / "run" / "state.json"


class DataDirLock:
    """Held for as long as `bazaar up` runs."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / "bazaar.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self._path, "a+")  # noqa: SIM115 - held open on purpose while we run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise DataDirBusy(holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def is_held_by_someone(self) -> bool:
        """True while a `bazaar up` (any process) holds the lock."""
        if not self._path.exists():
            return False
        with open(self._path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False


PRIVATE_UMASK = 0o077


def make_private(data_dir: Path) -> None:
    """Data dir 0700 and nothing in it readable by others, from now on and already there.

    Sets the umask of this process (so of every child it starts: SQLite files with their -wal
    and -shm, the NATS config and store, logs), then strips group and other bits from whatever
    an older data dir holds. Symbolic links are left alone, never followed.
    """
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    for root, directories, files in os.walk(data_dir):
        for name in (*directories, *files):
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode) and mode & PRIVATE_UMASK:
                os.chmod(path, stat.S_IMODE(mode) & ~PRIVATE_UMASK)
