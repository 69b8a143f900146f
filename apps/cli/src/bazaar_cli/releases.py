"""Where one more instance of a service comes from: the working tree, or a git revision checked
out into a worktree of its own (under the data dir) with a virtualenv of its own.

The environment of a revision is `uv sync --frozen --no-dev --package bazaar-<service>` of that
revision's own lockfile into `<worktree>/.venv-<service>`, on the running interpreter: uv links
the wheels from its cache, so a service whose dependencies are cached installs in about 2 s,
and a revision that changed its lockfile gets exactly what it locked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PREPARE_TIMEOUT_SECONDS = 600.0
_SPEC = re.compile(r"(?P<service>[a-z][a-z0-9-]*)(@(?P<ref>[^:\s]+))?(:(?P<weight>[0-9]+))?")


class ReleaseFailed(Exception):
    """Said to the user in one line."""


@dataclass(frozen=True, slots=True)
class Launch:
    """How the supervisor starts one instance that `bazaar up` would not start by itself."""

    python: str  # the interpreter of the release's environment
    label: str  # what it is built from: "working tree" or "<ref> (<commit>)"
    cwd: str | None = None
    weight: int | None = None  # its registry weight; None: the default (100)

    def environment(self) -> dict[str, str]:
        env = {} if self.weight is None else {"BAZAAR_WEIGHT": str(self.weight)}
        if self.cwd is not None:
            env["VIRTUAL_ENV"] = str(Path(self.python).parent.parent)
        return env


@dataclass(frozen=True, slots=True)
class Declared:
    """One `--deploy service[@ref][:weight]` of `bazaar up`: an instance beside the default ones."""

    service: str
    ref: str | None = None
    weight: int | None = None

    @classmethod
    def parse(cls, spec: str) -> Declared:
        match = _SPEC.fullmatch(spec.strip())
        if match is None:
            raise ReleaseFailed(
                f"cannot read {spec!r}: write service[@git-ref][:weight], e.g. pricing@v1.2:10"
            )
        weight = match["weight"]
        return cls(match["service"], match["ref"], int(weight) if weight is not None else None)


def working_tree(weight: int | None) -> Launch:
    """An instance of the code `bazaar` itself runs from."""
    return Launch(python=sys.executable, label="working tree", weight=weight)


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - git with arguments we built
            ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, as a user runs it
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    except FileNotFoundError as exc:
        raise ReleaseFailed("git is needed to deploy another revision") from exc
    except subprocess.CalledProcessError as exc:
        raise ReleaseFailed(f"git {' '.join(args)}: {exc.stderr.strip()}") from exc
    return done.stdout.strip()


def repository(start: Path) -> Path:
    """The git checkout holding `start` (the project whose revisions are deployed)."""
    return Path(_git(start, "rev-parse", "--show-toplevel"))


def _uv() -> list[str]:
    """The uv that runs us (`uv run` says where, in $UV), else uv on the PATH, else uv as the
    project's scripts run it (`python3 -m uv`, the system's python3, not this virtualenv's)."""
    candidates = [[os.environ.get("UV", "")], [shutil.which("uv") or ""]]
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidates.append([os.path.join(directory, "python3"), "-m", "uv"])
    for command in candidates:
        if command[0] and os.access(command[0], os.X_OK) and _answers(command):
            return command
    raise ReleaseFailed("uv is needed to deploy another revision (pip install uv)")


def _answers(command: list[str]) -> bool:
    try:
        subprocess.run(  # noqa: S603 - a uv we found, asked its version
            [*command, "--version"], capture_output=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def _sync(worktree: Path, service: str, venv: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["UV_PROJECT_ENVIRONMENT"] = str(venv)  # never the caller's own environment
    command = [
        *_uv(),
        *("sync", "--frozen", "--no-dev", "--quiet", "--package", f"bazaar-{service}"),
        *("--python", sys.executable),
    ]
    try:
        subprocess.run(  # noqa: S603 - uv with arguments we built
            command,
            cwd=worktree,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=PREPARE_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as exc:
        raise ReleaseFailed(f"installing bazaar-{service} at {worktree} took too long") from exc
    except subprocess.CalledProcessError as exc:
        output = (exc.stderr or exc.stdout).strip().splitlines()[-3:]
        raise ReleaseFailed(f"cannot install bazaar-{service} at {worktree}: {output}") from exc


def revision(*, repo: Path, ref: str, service: str, data_dir: Path, weight: int | None) -> Launch:
    """`service` as of `ref`: its worktree `<data dir>/releases/<commit>` and its own venv."""
    commit = _git(repo, "rev-parse", "--verify", f"{ref}^{{commit}}")
    worktree = (data_dir / "releases" / commit[:12]).resolve()
    if not (worktree / ".git").exists():
        worktree.parent.mkdir(parents=True, exist_ok=True)
        _git(repo, "worktree", "add", "--detach", "--force", str(worktree), commit)
    if not (worktree / "services" / service).is_dir():
        raise ReleaseFailed(f"{ref} ({commit[:12]}) has no services/{service}")
    venv = worktree / f".venv-{service}"
    _sync(worktree, service, venv)
    return Launch(
        python=str(venv / "bin" / "python"),
        label=f"{ref} ({commit[:12]})",
        cwd=str(worktree),
        weight=weight,
    )


def prepare(
    *, service: str, ref: str | None, weight: int | None, data_dir: Path, repo: Path | None = None
) -> Launch:
    """The launch of one more `service` instance: from `ref`, else from the working tree."""
    if ref is None:
        return working_tree(weight)
    return revision(
        repo=repo or repository(Path.cwd()),
        ref=ref,
        service=service,
        data_dir=data_dir,
        weight=weight,
    )
