"""Identity API v1: tokens, the JWKS, key rotation, users, organizations and service clients.

The gateway's policy decides who may call what, and identity checks again for everything that
hands out power (users, service clients, keys, revocations: admins only, see authority.py), so
a too-open policy or a replayed request gains nothing. The routes parse, call a use case, answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from bazaar_chassis import CallerDep, ReadsDep, Text, UnitsDep
from bazaar_identity import domain
from bazaar_identity.api import sessions
from bazaar_identity.api.token_request import (
    openapi_request_body,
    read_token_request,
    required,
)
from bazaar_identity.context import IdentityDep
from bazaar_identity.domain import NO_STORE, InvalidRequest, Organization, User
from bazaar_identity.tokens import TOKEN_TYPE, IssuedToken
from bazaar_identity.use_cases import accounts, clients, grants, signing

router = APIRouter()


def client_address(request: Request) -> str | None:
    """The client's address as the gateway saw it (it overwrites X-Forwarded-For), else the
    peer's; only requests that came through the gateway get this far."""
    forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    return forwarded or (request.client.host if request.client else None)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = TOKEN_TYPE
    expires_in: int = Field(description="seconds until the token expires")

    @classmethod
    def of(cls, issued: IssuedToken) -> TokenOut:
        return cls(
            access_token=issued.access_token,
            token_type=issued.token_type,
            expires_in=issued.expires_in,
        )


class Jwks(BaseModel):
    keys: list[dict[str, str]]


class RotatedKey(BaseModel):
    kid: str = Field(description="the new active key; the previous one is retiring")


# The domain's own rules, in the schema too (the domain still says what is wrong in its words).
Role = Annotated[str, Field(json_schema_extra={"pattern": domain.ROLE_PATTERN})]


class UserCreate(BaseModel):
    email: str = Field(
        max_length=254,
        json_schema_extra={"pattern": domain.EMAIL_SCHEMA_PATTERN},
        examples=["jane@example.com"],
    )
    password: str = Field(
        max_length=domain.MAX_PASSWORD_LENGTH,
        json_schema_extra={"minLength": domain.MIN_PASSWORD_LENGTH, "pattern": r"\S"},
        description=f"at least {domain.MIN_PASSWORD_LENGTH} characters, not only blanks",
    )
    name: Text = Field(
        max_length=200,
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
        description="1 to 200 characters, not only blanks",
    )
    organization: str = Field(
        max_length=63,
        json_schema_extra={"pattern": domain.ORGANIZATION_PATTERN},
        examples=["public"],
    )
    roles: list[Role] = Field(max_length=20, examples=[["customer"]])


class MembershipOut(BaseModel):
    organization: str
    role: str


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    version: int
    created_at: datetime
    updated_at: datetime
    memberships: list[MembershipOut]

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            version=user.version,
            created_at=user.created_at,
            updated_at=user.updated_at,
            memberships=[
                MembershipOut(organization=m.organization, role=m.role)
                for m in sorted(user.memberships)
            ],
        )


class OrganizationOut(BaseModel):
    key: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, organization: Organization) -> OrganizationOut:
        return cls(key=organization.key, name=organization.name, created_at=organization.created_at)


class OrganizationList(BaseModel):
    items: list[OrganizationOut]


class ClientCreate(BaseModel):
    client_id: str = Field(
        max_length=64,
        json_schema_extra={"pattern": domain.ROLE_PATTERN},
        examples=["cart"],
        description="the service's name",
    )
    organization: str | None = Field(
        default=None,
        max_length=63,
        json_schema_extra={"pattern": domain.ORGANIZATION_PATTERN},
        examples=["bazaar"],
    )
    roles: list[Role] | None = Field(
        default=None, max_length=20, description="default: ['service:<client_id>']"
    )


class ClientCreated(BaseModel):
    client_id: str
    client_secret: str = Field(description="shown once; only its hash is stored")


