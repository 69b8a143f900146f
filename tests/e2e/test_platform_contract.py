"""The public API is what its OpenAPI documents say: served by the gateway, and fuzzed by
schemathesis against a real `bazaar up`, as one user per role, with every check (R3, M11).

docs/reliability.md records the command and the numbers of a run; BAZAAR_FUZZ_EXAMPLES and
BAZAAR_FUZZ_PHASES change how many cases and which phases (CI keeps the defaults).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Platform, sign_in, start_platform

pytestmark = pytest.mark.e2e

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
CONFIG = Path(__file__).parent / "schemathesis.toml"
EXAMPLES = os.environ.get("BAZAAR_FUZZ_EXAMPLES", "3")
ROLES = {  # one user per role; None: a guest, without a token
    "guest": None,
    "customer": "shopper@bazaar.test",
    "merchandiser": "merch@bazaar.test",
    "marketing": "jenn@bazaar.test",
    "admin": "admin@bazaar.test",
}
# The coverage phase (every boundary value of every schema) takes minutes as the admin alone:
# CI runs the others, BAZAAR_FUZZ_PHASES=examples,coverage,fuzzing,stateful runs them all.
PHASES = os.environ.get("BAZAAR_FUZZ_PHASES", "examples,fuzzing,stateful")
# Who creates what the documents' links lead from: their stateful runs must follow links.
CREATORS = ("customer", "merchandiser", "marketing")
LINKS_COVERED = re.compile(r"API Links:\s+(\d+) covered / (\d+) selected")
# Operations that end the caller's own session or the platform's trust in every token: fuzzing
# them would turn the rest of the run into 401s. Their own e2e tests cover them.
NOT_FUZZED = r"^/identity/1/(logout|revocations|keys/rotate)$"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of this module's own: the fuzzer writes, recalls and deletes whatever the
    documents' examples name (seeded SKUs included), which other tests must not share."""
    running = start_platform(tmp_path_factory.mktemp("e2e-contract") / "data")
    yield running
    running.stop()


def fuzz(platform: Platform, role: str, report: Path, *, phases: str) -> dict[str, Any]:
    """Run schemathesis's `phases` on the merged document as `role`; its JSON report."""
    user = ROLES[role]
    auth = ["-H", f"Authorization: Bearer {sign_in(platform.gateway, user)}"] if user else []
    command = [
        SCHEMATHESIS,
        f"--config-file={CONFIG}",
        "run",
        f"{platform.gateway}/openapi.json",
        "--checks=all",
        f"--max-examples={EXAMPLES}",
        f"--phases={phases}",
        f"--exclude-path-regex={NOT_FUZZED}",
        "--exclude-path-regex=openapi.json$",
        "--seed=13",
        "--workers=1",  # hypothesis's lambda descriptions are not thread-safe on Python 3.11
        "--request-timeout=10",
        "--suppress-health-check=all",
        "--report=json",
        f"--report-json-path={report}",
        *auth,
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert report.exists(), f"schemathesis wrote no report:\n{run.stdout}\n{run.stderr}"
    result: dict[str, Any] = json.loads(report.read_text())
    result["output"] = run.stdout[-20000:]
    return result


def test_guests_read_the_merged_document_and_each_services_own(platform: Platform) -> None:
    merged = httpx.get(f"{platform.gateway}/openapi.json", timeout=30).json()
    assert merged["x-unavailable"] == []
    assert "/catalog/1/categories/{key}/products" in merged["paths"]
    assert "/identity/1/token" in merged["paths"]
    assert merged["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
    ]
    catalog = httpx.get(f"{platform.gateway}/catalog/1/openapi.json", timeout=30).json()
    assert set(catalog["paths"]) <= set(merged["paths"])
    assert all(path.startswith("/catalog/1/") for path in catalog["paths"])
    operation = catalog["paths"]["/catalog/1/categories/{key}/products"]["get"]
    for status in ("401", "403", "404", "422", "429", "503", "504"):
        assert operation["responses"][status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }


@pytest.mark.parametrize("path", ["/catalog/9/openapi.json", "/no-such-service/1/openapi.json"])
def test_a_document_of_an_unknown_service_or_major_is_a_404_problem(
    platform: Platform, path: str
) -> None:
    reply = httpx.get(platform.gateway + path, timeout=30)
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"


def test_a_number_the_store_cannot_hold_is_a_422_not_a_500(platform: Platform) -> None:
    reply = httpx.get(
        f"{platform.gateway}/catalog/1/categories/drinks/products",
        params={"offset": "119172375283434868703232"},
        timeout=30,
    )
    assert reply.status_code == 422, reply.text
    assert "offset" in reply.json()["detail"]


def test_a_405_names_every_method_the_path_answers(platform: Platform) -> None:
    token = sign_in(platform.gateway, "merch@bazaar.test")
    reply = httpx.request(
        "POST",
        f"{platform.gateway}/product/1/products/COF-ETH-250",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET, PATCH"


@pytest.mark.parametrize("role", list(ROLES))
def test_schemathesis_finds_no_failure_as_any_role(
    platform: Platform, role: str, tmp_path: Path
) -> None:
    # The stateful phase runs on its own: after the other phases' random ids (404s), schemathesis
    # would all but stop following links, and its own token then cannot expire mid-run.
    stateless = ",".join(p for p in PHASES.split(",") if p != "stateful")
    runs = [fuzz(platform, role, tmp_path / f"{role}.json", phases=stateless)] if stateless else []
    if "stateful" in PHASES:
        runs.append(fuzz(platform, role, tmp_path / f"{role}-stateful.json", phases="stateful"))
    links = LINKS_COVERED.search(runs[-1]["output"]) if "stateful" in PHASES else None
    covered, selected = (int(links[1]), int(links[2])) if links else (0, 0)
    print(  # the numbers docs/reliability.md records
        f"\n{role}: {max(r['operations']['tested'] for r in runs)} operations, "
        f"{sum(r['test_cases']['generated'] for r in runs)} cases, "
        f"{covered}/{selected} links covered, "
        f"{sum(r['test_cases']['unique_failures'] for r in runs)} failures, "
        f"{sum(len(r['errors']) for r in runs)} errors"
    )
    for result in runs:
        assert result["operations"]["tested"] > 0
        assert result["failures"] == [], result["output"]
        assert result["errors"] == [], result["output"]
    if "stateful" in PHASES:
        [stateful] = [v for k, v in runs[-1]["phases"].items() if k.startswith("stateful")]
        assert stateful["status"] == "success", runs[-1]["output"]
        assert selected > 0, runs[-1]["output"]
        if role in CREATORS:  # they created something, then followed a link from it
            assert covered > 0, runs[-1]["output"]
