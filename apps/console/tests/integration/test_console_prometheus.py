"""Production metrics: Debian's real Prometheus, run with the shipped deploy/prometheus config
and rules, scrapes the same gateway as the console's own store; a console that reads Prometheus
shows the same SLO figures, request for request, over all time and over a recent window."""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from subprocess import STDOUT
from typing import Any

import httpx
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import eventually, serving
from bazaar_chassis.testing.apps import served_client
from bazaar_chassis.testing.identity import ADMIN
from bazaar_console.service import build_app

from .conftest import TOKEN, FakeGatewayMetrics

PROMETHEUS = shutil.which("prometheus")
SHIPPED = Path(__file__).parents[4] / "deploy" / "prometheus"
SCRAPE_SECONDS = 4
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None,
    reason="Debian's `prometheus` is not installed (./scripts/test installs it when run as root)",
)


def _configure(tmp_path: Path, *, gateway: str, console: str) -> Path:
    """The shipped prometheus.yml, pointed at this test's gateway, console and token."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    token_file = tmp_path / "operations-token"
    token_file.write_text(TOKEN)
    config = (SHIPPED / "prometheus.yml").read_text()
    for shipped, here in {
        "scrape_interval: 15s": f"scrape_interval: {SCRAPE_SECONDS}s",
        "refresh_interval: 15s": "refresh_interval: 1s",
        "/etc/bazaar/operations-token": str(token_file),
        "bazaar-rules.yml": str(SHIPPED / "bazaar-rules.yml"),
        "127.0.0.1:8000": gateway.removeprefix("http://"),
        "http://127.0.0.1:8100": console,
    }.items():
        assert shipped in config, f"the shipped prometheus.yml no longer says {shipped!r}"
        config = config.replace(shipped, here)
    (tmp_path / "prometheus.yml").write_text(config)
    return tmp_path / "prometheus.yml"


@asynccontextmanager
async def running_prometheus(tmp_path: Path, *, gateway: str, console: str) -> AsyncIterator[str]:
    """Debian's Prometheus with the shipped config and rules, until the block ends."""
    config = _configure(tmp_path, gateway=gateway, console=console)
    log = tmp_path / "prometheus.log"
    assert PROMETHEUS is not None
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            "--web.listen-address=127.0.0.1:0",  # the kernel picks; the log says which
            stdout=output,
            stderr=STDOUT,
        )
    try:

        async def listening() -> str | None:
            assert process.returncode is None, log.read_text()
            found = re.search(r'msg="Listening on" address=(\S+)', log.read_text())
            return f"http://{found.group(1)}" if found else None

        yield await eventually(listening, timeout=30, message="Prometheus never said its port")
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


async def _query(prometheus: str, query: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"{prometheus}/api/v1/query", params={"query": query})
    result: list[dict[str, Any]] = reply.json()["data"]["result"]
    return result


async def _figures(console: httpx.AsyncClient, window: float) -> dict[str, Any]:
    reply = await console.get("/console/1/slo", params={"window": window})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    return {"routes": body["routes"], "releases": body["releases"], "source": body["source"]}


def _same(prometheus: dict[str, Any], own: dict[str, Any]) -> bool:
    return (prometheus["routes"], prometheus["releases"]) == (own["routes"], own["releases"])


@asynccontextmanager
async def _console(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(build_app, settings) as app, served_client(app.url, ADMIN) as client:
        yield client


async def test_the_consoles_slo_figures_from_prometheus_agree_with_its_own_store(
    gateway: tuple[FakeGatewayMetrics, str],
    service_settings: ServiceSettings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    fake, gateway_url = gateway
    monkeypatch.setenv("BAZAAR_OPERATIONS_TOKEN", TOKEN)
    monkeypatch.setenv("BAZAAR_CONSOLE_SCRAPE_SECONDS", "3600")  # the own store: on each read
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    settings = service_settings.model_copy(
        update={"gateway_url": gateway_url, "metrics_token_sha256": digest}
    )
    for seconds in (0.003, 0.004, 0.004, 0.03, 0.2):
        fake.answer(200, seconds)
    fake.answer(500, 0.7)
    fake.answer(403, 0.0004, route="(refused)")
    async with _console(settings.model_copy(update={"instance_id": "own"})) as own:
        before = await _figures(own, 3600)
        scraped_at = time.time()
        own_url = str(own.base_url).rstrip("/")
        async with running_prometheus(tmp_path / "p", gateway=gateway_url, console=own_url) as url:
            monkeypatch.setenv("BAZAAR_CONSOLE_PROMETHEUS_URL", url)
            reader_settings = settings.model_copy(
                update={"instance_id": "reader", "data_dir": tmp_path / "reader"}
            )
            async with _console(reader_settings) as reader:

                async def all_time_agrees() -> bool:
                    return _same(await _figures(reader, 3600), before)

                await eventually(all_time_agrees, timeout=60, message="Prometheus never agreed")

                async def scraped_since() -> float | None:
                    found = await _query(url, 'timestamp(up{job="bazaar-gateway"})')
                    at = float(found[0]["value"][1]) if found else 0.0
                    return at if at > scraped_at else None

                # a recent window starts between two of Prometheus's scrapes, after the first
                # traffic: both sources must count only what came after
                boundary = await eventually(scraped_since, message="no scrape after the first")
                for seconds in (0.002, 0.06):
                    fake.answer(200, seconds)
                fake.answer(503, 0.01)  # a status neither source has seen before

                async def caught_up() -> dict[str, Any] | None:
                    found = await _figures(reader, 3600)
                    return found if sum(r["requests"] for r in found["releases"]) == 10 else None

                # the own store reads after Prometheus's scrape of the second traffic, so both
                # count it after the boundary
                prometheus_after = await eventually(caught_up, timeout=60, message="no catch-up")
                after = await _figures(own, 3600)
                start = boundary + SCRAPE_SECONDS / 2  # between two scrapes of Prometheus
                recent_own = await _figures(own, time.time() - start)
                recent_prometheus = await _figures(reader, time.time() - start)

                async def both_consoles_scraped() -> dict[str, str]:
                    found = await _query(url, 'up{job="bazaar-services"}')
                    up = {s["metric"]["bazaar_instance"]: s["value"][1] for s in found}
                    async with httpx.AsyncClient() as client:
                        targets = (await client.get(f"{url}/api/v1/targets")).json()
                    assert up == {"own": "1", "reader": "1"}, targets
                    return up

                services = await eventually(both_consoles_scraped, timeout=30)
                async with httpx.AsyncClient() as client:
                    rules = (await client.get(f"{url}/api/v1/rules")).json()

    assert (before["source"], recent_own["source"]) == ("console", "console")
    assert recent_prometheus["source"] == "prometheus"
    (cart,) = [r for r in after["releases"] if r["service"] == "cart"]
    assert (cart["requests"], cart["server_errors"]) == (10, 2)
    assert cart["by_status"] == {"200": 7, "403": 1, "500": 1, "503": 1}
    assert _same(prometheus_after, after)
    assert _same(recent_prometheus, recent_own)
    (recent,) = [r for r in recent_own["releases"] if r["service"] == "cart"]
    assert recent["by_status"] == {"200": 2, "503": 1}  # only what came after the boundary
    assert recent["availability"] == pytest.approx(2 / 3)
    assert None not in (recent["p50_ms"], recent["p99_ms"])
    # every registered instance was discovered through the console and scraped with the token
    assert services == {"own": "1", "reader": "1"}
    groups = rules["data"]["groups"]
    assert sum(len(g["rules"]) for g in groups) == 14
    assert [r for g in groups for r in g["rules"] if r["health"] == "err"] == []
