"""The gateway's own calls to identity (its public keys, its live revocations): a GET straight
to a live identity instance, with an assertion the gateway signs for that very request."""

from __future__ import annotations

from typing import Any

import orjson
from multidict import CIMultiDict

from bazaar_chassis.caller import IDENTITY_HEADER, Caller
from bazaar_gateway.directory import NoLiveInstance, ServiceDirectory
from bazaar_gateway.proxy import Upstreams
from bazaar_platform.assertions import AssertionSigner


async def get_from_identity(
    path: str,
    *,
    caller: Caller,
    directory: ServiceDirectory,
    upstreams: Upstreams,
    signer: AssertionSigner,
) -> Any:
    """The JSON identity answers at `path`. NoLiveInstance when no instance is registered (so the
    caller knows nothing was asked); RuntimeError for any answer but 200."""
    instance = directory.pick("identity", 1)
    if instance is None:
        raise NoLiveInstance("no identity instance is registered")
    assertion = signer.assertion(caller, audience="identity", method="GET", path=path)
    reply = await upstreams.send(
        instance,
        method="GET",
        path_qs=path,
        headers=CIMultiDict({IDENTITY_HEADER: assertion}),
        body=b"",
    )
    if reply.status != 200:
        raise RuntimeError(f"identity answered {reply.status} for {path}")
    return orjson.loads(reply.body)
