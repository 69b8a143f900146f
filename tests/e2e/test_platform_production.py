"""`bazaar up --mode production` (issue 8 item 7): no demo accounts, no demo catalog, the first
admin made once with `bazaar admin create`, and an older data dir's loose file modes fixed."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from .conftest import BAZAAR, Platform, sign_in, start_platform

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "a long production password"


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("production") / "data"
    data_dir.mkdir(mode=0o755)
    (data_dir / "left-by-an-older-version.db").write_text("")
    (data_dir / "left-by-an-older-version.db").chmod(0o644)
    running = start_platform(data_dir, extra_args=("--mode", "production"))
    yield running
    running.stop()


def admin_create(platform: Platform, email: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BAZAAR, "admin", "create", "--email", email, "--data-dir", str(platform.data_dir)],
        input=ADMIN_PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def test_production_has_no_demo_accounts_and_no_demo_catalog(production: Platform) -> None:
    for email in ("admin@bazaar.test", "shopper@bazaar.test"):
        reply = httpx.post(
            f"{production.gateway}/identity/1/token",
            data={"grant_type": "password", "username": email, "password": "bazaar-demo"},
        )
        assert reply.status_code == 401, reply.text
    assert not (production.data_dir / "seeded").exists()
    assert "seeded the demo catalog" not in production.output.read_text()


def test_the_first_admin_is_created_once_and_may_then_operate(production: Platform) -> None:
    first = admin_create(production, "ops@example.com")
    assert first.returncode == 0, first.stdout + first.stderr
    assert ADMIN_PASSWORD not in first.stdout
    second = admin_create(production, "intruder@example.com")
    assert second.returncode == 1
    assert "bootstrap is closed" in second.stdout
    token = sign_in(production.gateway, "ops@example.com", ADMIN_PASSWORD)
    services = httpx.get(
        f"{production.gateway}/gateway/1/services", headers={"Authorization": f"Bearer {token}"}
    )
    assert services.status_code == 200
    assert "identity" in {s["name"] for s in services.json()["items"]}


def test_a_guessed_bootstrap_token_creates_nobody(production: Platform) -> None:
    reply = httpx.post(
        f"{production.gateway}/identity/1/bootstrap",
        json={"bootstrap_token": "guess", "email": "x@example.com", "password": "x" * 20},
    )
    assert reply.status_code in (403, 409), reply.text


def test_an_older_data_dir_is_made_private_on_start(production: Platform) -> None:
    data = production.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    older = data / "left-by-an-older-version.db"
    assert stat.S_IMODE(older.stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "nats" / "nats-server.conf").stat().st_mode) == 0o600


def test_anonymous_callers_learn_no_topology_in_production_either(production: Platform) -> None:
    with httpx.Client(base_url=production.gateway, timeout=10) as guest:
        assert guest.get("/readyz").json() == {"status": "ready"}
        assert guest.get("/metrics").status_code == 403
        assert guest.get("/nothing/1/here").status_code == 403
