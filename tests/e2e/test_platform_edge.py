"""Issue 8 items 4, 5 and 8 on a real `bazaar up` (development mode): path tricks, the modes of
the data dir's files, and what an anonymous caller learns of the topology."""

from __future__ import annotations

import http.client
import json
import re
import stat
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import Platform, sign_in

pytestmark = pytest.mark.e2e

PATH_TRICKS = [
    "/pricing/1/%2E%2E/2/prices/COF-001",
    "/pricing/1/../2/prices/COF-001",
    "/pricing/1/./prices/COF-001",
    "/pricing/1/prices/%252F",
    "/pricing/1/prices/COF-001%3Fversion=2",
    "/pricing/1/prices/COF-001%23",
    "/pricing/1/prices/COF%25001",
    "/pricing/1/prices\\COF-001",
    "/pricing/1/prices/COF-001%00",
    "/pricing/1//prices/COF-001",
    "/identity/%C2%B2/jwks",
    "/identity/1/users/%2E",
    "/identity/1/users/me/",
    "/pricing/prices/COF-001?version=%C2%B2",
    "/pricing/1/prices/COF-001?version=2",
]


def raw_get(gateway: str, target: str, token: str | None = None) -> tuple[int, str, str]:
    """`GET target` sent byte for byte (http.client does not normalise); status, headers, body."""
    connection = http.client.HTTPConnection(urlsplit(gateway).netloc, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connection.request("GET", target, headers=headers)
        reply = connection.getresponse()
        return reply.status, str(reply.headers), reply.read().decode()
    finally:
        connection.close()


def internal_ports(platform: Platform) -> list[str]:
    state = json.loads((platform.data_dir / "run" / "state.json").read_text())
    return [str(urlsplit(p["url"]).port) for p in state["processes"] if p["name"] != "gateway"]


def mentioned(ports: list[str], text: str) -> list[str]:
    """The ports `text` names as numbers of their own: not digits inside a longer token, such
    as a request id (hex, so any five digits turn up in one now and then)."""
    return [port for port in ports if re.search(rf"(?<![0-9A-Za-z]){port}(?![0-9A-Za-z])", text)]


@pytest.mark.parametrize("target", PATH_TRICKS)
def test_each_path_trick_is_refused_with_400_for_guests_and_admins(
    platform: Platform, target: str
) -> None:
    admin = sign_in(platform.gateway, "admin@bazaar.test")
    ports = internal_ports(platform)
    for token in (None, admin):
        status, headers, body = raw_get(platform.gateway, target, token)
        assert status == 400, (target, status, body)
        assert "application/problem+json" in headers
        assert not mentioned(ports, headers + body), (target, headers, body)


def test_an_encoded_sku_reaches_the_service_as_sent_and_is_answered_without_a_redirect(
    platform: Platform,
) -> None:
    admin = sign_in(platform.gateway, "admin@bazaar.test")
    status, headers, body = raw_get(platform.gateway, "/pricing/1/prices/COF%2D001", admin)
    assert status == 200, body
    assert json.loads(body)["sku"] == "COF-001"
    assert "Location" not in headers


def test_the_data_dir_is_private_and_so_are_secrets_databases_and_the_nats_config(
    platform: Platform,
) -> None:
    data = platform.data_dir

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(data) == 0o700
    private = [
        *(data / "secrets").iterdir(),
        *data.glob("*.db"),
        *data.glob("*.db-wal"),
        *data.glob("*.db-shm"),
        data / "nats" / "nats-server.conf",
    ]
    assert len(list(data.glob("*.db"))) >= 6
    assert (data / "secrets" / "identity-key-passphrase").exists()
    loose = {str(p.relative_to(data)): oct(mode(p)) for p in private if mode(p) & 0o077}
    assert not loose
    everything = [p for p in data.rglob("*") if not p.is_symlink()]
    assert not [p for p in everything if mode(p) & 0o077]


def test_the_signing_keys_are_not_sealed_with_the_public_demo_passphrase(
    platform: Platform,
) -> None:
    passphrase = (platform.data_dir / "secrets" / "identity-key-passphrase").read_text().strip()
    assert len(passphrase) >= 32
    assert passphrase != "bazaar-demo-key-passphrase"


def test_anonymous_callers_learn_no_service_names_versions_or_majors(platform: Platform) -> None:
    with httpx.Client(base_url=platform.gateway, timeout=10) as guest:
        assert guest.get("/readyz").json() == {"status": "ready"}
        assert guest.get("/metrics").status_code == 403
        forbidden = guest.get("/pricing/1/prices/COF-001")
        unknown = guest.get("/nothing/1/here")
        assert (unknown.status_code, forbidden.status_code) == (403, 403)
        assert unknown.json()["type"] == forbidden.json()["type"]
        wrong_major = guest.get("/catalog/9/categories/coffee/products")
        assert wrong_major.status_code == 404
        for reply in (unknown, wrong_major):
            for name in ("catalog", "pricing", "identity", "live majors", "127.0.0.1"):
                assert name not in reply.text.replace("/nothing/1/here", ""), reply.text
    admin = sign_in(platform.gateway, "admin@bazaar.test")
    detailed = httpx.get(
        f"{platform.gateway}/readyz", headers={"Authorization": f"Bearer {admin}"}
    ).json()
    assert "catalog" in detailed["services"]
