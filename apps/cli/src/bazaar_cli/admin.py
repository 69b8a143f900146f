"""`bazaar admin create`: the first administrator of a running platform (production mode).

Identity owns its accounts (M2), so the CLI does not write identity's database: it sends the
one-time bootstrap token from `<data dir>/secrets` through the gateway to identity, which creates
the account only while no administrator exists. The password comes from a prompt or stdin.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from bazaar_cli.state import DataDirLock, RunState
from bazaar_client import ApiProblem, BazaarClient
from bazaar_client.models.identity import UserOut

BOOTSTRAP_TOKEN_FILE = Path("secrets") / "identity-bootstrap-token"


class AdminCreateFailed(Exception):
    """Said to the user in one line."""


def create_first_admin(
    *, data_dir: Path, email: str, password: str, organization: str, name: str
) -> UserOut:
    """The created account (identity's reply); AdminCreateFailed with the reason otherwise."""
    state = RunState.load(data_dir)
    if state is None or not DataDirLock(data_dir).is_held_by_someone():
        raise AdminCreateFailed(
            f"nothing is running on {data_dir.resolve()}: start `bazaar up` first"
        )
    token_file = data_dir / BOOTSTRAP_TOKEN_FILE
    if not token_file.exists():
        raise AdminCreateFailed(f"no bootstrap token in {token_file}")
    return asyncio.run(
        _bootstrap(
            state.gateway_url,
            bootstrap_token=token_file.read_text().strip(),
            email=email,
            password=password,
            organization=organization,
            name=name,
        )
    )


async def _bootstrap(gateway_url: str, **account: str) -> UserOut:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            return await BazaarClient(session, gateway_url).bootstrap_admin(**account)
    except ApiProblem as problem:
        raise AdminCreateFailed(f"identity refused ({problem.status}): {problem.detail}") from None
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise AdminCreateFailed(
            f"the platform could not be reached at {gateway_url}: {exc}"
        ) from exc
