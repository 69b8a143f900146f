"""Several releases of one service on a real `bazaar up`: a second git revision of pricing (made
here: a commit that bumps its release and adds a response header) deployed beside the running one,
both on one database and both taking traffic, with nothing else restarted; and the retirement
story: a client pinned to `/pricing/1/` keeps working until it stops, `bazaar retire pricing 1`
refuses until then, and afterwards `/pricing/1/` answers 404 naming the live majors."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import httpx
import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from prometheus_client.parser import text_string_to_metric_families

from bazaar_chassis.envelope import Event, stream_name
from bazaar_chassis.testing import assert_problem, eventually_sync, publish
from bazaar_cli.secrets import ensure_secrets
from bazaar_cli.versions import operations_token
from bazaar_gateway.canary import caller_point

from .conftest import BAZAAR, Platform, client, sign_in, start_platform

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HEADER = "Pricing-Revision"  # what the second revision adds to every reply
RELEASE = version("bazaar-pricing")  # the working tree's, which `bazaar up` runs
T = TypeVar("T")


def git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@bazaar.test",
         "-c", "commit.gpgsign=false", *args],
        cwd=cwd, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.strip()


def bazaar(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BAZAAR, *args, "--data-dir", str(platform.data_dir)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "250"},
    )  # fmt: skip


def _bump(match: re.Match[str]) -> str:
    major, minor, patch = match.group(1, 2, 3)
    return f'version = "{major}.{minor}.{int(patch) + 1}"'


@pytest.fixture(scope="module")
def revision(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(commit, pricing's release) of a second revision: this checkout's HEAD plus a commit that
    bumps the releases of pricing and inventory and adds a response header to pricing's replies."""
    tree = tmp_path_factory.mktemp("revision") / "tree"
    git("worktree", "add", "--detach", str(tree), "HEAD")
    pattern = r'^version = "(\d+)\.(\d+)\.(\d+)"'
    for service in ("inventory", "pricing"):  # a new release of each: its own version
        project = tree / "services" / service / "pyproject.toml"
        bumped = re.sub(pattern, _bump, project.read_text(), count=1, flags=re.M)
        project.write_text(bumped)
    release = re.search(r'^version = "(.+)"', bumped, flags=re.M)
    assert release is not None
    composition = tree / "services" / "pricing" / "src" / "bazaar_pricing" / "service.py"
    original = "    return create_app(DEFINITION, settings)\n"
    assert original in composition.read_text()
    composition.write_text(
        composition.read_text().replace(
            original,
            "    app = create_app(DEFINITION, settings)\n\n"
            '    @app.middleware("http")\n'
            "    async def revision(request, call_next):  # type: ignore[no-untyped-def]\n"
            "        response = await call_next(request)\n"
            f'        response.headers["{HEADER}"] = "second"\n'
            "        return response\n\n"
            "    return app\n",
        )
    )
    git("commit", "-qam", "pricing, inventory: a second release for the e2e test", cwd=tree)
    commit = git("rev-parse", "HEAD", cwd=tree)
    yield commit, release.group(1)
    git("worktree", "remove", "--force", str(tree))


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, revision: tuple[str, str]
) -> Iterator[Platform]:
    """A platform of this module's own (it retires a major), with one more pricing instance
    declared at weight 0 (`bazaar up --deploy`)."""
    running = start_platform(
        tmp_path_factory.mktemp("releases") / "data",
        extra_args=("--no-seed", "--deploy", "pricing:0"),
    )
    yield running
    running.stop()
    for worktree in (running.data_dir / "releases").glob("*"):
        git("worktree", "remove", "--force", str(worktree))


