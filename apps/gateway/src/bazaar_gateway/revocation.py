"""Revoked tokens, as identity announces them: the gateway stops accepting them within seconds.

Identity publishes `identity.token_revoked.v1` for a logout (one token, by `jti`) or an admin's
revocation of a subject (its tokens issued before `not_before`). Every gateway instance follows
the subject on NATS and loads identity's list of live revocations before it checks its first
token and again after every reconnect, so a revocation made while it was away is not missed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from bazaar_chassis.caller import Caller
from bazaar_gateway.directory import ServiceDirectory
from bazaar_gateway.identity_calls import get_from_identity
from bazaar_gateway.proxy import Upstreams
from bazaar_platform.assertions import AssertionSigner

REVOKED_SUBJECT = "bazaar.identity.token_revoked"
REVOCATIONS_PATH = "/identity/1/revocations"


@dataclass(frozen=True, slots=True)
class Revoked:
    jti: str | None
    subject: str | None
    not_before: int | None
    expires_at: float

    @classmethod
    def of(cls, data: dict[str, Any]) -> Revoked:
        not_before = data.get("not_before")
        return cls(
            jti=data.get("jti"),
            subject=data.get("subject"),
            not_before=int(not_before) if not_before is not None else None,
            expires_at=float(data["expires_at"]),
        )


def from_event(payload: bytes) -> Revoked:
    """The revocation in an `identity.token_revoked.v1` event (a CloudEvents JSON document)."""
    document = orjson.loads(payload)
    return Revoked.of(document["data"])


class RevocationList:
    """What is revoked now: token ids, and per subject the `iat` before which tokens are out."""

    def __init__(self) -> None:
        self.loaded = False
        self._tokens: dict[str, float] = {}  # jti -> until
        self._subjects: dict[str, tuple[int, float]] = {}  # sub -> (not_before, until)

    def add(self, revoked: Revoked) -> None:
        if revoked.jti:
            self._tokens[revoked.jti] = max(revoked.expires_at, self._tokens.get(revoked.jti, 0))
        if revoked.subject and revoked.not_before is not None:
            known = self._subjects.get(revoked.subject)
            if known is None or known[0] < revoked.not_before:
                self._subjects[revoked.subject] = (revoked.not_before, revoked.expires_at)

    def replace(self, everything: list[Revoked]) -> None:
        self._tokens.clear()
        self._subjects.clear()
        for revoked in everything:
            self.add(revoked)
        self.loaded = True

    def covers(self, *, jti: str | None, subject: str, issued_at: int) -> bool:
        if jti is not None and jti in self._tokens:
            return True
        by_subject = self._subjects.get(subject)
        return by_subject is not None and issued_at < by_subject[0]

    def prune(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self._tokens = {k: v for k, v in self._tokens.items() if v > now}
        self._subjects = {k: v for k, v in self._subjects.items() if v[1] > now}


RevocationsFetcher = Callable[[], Awaitable[list[Revoked]]]


@dataclass
class IdentityRevocations:
    """Fetches the live revocations straight from a live identity instance, as the gateway."""

    directory: ServiceDirectory
    upstreams: Upstreams
    signer: AssertionSigner
    caller: Caller

    async def __call__(self) -> list[Revoked]:
        listed = await get_from_identity(
            REVOCATIONS_PATH,
            caller=self.caller,
            directory=self.directory,
            upstreams=self.upstreams,
            signer=self.signer,
        )
        return [Revoked.of(item) for item in listed["items"]]
