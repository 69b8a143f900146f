"""POST /token: password and client-credentials grants, verified the way the gateway will."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from bazaar_chassis.testing import assert_problem
from bazaar_identity.settings import IdentitySettings

Login = Callable[..., Awaitable[httpx.Response]]
TOKEN = "/identity/1/token"


@pytest.mark.parametrize(
    ("email", "organization", "roles"),
    [
        ("admin@bazaar.test", "bazaar", ["admin"]),
        ("jenn@bazaar.test", "bazaar", ["marketing"]),
        ("merch@bazaar.test", "bazaar", ["merchandiser"]),
        ("shopper@bazaar.test", "public", ["customer"]),
        ("shopper2@bazaar.test", "public", ["customer"]),
        ("buyer@acme.test", "acme", ["merchandiser"]),
    ],
)
async def test_each_demo_account_gets_a_token_with_its_organization_and_roles(
    client: httpx.AsyncClient,
    login: Login,
    verify: Callable[[httpx.AsyncClient, str], Awaitable[dict[str, object]]],
    email: str,
    organization: str,
    roles: list[str],
) -> None:
    reply = await login(client, email)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    assert reply.headers["cache-control"] == "no-store"
    claims = await verify(client, body["access_token"])
    assert (claims["org"], claims["roles"], claims["email"]) == (organization, roles, email)
    assert claims["kind"] == "user"
    assert claims["exp"] == claims["iat"] + 900  # type: ignore[operator]
    user = await client.get(f"/identity/1/users/{claims['sub']}")
    assert user.json()["email"] == email


async def test_a_json_body_works_like_a_form(
    client: httpx.AsyncClient,
    verify: Callable[[httpx.AsyncClient, str], Awaitable[dict[str, object]]],
) -> None:
    reply = await client.post(
        TOKEN,
        json={
            "grant_type": "password",
            "username": "Jenn@Bazaar.test",
            "password": "bazaar-demo",
            "organization": "bazaar",
        },
    )
    assert reply.status_code == 200, reply.text
    claims = await verify(client, reply.json()["access_token"])
    assert (claims["email"], claims["roles"]) == ("jenn@bazaar.test", ["marketing"])


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    client: httpx.AsyncClient, login: Login
) -> None:
    wrong_password = await login(client, "admin@bazaar.test", "not-the-password")
    unknown_user = await login(client, "nobody@bazaar.test")
    not_an_email = await login(client, "admin")
    for reply in (wrong_password, unknown_user, not_an_email):
        problem = assert_problem(reply, 401)
        assert (problem["detail"], problem["error"]) == ("wrong email or password", "invalid_grant")
    assert "access_token" not in wrong_password.text


async def test_asking_for_an_organization_one_is_not_in_is_forbidden(
    client: httpx.AsyncClient, login: Login
) -> None:
    reply = await login(client, "buyer@acme.test", organization="bazaar")
    assert reply.status_code == 403
    assert reply.json()["error"] == "invalid_scope"
    assert "'bazaar'" in reply.json()["detail"]


async def test_an_unsupported_grant_type_is_a_400_naming_the_supported_ones(
    client: httpx.AsyncClient,
) -> None:
    reply = await client.post(TOKEN, data={"grant_type": "authorization_code", "code": "x"})
    assert reply.status_code == 400
    assert reply.json()["error"] == "unsupported_grant_type"
    assert "'password' or 'client_credentials'" in reply.json()["detail"]


@pytest.fixture
def clients_file(tmp_path: Path) -> Path:
    path = tmp_path / "clients.json"
    path.write_text(json.dumps({"cart": "cart-secret-from-the-file", "order": "order-secret-x"}))
    return path


@pytest.fixture
def identity_settings(clients_file: Path) -> IdentitySettings:
    return IdentitySettings(service_clients_file=clients_file)


async def test_a_service_from_the_clients_file_gets_a_service_token(
    client: httpx.AsyncClient,
    verify: Callable[[httpx.AsyncClient, str], Awaitable[dict[str, object]]],
) -> None:
    reply = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "cart",
            "client_secret": "cart-secret-from-the-file",
        },
    )
    assert reply.status_code == 200, reply.text
    claims = await verify(client, reply.json()["access_token"])
    assert (claims["sub"], claims["kind"], claims["org"], claims["roles"]) == (
        "service:cart",
        "service",
        "bazaar",
        ["service:cart"],
    )
    assert "email" not in claims


async def test_client_credentials_may_come_in_a_basic_authorization_header(
    client: httpx.AsyncClient,
    verify: Callable[[httpx.AsyncClient, str], Awaitable[dict[str, object]]],
) -> None:
    reply = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=("order", "order-secret-x"),
    )
    assert reply.status_code == 200, reply.text
    assert (await verify(client, reply.json()["access_token"]))["sub"] == "service:order"


@pytest.mark.parametrize(
    ("client_id", "secret"), [("cart", "the-wrong-secret"), ("nobody", "cart-secret-from-the-file")]
)
async def test_a_wrong_client_secret_or_unknown_client_is_an_invalid_client(
    client: httpx.AsyncClient, client_id: str, secret: str
) -> None:
    reply = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert reply.status_code == 401
    assert reply.json()["error"] == "invalid_client"
    assert reply.headers["www-authenticate"].startswith("Basic")


async def test_a_created_client_gets_its_secret_once_and_can_use_it(
    client: httpx.AsyncClient,
    verify: Callable[[httpx.AsyncClient, str], Awaitable[dict[str, object]]],
) -> None:
    created = await client.post(
        "/identity/1/clients", json={"client_id": "importer", "organization": "acme"}
    )
    assert created.status_code == 201, created.text
    secret = created.json()["client_secret"]
    assert len(secret) >= 43
    again = await client.post("/identity/1/clients", json={"client_id": "importer"})
    assert again.status_code == 409
    assert "'importer'" in again.json()["detail"]
    reply = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": "importer", "client_secret": secret},
    )
    claims = await verify(client, reply.json()["access_token"])
    assert (claims["org"], claims["roles"]) == ("acme", ["service:importer"])
