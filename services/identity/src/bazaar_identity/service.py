"""Composition root of the identity service."""

from __future__ import annotations

from dataclasses import replace
from importlib.metadata import version
from pathlib import Path

from fastapi import APIRouter, FastAPI

from bazaar_chassis import Clock, Links, ServiceDefinition, ServiceSettings, create_app, utc_now
from bazaar_identity import events, service_clients
from bazaar_identity.api import bootstrap, v1
from bazaar_identity.context import IdentityContext
from bazaar_identity.settings import IdentitySettings, refuse_insecure
from bazaar_identity.startup import background_jobs, startup_steps
from bazaar_identity.store import IdentityStore

# Where a user's answers lead: read the user back (OpenAPI links).
LINKS = (
    Links(
        sources=("POST /identity/1/users", "GET /identity/1/users/me"),
        targets=("GET /identity/1/users/{user_id}",),
        parameters={"user_id": "$response.body#/id"},
    ),
)

DEFINITION = ServiceDefinition(
    name="identity",
    version=version("bazaar-identity"),
    description=(
        "Users, organizations, roles, memberships and service clients; issues the EdDSA-signed "
        "access tokens the gateway checks, and publishes their keys as a JWKS."
    ),
    apis={1: APIRouter(routes=[*v1.router.routes, *bootstrap.router.routes])},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    store=IdentityStore,
    links=LINKS,
)


def build_app(
    settings: ServiceSettings | None = None,
    identity_settings: IdentitySettings | None = None,
    *,
    clock: Clock = utc_now,
) -> FastAPI:
    """The identity app; raises InsecureConfiguration or ClientsFileInvalid before starting."""
    settings = settings or ServiceSettings()
    identity_settings = identity_settings or IdentitySettings()
    refuse_insecure(settings, identity_settings)
    client_secrets = (
        service_clients.load_clients_file(identity_settings.service_clients_file)
        if identity_settings.service_clients_file
        else {}
    )
    service_clients.refuse_insecure_secrets(client_secrets, mode=settings.mode)
    identity = IdentityContext.create(identity_settings, clock=clock)
    definition = replace(
        DEFINITION,
        on_startup=startup_steps(identity, client_secrets=client_secrets),
        background=background_jobs(identity),
    )
    app = create_app(definition, settings)
    app.state.identity = identity
    return app
