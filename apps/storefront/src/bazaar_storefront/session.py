"""The shopper's session, held in one signed HttpOnly, SameSite=Lax cookie: their own token,
their cart, the CSRF token every form carries, and one message for the next page.

The cookie is signed (HMAC-SHA256), not encrypted: what it holds is the shopper's own.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import asdict, dataclass, field

from bazaar_platform.signed_cookie import SignedCookie

COOKIE = "bazaar_session"
MAX_AGE_SECONDS = 7 * 24 * 3600


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    token: str | None = None  # the shopper's bearer token from identity
    email: str | None = None
    cart_id: str | None = None
    cart_token: str | None = None  # a guest cart's token (signed-in carts need none)
    flash: str | None = None
    flash_kind: str = "info"
    issued_at: float = field(default_factory=time.time)

    @property
    def signed_in(self) -> bool:
        return self.token is not None

    def say(self, message: str, *, kind: str = "info") -> None:
        self.flash, self.flash_kind = message, kind

    def take_flash(self) -> tuple[str, str] | None:
        if self.flash is None:
            return None
        said = (self.flash, self.flash_kind)
        self.flash = None
        return said

    def sign_out(self) -> None:
        self.token = self.email = self.cart_id = self.cart_token = None
        self.csrf = secrets.token_urlsafe(24)  # a new session: a new CSRF token

    def csrf_ok(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf.encode())


class SessionCodec:
    """Turns a Session into a cookie value and back; a forged or stale cookie is no session."""

    def __init__(self, key: bytes) -> None:
        self._cookie = SignedCookie(key, max_age_seconds=MAX_AGE_SECONDS)

    def dump(self, session: Session) -> str:
        return self._cookie.dump(asdict(session))

    def load(self, value: str | None, *, now: float | None = None) -> Session | None:
        fields = self._cookie.load(value, now=now)
        if fields is None:
            return None
        try:
            return Session(**fields)
        except TypeError:
            return None
