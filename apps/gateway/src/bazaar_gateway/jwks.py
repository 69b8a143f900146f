"""How the gateway gets identity's public keys: straight from a live identity instance.

The gateway calls identity as itself (`service:gateway`), with an assertion it signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bazaar_chassis.caller import Caller
from bazaar_gateway.directory import ServiceDirectory
from bazaar_gateway.identity_calls import get_from_identity
from bazaar_gateway.proxy import Upstreams
from bazaar_platform.assertions import AssertionSigner

JWKS_PATH = "/identity/1/jwks"
SELF = Caller(
    subject="service:gateway", kind="service", organization="bazaar", roles=("service:gateway",)
)


@dataclass
class IdentityJwks:
    """Fetches identity's public keys straight from a live instance, as the gateway itself."""

    directory: ServiceDirectory
    upstreams: Upstreams
    signer: AssertionSigner

    async def __call__(self) -> dict[str, Any]:
        document: dict[str, Any] = await get_from_identity(
            JWKS_PATH,
            caller=SELF,
            directory=self.directory,
            upstreams=self.upstreams,
            signer=self.signer,
        )
        return document
