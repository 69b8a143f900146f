"""`POST /identity/1/bootstrap`: the first admin, for the holder of the bootstrap token only.

Open to guests at the gateway; identity itself checks the token and that no admin exists yet.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, SecretStr

from bazaar_chassis import ReadsDep, Text, UnitsDep
from bazaar_identity import domain
from bazaar_identity.api.v1 import UserOut
from bazaar_identity.context import IdentityDep
from bazaar_identity.domain import NO_STORE
from bazaar_identity.use_cases import accounts

router = APIRouter()


class BootstrapRequest(BaseModel):
    bootstrap_token: SecretStr = Field(description="<data dir>/secrets/identity-bootstrap-token")
    email: str = Field(
        max_length=254,
        json_schema_extra={"pattern": domain.EMAIL_SCHEMA_PATTERN},
        examples=["ops@example.com"],
    )
    password: SecretStr = Field(description=f"at least {domain.MIN_PASSWORD_LENGTH} characters")
    name: Text = Field(max_length=200, default="Administrator")
    organization: str = Field(max_length=63, default=domain.PLATFORM_ORGANIZATION)


@router.post("/bootstrap", status_code=201, responses={403: {}, 409: {}})
async def create_first_admin(
    body: BootstrapRequest,
    response: Response,
    units: UnitsDep,
    reads: ReadsDep,
    identity: IdentityDep,
) -> UserOut:
    """Create the first administrator; refused (409) once any administrator exists."""
    user = await accounts.first_admin(
        units=units,
        reads=reads,
        passwords=identity.passwords,
        expected_token=identity.settings.bootstrap_token,
        token=body.bootstrap_token.get_secret_value(),
        email=body.email,
        password=body.password.get_secret_value(),
        name=body.name,
        organization=body.organization,
        clock=identity.clock,
    )
    response.headers.update(NO_STORE)
    return UserOut.of(user)
