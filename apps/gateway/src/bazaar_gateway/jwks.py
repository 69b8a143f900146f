"""How the gateway gets identity's public keys: straight from a live identity instance.

The gateway calls identity as itself (`service:gateway`), with an assertion it signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from multidict import CIMultiDict

from bazaar_chassis.caller import IDENTITY_HEADER, Caller
from bazaar_gateway.directory import ServiceDirectory
from bazaar_gateway.proxy import Upstreams
from bazaar_platform.assertions import AssertionSigner

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
        instance = self.directory.pick_for_gateway("identity", 1)
        reply = await self.upstreams.send(
            instance,
            method="GET",
            path_qs="/identity/1/jwks",
            headers=CIMultiDict(
                {
                    IDENTITY_HEADER: self.signer.assertion(
                        SELF, audience="identity", method="GET", path="/identity/1/jwks"
                    )
                }
            ),
            body=b"",
        )
        if reply.status != 200:
            raise RuntimeError(f"identity answered {reply.status} for its JWKS")
        document: dict[str, Any] = orjson.loads(reply.body)
        return document