@router.post(
    "/token",
    openapi_extra=openapi_request_body(),
    responses={400: {"description": "invalid_request / unsupported_grant_type"}},
)
async def token(
    request: Request, response: Response, units: UnitsDep, reads: ReadsDep, identity: IdentityDep
) -> TokenOut:
    """OAuth2 token endpoint: `password` (people) and `client_credentials` (services)."""
    fields = await read_token_request(request)
    grant_type = fields.get("grant_type")
    if grant_type is None:
        raise InvalidRequest("grant_type is missing; use 'password' or 'client_credentials'")
    if grant_type == "password":
        username, password = required(fields, "username", "password", grant="password")
        issued = await grants.password_grant(
            units=units,
            reads=reads,
            passwords=identity.passwords,
            keyring=identity.keyring,
            username=username,
            password=password,
            organization=fields.get("organization"),
            address=client_address(request),
            clock=identity.clock,
        )
    elif grant_type == "client_credentials":
        client_id, client_secret = required(
            fields, "client_id", "client_secret", grant="client_credentials"
        )
        issued = await grants.client_credentials_grant(
            reads=reads,
            keyring=identity.keyring,
            client_id=client_id,
            client_secret=client_secret,
            clock=identity.clock,
        )
    else:
        raise domain.UnsupportedGrantType(grant_type)
    response.headers.update(NO_STORE)
    return TokenOut.of(issued)


@router.get("/jwks")
async def jwks(reads: ReadsDep, identity: IdentityDep) -> Jwks:
    """The public keys that verify identity's tokens: the active key and those retiring."""
    keys = await signing.published_keys(reads=reads, keyring=identity.keyring, clock=identity.clock)
    return Jwks(keys=keys)


@router.post("/keys/rotate")
async def rotate_keys(units: UnitsDep, identity: IdentityDep, caller: CallerDep) -> RotatedKey:
    """Sign with a new key from now on; tokens signed before stay valid until they expire."""
    kid = await signing.rotate_keys(
        units=units, keyring=identity.keyring, by=caller, clock=identity.clock
    )
    return RotatedKey(kid=kid)


@router.post("/users", status_code=201)
async def create_user(
    body: UserCreate, units: UnitsDep, reads: ReadsDep, identity: IdentityDep, caller: CallerDep
) -> UserOut:
    user = await accounts.register_user(
        units=units,
        reads=reads,
        passwords=identity.passwords,
        by=caller,
        email=body.email,
        password=body.password,
        name=body.name,
        organization=body.organization,
        roles=body.roles,
        clock=identity.clock,
    )
    return UserOut.of(user)


@router.get("/users/me")
async def get_me(reads: ReadsDep, caller: CallerDep) -> UserOut:
    """The signed-in user's own account."""
    return UserOut.of(await accounts.get_user(reads=reads, by=caller, user_id=caller.subject))


@router.get("/users/{user_id}")
async def get_user(user_id: str, reads: ReadsDep, caller: CallerDep) -> UserOut:
    """An account: its owner may read it, and administrators may read any (checked here, not
    only at the gateway: the gateway cannot know whose account an id is)."""
    return UserOut.of(await accounts.get_user(reads=reads, by=caller, user_id=user_id))


@router.get("/organizations")
async def list_organizations(reads: ReadsDep, caller: CallerDep) -> OrganizationList:
    organizations = await accounts.list_organizations(reads=reads, by=caller)
    return OrganizationList(items=[OrganizationOut.of(o) for o in organizations])


@router.post("/clients", status_code=201)
async def create_client(
    body: ClientCreate,
    response: Response,
    units: UnitsDep,
    identity: IdentityDep,
    caller: CallerDep,
) -> ClientCreated:
    """Register a service client; its generated secret is in this reply and nowhere else."""
    client, secret = await clients.create_client(
        units=units,
        by=caller,
        client_id=body.client_id,
        organization=body.organization,
        roles=body.roles,
        clock=identity.clock,
    )
    response.headers.update(NO_STORE)
    return ClientCreated(client_id=client.client_id, client_secret=secret)


router.include_router(sessions.router)
