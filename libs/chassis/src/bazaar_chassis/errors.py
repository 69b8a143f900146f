"""The error types every service raises from its domain, each knowing its HTTP status.

Services subclass these (``class OutOfStock(Conflict)``); `problems.py` turns any of them into
one problem+json reply, so no route ever builds an error response by hand.

    DomainError            base, 400
    ├── InvalidInput       422  the request is well-formed but breaks a rule
    ├── NotFound           404  the resource does not exist
    ├── Conflict           409  the request clashes with the current state
    │   └── StaleVersion   409  optimistic concurrency: the caller's `version` is not the latest
    ├── Unauthorized       401  no valid credentials
    ├── Forbidden          403  credentials valid, action not allowed
    └── Unavailable        503  a dependency needed right now is unreachable

    ConfigurationError     not an HTTP error: the process refuses to start (one clear line)
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule said no; `detail` is shown to the caller, so make it useful."""

    status: int = 400
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        extra: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}  # more members of the problem object (e.g. an OAuth2 `error`)
        self.headers = headers or {}  # e.g. Retry-After, WWW-Authenticate

    @property
    def type_slug(self) -> str:
        """A stable, kebab-case name of the error type for the problem `type` URI."""
        name = type(self).__name__
        return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class StaleVersion(Conflict):
    title = "Stale version"

    def __init__(self, *, resource: str, expected: int, actual: int) -> None:
        super().__init__(
            f"{resource} is at version {actual}, the request was based on version {expected}; "
            "read it again and retry"
        )


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Unavailable(DomainError):
    status = 503
    title = "Service unavailable"


class ConfigurationError(Exception):
    """The process cannot run with these settings (e.g. demo secrets in production mode)."""
