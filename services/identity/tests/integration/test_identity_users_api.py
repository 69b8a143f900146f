"""Users and organizations through the API, and every bad input answered as problem+json."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from bazaar_chassis import Caller
from bazaar_chassis.testing import EventProbe, assert_problem, identity_headers

Login = Callable[..., Awaitable[httpx.Response]]
Verify = Callable[[httpx.AsyncClient, str], Awaitable[dict[str, Any]]]
USERS = "/identity/1/users"


def a_user(**changes: Any) -> dict[str, Any]:
    return {
        "email": "Jane.Doe@Example.com",
        "password": "a long enough secret",
        "name": "Jane Doe",
        "organization": "public",
        "roles": ["customer"],
        **changes,
    }


async def test_a_registered_user_is_readable_announced_and_can_log_in(
    client: httpx.AsyncClient, event_probe: EventProbe, login: Login, verify: Verify
) -> None:
    created = await client.post(USERS, json=a_user())
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == "jane.doe@example.com"
    assert user["version"] == 1
    assert user["memberships"] == [{"organization": "public", "role": "customer"}]
    assert "password" not in created.text
    assert "argon2" not in created.text

    read = await client.get(f"{USERS}/{user['id']}")
    assert read.json() == user

    event = await event_probe.expect("identity.user_registered", subject=user["id"])
    assert event.type == "identity.user_registered.v1"
    assert event.sequence == 1
    assert event.data == {
        "id": user["id"],
        "email": "jane.doe@example.com",
        "name": "Jane Doe",
        "organization": "public",
        "roles": ["customer"],
    }

    token = await login(client, "JANE.DOE@example.com", "a long enough secret")
    claims = await verify(client, token.json()["access_token"])
    assert (claims["sub"], claims["org"], claims["roles"]) == (user["id"], "public", ["customer"])


async def test_the_demo_accounts_are_announced_like_any_registration(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    event = await event_probe.expect(
        "identity.user_registered", where=lambda e: e.data["email"] == "jenn@bazaar.test"
    )
    assert (event.data["organization"], event.data["roles"]) == ("bazaar", ["marketing"])


async def test_the_organizations_are_listed_by_key(client: httpx.AsyncClient) -> None:
    listed = await client.get("/identity/1/organizations")
    assert [o["key"] for o in listed.json()["items"]] == ["acme", "bazaar", "public"]


async def test_an_unknown_user_id_is_a_404(client: httpx.AsyncClient) -> None:
    reply = await client.get(f"{USERS}/no-such-user")
    assert reply.status_code == 404
    assert "'no-such-user'" in reply.json()["detail"]


JSON = {"content-type": "application/json"}


BAD_INPUT: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("malformed JSON", USERS, {"content": b'{"email": ', "headers": JSON}, 400, "not valid JSON"),
    ("a missing field", USERS, {"json": {"email": "a@b.co"}}, 422, "password: Field required"),
    ("a short password", USERS, {"json": a_user(password="short")}, 422, "at least 10"),
    ("a bad email", USERS, {"json": a_user(email="jane@")}, 422, "valid email address"),
    ("a duplicate email", USERS, {"json": a_user(email="Admin@Bazaar.test")}, 409, "already"),
    ("an unknown organization", USERS, {"json": a_user(organization="nope")}, 422, "'nope'"),
    ("a service role", USERS, {"json": a_user(roles=["service:x"])}, 422, "reserved"),
    ("no role", USERS, {"json": a_user(roles=[])}, 422, "at least one role"),
    ("a wrong type", USERS, {"json": a_user(roles="customer")}, 422, "roles"),
    ("a bad client id", "/identity/1/clients", {"json": {"client_id": "No!"}}, 422, "No!"),
    (
        "a client in an unknown organization",
        "/identity/1/clients",
        {"json": {"client_id": "cart", "organization": "nope"}},
        422,
        "'nope'",
    ),
    (
        "token: malformed JSON",
        "/identity/1/token",
        {"content": b"{grant_type", "headers": JSON},
        400,
        "not valid JSON",
    ),
    (
        "token: no grant type",
        "/identity/1/token",
        {"data": {"username": "admin@bazaar.test"}},
        400,
        "grant_type is missing",
    ),
    (
        "token: a missing password",
        "/identity/1/token",
        {"data": {"grant_type": "password", "username": "admin@bazaar.test"}},
        400,
        "missing: password",
    ),
    (
        "token: a missing client secret",
        "/identity/1/token",
        {"json": {"grant_type": "client_credentials", "client_id": "cart"}},
        400,
        "missing: client_secret",
    ),
    (
        "token: a plain text body",
        "/identity/1/token",
        {"content": b"grant_type=password", "headers": {"content-type": "text/plain"}},
        400,
        "application/x-www-form-urlencoded",
    ),
    (
        "token: a JSON array",
        "/identity/1/token",
        {"json": ["grant_type", "password"]},
        400,
        "JSON object",
    ),
    (
        "token: a number as password",
        "/identity/1/token",
        {"json": {"grant_type": "password", "username": "a@b.co", "password": 1234567890}},
        400,
        "'password' must be a string",
    ),
    (
        "token: a repeated parameter",
        "/identity/1/token",
        {
            "content": b"grant_type=password&grant_type=client_credentials",
            "headers": {"content-type": "application/x-www-form-urlencoded"},
        },
        400,
        "given 2 times",
    ),
]


@pytest.mark.parametrize(
    ("case", "path", "request_kwargs", "status", "in_detail"),
    [pytest.param(*row, id=row[0]) for row in BAD_INPUT],
)
async def test_bad_input_gets_a_problem_with_a_useful_detail_never_a_500(
    client: httpx.AsyncClient,
    case: str,
    path: str,
    request_kwargs: dict[str, Any],
    status: int,
    in_detail: str,
) -> None:
    reply = await client.post(path, **request_kwargs)
    assert reply.status_code == status, f"{case}: {reply.text}"
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["status"] == status
    assert in_detail in problem["detail"], f"{case}: {problem['detail']}"
    if path.endswith("/token"):
        assert problem["error"] == "invalid_request"


async def test_a_user_reads_only_their_own_account_and_an_admin_reads_any(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        USERS,
        json={
            "email": "owner@example.test",
            "password": "long-enough-pass",
            "name": "Owner",
            "organization": "public",
            "roles": ["customer"],
        },
    )
    owner_id = created.json()["id"]
    owner = Caller(subject=owner_id, kind="user", organization="public", roles=("customer",))
    stranger = Caller(
        subject="someone-else", kind="user", organization="public", roles=("customer",)
    )
    as_owner = identity_headers(owner)
    as_stranger = identity_headers(stranger)
    assert (await client.get(f"{USERS}/me", headers=as_owner)).json()["id"] == owner_id
    assert (await client.get(f"{USERS}/{owner_id}", headers=as_owner)).status_code == 200
    assert_problem(await client.get(f"{USERS}/{owner_id}", headers=as_stranger), 403, "own account")
    assert (await client.get(f"{USERS}/{owner_id}")).status_code == 200  # the client is an admin


@pytest.mark.each_database
async def test_a_role_with_a_trailing_newline_is_refused_and_no_user_is_made(
    client: httpx.AsyncClient,
) -> None:
    for role in ("c" * 64 + "\n", "customer\n"):  # past memberships.role's length, and within
        assert_problem(await client.post(USERS, json=a_user(roles=[role])), 422, "role")
    created = await client.post(USERS, json=a_user())  # the email is still free
    assert created.status_code == 201, created.text
    assert created.json()["memberships"] == [{"organization": "public", "role": "customer"}]


@pytest.mark.each_database
async def test_a_name_holding_a_nul_character_is_refused_and_no_user_is_made(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post(USERS, json=a_user(name="Jane\u0000Doe"))  # no NUL in PG text
    assert_problem(refused, 422, "name")
    created = await client.post(USERS, json=a_user())  # the email is still free
    assert created.status_code == 201, created.text


@pytest.mark.each_database
@pytest.mark.parametrize("field", ["jti", "subject"])
async def test_a_revocation_holding_a_nul_character_is_refused_naming_it_and_none_is_kept(
    client: httpx.AsyncClient, field: str
) -> None:
    revocations = "/identity/1/revocations"
    before = (await client.get(revocations)).json()
    refused = await client.post(revocations, json={field: "u-1\u0000"})  # no NUL in PG text
    assert_problem(refused, 422, field)
    assert (await client.get(revocations)).json() == before