def subject_of(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def weight_between(low: float, high: float) -> int:
    """A weight for a second release (the first has 100, and is first by release) that puts the
    release boundary on [0, 1) half-way between the points `low` < `high`."""
    weight = max(1, round(100 / ((low + high) / 2) - 100))
    if not low < 100 / (100 + weight) <= high:
        pytest.skip("these two callers fall too close together to be split by any weight")
    return weight


def instances(platform: Platform, token: str, service: str) -> dict[str, str]:
    """Release → URL of each instance of `service` the gateway routes to now."""
    listing = httpx.get(
        f"{platform.gateway}/gateway/1/services", headers={"Authorization": f"Bearer {token}"}
    ).json()
    entries = [s["instances"] for s in listing["items"] if s["name"] == service]
    return {i["version"]: i["url"] for entry in entries for i in entry}


def pids(platform: Platform) -> set[tuple[str, int]]:
    state = json.loads((platform.data_dir / "run" / "state.json").read_text())
    return {(p["name"], p["pid"]) for p in state["processes"]}


async def as_operator(platform: Platform) -> Client:
    password = ensure_secrets(platform.data_dir.resolve()).nats_passwords["operator"]
    state = json.loads((platform.data_dir / "run" / "state.json").read_text())
    return await nats.connect(state["nats_url"], user="operator", password=password)


def price_events(platform: Platform, skus: set[str]) -> list[Event]:
    """Every `pricing.price_changed.v1` about `skus` in pricing's stream, read as the operator."""

    async def read() -> list[Event]:
        connection = await as_operator(platform)
        try:
            js = connection.jetstream()
            info = await js.stream_info(stream_name("pricing"))
            events = []
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                message = await js.get_msg(stream_name("pricing"), sequence)
                events.append(Event.from_json(message.data or b""))
        finally:
            await connection.close()
        return [e for e in events if e.type == "pricing.price_changed.v1" and e.subject in skus]

    return asyncio.run(read())


def consumed(platform: Platform, urls: dict[str, str]) -> dict[str, dict[str, float]]:
    """Each instance's `bazaar_events_consumed_total` by outcome, read from its own /metrics
    (which answers only the bearer of the scrape token, as the console scrapes it)."""
    scrape = {"Authorization": f"Bearer {operations_token(platform.data_dir)}"}
    counts: dict[str, dict[str, float]] = {}
    for release, url in urls.items():
        counts[release] = {}
        answer = httpx.get(f"{url}/metrics", headers=scrape)
        assert answer.status_code == 200, answer.text
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                if sample.name == "bazaar_events_consumed_total":
                    outcome = sample.labels["outcome"]
                    counts[release][outcome] = counts[release].get(outcome, 0) + sample.value
    return counts


def test_a_second_git_revision_of_pricing_runs_beside_the_first_on_one_database_and_both_serve(
    platform: Platform, revision: tuple[str, str]
) -> None:
    commit, release = revision
    users = ("merch@bazaar.test", "admin@bazaar.test")  # the two who may write prices
    tokens = {who: sign_in(platform.gateway, who) for who in users}
    points = {who: caller_point(f"pricing:{subject_of(t)}") for who, t in tokens.items()}
    first, second = sorted(points, key=points.__getitem__)  # first: the older release's caller
    weight = weight_between(points[first], points[second])
    before = pids(platform)

    deployed = bazaar(platform, "deploy", "pricing", "--ref", commit, "--weight", str(weight))
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert f"pricing release {release} ready" in deployed.stdout, deployed.stdout
    assert before <= pids(platform), "a deploy restarted something"
    admin = tokens["admin@bazaar.test"]
    eventually_sync(lambda: release in instances(platform, admin, "pricing"), timeout=15)

    skus = {who: f"REL-{uuid.uuid4().hex[:8]}" for who in tokens}
    served: dict[str, set[str]] = {who: set() for who in tokens}
    headers: dict[str, set[str | None]] = {who: set() for who in tokens}
    for who, token in tokens.items():
        with client(platform) as http:
            http.headers["Authorization"] = f"Bearer {token}"
            for amount in range(100, 110):  # ten writes each: ten price changes per SKU
                reply = http.put(
                    f"/pricing/2/prices/{skus[who]}",
                    json={"prices": [{"amount": amount, "currency": "USD"}]},
                )
                assert reply.status_code == 200, reply.text
                served[who].add(reply.headers["Bazaar-Served-By"])
                headers[who].add(reply.headers.get(HEADER))

    assert served == {first: {f"pricing/{RELEASE}"}, second: {f"pricing/{release}"}}, points
    assert headers == {first: {None}, second: {"second"}}
    with client(platform) as http:  # one database: each release reads what the other wrote
        http.headers["Authorization"] = f"Bearer {tokens[first]}"
        read = http.get(f"/pricing/2/prices/{skus[second]}")
        assert read.status_code == 200, read.text
        assert read.headers["Bazaar-Served-By"] == f"pricing/{RELEASE}"
        assert read.json()["prices"][0]["amount"] == 109

    # the two releases' outbox relays share one outbox: each change is published exactly once
    def all_published() -> list[Event] | None:
        found = price_events(platform, set(skus.values()))
        return found if len(found) >= 20 else None

    events = eventually_sync(
        all_published, timeout=15, message="the price changes never all reached the stream"
    )
    assert sorted((e.subject, e.sequence) for e in events) == sorted(
        (sku, n) for sku in skus.values() for n in range(1, 11)
    )

    shown = bazaar(platform, "versions", "pricing", "--window", "0")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    for expected in (RELEASE, release, str(weight)):
        assert expected in shown.stdout, (expected, shown.stdout)

    listing = httpx.get(
        f"{platform.gateway}/gateway/1/services",
        headers={"Authorization": f"Bearer {tokens['admin@bazaar.test']}"},
    ).json()
    idle = next(
        i["id"]
        for s in listing["items"]
        if s["name"] == "pricing"
        for i in s["instances"]
        if i["weight"] == 0  # the one `bazaar up --deploy pricing:0` declared
    )
    before = pids(platform)
    stopped = bazaar(platform, "undeploy", "pricing", idle)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    after = pids(platform)
    assert after < before
    assert len(before - after) == 1, "undeploy stopped more than one process"


def test_a_client_pinned_to_v1_keeps_working_and_v1_is_retired_only_once_it_stopped_calling(
    platform: Platform,
) -> None:
    sku = f"PIN-{uuid.uuid4().hex[:8]}"
    merch = client(platform, "merch@bazaar.test")
    written = merch.put(
        f"/pricing/2/prices/{sku}", json={"prices": [{"amount": 5, "currency": "USD"}]}
    )
    assert written.status_code == 200, written.text
    statuses: list[int] = []
    stop = threading.Event()

    def pinned() -> None:
        with client(platform, "merch@bazaar.test") as http:
            while not stop.is_set():
                statuses.append(http.get(f"/pricing/1/prices/{sku}").status_code)
                stop.wait(0.05)

    calling = threading.Thread(target=pinned, daemon=True)
    calling.start()
    try:
        eventually_sync(
            lambda: len(statuses) >= 5, timeout=15, message="the pinned client never called"
        )
        v2 = merch.get(f"/pricing/2/prices/{sku}")  # the successor is used meanwhile
        assert v2.status_code == 200
        assert v2.json()["prices"][0]["amount"] == 5
        refused = bazaar(platform, "retire", "pricing", "1", "--idle", "2")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "pricing v1 still receives traffic" in refused.stdout, refused.stdout
        assert "merch@bazaar.test" in refused.stdout, refused.stdout
    finally:
        stop.set()
        calling.join(10)
    assert set(statuses) == {200}, statuses  # the pinned client never noticed a thing

    def retired() -> bool:
        return bazaar(platform, "retire", "pricing", "1", "--idle", "2").returncode == 0

    eventually_sync(retired, timeout=30, interval=1, message="v1 was never retired")
    gone = merch.get(f"/pricing/1/prices/{sku}")
    assert_problem(gone, 404, "pricing v1 is retired; live majors: v2")
    assert merch.get(f"/pricing/2/prices/{sku}").status_code == 200
    merch.close()


def on_the_bus(platform: Platform, act: Callable[[JetStreamContext], Awaitable[T]]) -> T:
    """`act` on the running platform's bus, as its operator."""

    async def run() -> T:
        connection = await as_operator(platform)
        try:
            return await act(connection.jetstream())
        finally:
            await connection.close()

    return asyncio.run(run())


def recall(sku: str) -> Callable[[JetStreamContext], Awaitable[Event]]:
    """Publish `product.recalled` for `sku`, as the product service would."""

    async def send(js: JetStreamContext) -> Event:
        data = {"sku": sku, "reason": "e2e"}
        return await publish(js, "product.recalled.v1", subject=sku, data=data)

    return send


def test_two_releases_of_inventory_share_its_durable_and_each_event_is_applied_once(
    platform: Platform, revision: tuple[str, str]
) -> None:
    commit, _ = revision
    deployed = bazaar(platform, "deploy", "inventory", "--ref", commit)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    admin = sign_in(platform.gateway, "admin@bazaar.test")

    def both_routed() -> dict[str, str] | None:  # two releases, one instance each
        found = instances(platform, admin, "inventory")
        return found if len(found) == 2 else None

    urls = eventually_sync(both_routed, timeout=15)

    async def waiting(js: JetStreamContext) -> int:
        return (await js.consumer_info(stream_name("product"), "inventory")).num_waiting or 0

    # both releases pull from the one durable
    eventually_sync(lambda: on_the_bus(platform, waiting) >= 2, timeout=15)

    before = consumed(platform, urls)

    def applied(release: str, outcome: str = "processed") -> float:
        return consumed(platform, urls)[release].get(outcome, 0) - before[release].get(outcome, 0)

    def total(outcome: str) -> float:
        return sum(applied(release, outcome) for release in urls)

    sent: list[Event] = []
    for _ in range(40):  # one at a time, until both releases have applied some
        sku = f"REC-{uuid.uuid4().hex[:8]}"
        sent.append(on_the_bus(platform, recall(sku)))
        eventually_sync(lambda: total("processed") == len(sent), timeout=15)
        if all(applied(release) for release in urls):
            break
    assert all(applied(release) > 0 for release in urls), consumed(platform, urls)

    async def again(js: JetStreamContext) -> None:  # past JetStream's deduplication
        for event in sent:
            await js.publish(event.nats_subject, event.to_json())

    on_the_bus(platform, again)  # whichever release gets a copy, the shared inbox knows it
    eventually_sync(lambda: total("duplicate") == len(sent), timeout=15)
    assert total("processed") == len(sent)  # no event applied twice, by either release
