"""Users, organizations and service clients: the rules, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bazaar_chassis import Forbidden, InvalidInput
from bazaar_identity.domain import (
    InvalidClientId,
    InvalidEmail,
    InvalidRole,
    Membership,
    NoRoles,
    NotAMember,
    UnknownOrganization,
    WeakPassword,
    choose_organization,
    new_service_client,
    new_user,
    normalize_email,
    register,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def a_registration(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "email": "Jane@Example.com",
        "password": "a long enough secret",
        "name": " Jane ",
        "organization": "public",
        "roles": ["customer"],
    }
    return {**fields, **changes}


def test_an_email_is_kept_trimmed_and_lower_case() -> None:
    assert normalize_email("  Jane.Doe+shop@Example.COM ") == "jane.doe+shop@example.com"


@pytest.mark.parametrize(
    "email", ["", "jane", "jane@", "@example.com", "jane@example", "ja ne@example.com", "a@b@c.de"]
)
def test_an_invalid_email_is_refused_with_the_address_in_the_message(email: str) -> None:
    with pytest.raises(InvalidEmail, match="not a valid email address"):
        normalize_email(email)


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "at least 10"), (" " * 12, "only blanks"), ("x" * 1025, "at most 1024")],
)
def test_a_weak_password_is_refused_with_the_rule(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword, match=reason):
        register(**a_registration(password=password))  # type: ignore[arg-type]


def test_a_registration_is_canonical_and_keeps_no_password() -> None:
    registration = register(**a_registration(roles=["customer", "customer", "buyer"]))  # type: ignore[arg-type]
    assert (registration.email, registration.name) == ("jane@example.com", "Jane")
    assert registration.roles == ("buyer", "customer")
    assert not hasattr(registration, "password")


@pytest.mark.parametrize(
    ("roles", "error"),
    [([], NoRoles), (["service:cart"], InvalidRole), (["Admin"], InvalidRole)],
)
def test_a_person_needs_a_plain_role_and_never_a_service_role(
    roles: list[str], error: type[InvalidInput]
) -> None:
    with pytest.raises(error):
        register(**a_registration(roles=roles))  # type: ignore[arg-type]


def test_an_impossible_organization_key_is_an_unknown_organization() -> None:
    with pytest.raises(UnknownOrganization, match="GET /organizations"):
        register(**a_registration(organization="No Such Org!"))  # type: ignore[arg-type]


def test_a_new_user_starts_at_version_one_with_one_membership_per_role() -> None:
    registration = register(**a_registration(roles=["customer", "buyer"]))  # type: ignore[arg-type]
    user = new_user(registration, id="u1", password_hash="$argon2id$...", now=NOW)
    assert user.version == 1
    assert user.memberships == (Membership("public", "buyer"), Membership("public", "customer"))


MEMBER_OF_TWO = [
    Membership("public", "customer"),
    Membership("acme", "merchandiser"),
    Membership("acme", "buyer"),
]


def test_without_a_request_the_first_organization_by_key_is_chosen() -> None:
    assert choose_organization(MEMBER_OF_TWO, None) == ("acme", ["buyer", "merchandiser"])


def test_a_requested_organization_gets_only_the_roles_held_there() -> None:
    assert choose_organization(MEMBER_OF_TWO, "public") == ("public", ["customer"])


def test_asking_for_an_organization_one_is_not_a_member_of_is_forbidden() -> None:
    with pytest.raises(NotAMember, match="'bazaar'") as refused:
        choose_organization(MEMBER_OF_TWO, "bazaar")
    assert isinstance(refused.value, Forbidden)
    assert refused.value.error == "invalid_scope"


def test_someone_without_any_membership_gets_no_token() -> None:
    with pytest.raises(NotAMember, match="any organization"):
        choose_organization([], None)


def test_a_service_client_defaults_to_its_own_service_role_in_the_platform_organization() -> None:
    client = new_service_client(client_id="cart", secret_hash="h", now=NOW)
    assert (client.organization, client.roles, client.subject) == (
        "bazaar",
        ("service:cart",),
        "service:cart",
    )


def test_a_service_client_may_be_given_other_roles_and_organization() -> None:
    client = new_service_client(
        client_id="importer", secret_hash="h", now=NOW, organization="acme", roles=["merchandiser"]
    )
    assert (client.organization, client.roles) == ("acme", ("merchandiser",))


@pytest.mark.parametrize("client_id", ["", "Cart", "cart service", "-cart", "x" * 65])
def test_a_client_id_must_look_like_a_service_name(client_id: str) -> None:
    with pytest.raises(InvalidClientId):
        new_service_client(client_id=client_id, secret_hash="h", now=NOW)
