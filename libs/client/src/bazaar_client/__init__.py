"""A typed client of Bazaar's public API: what the platform's own tools and storefronts call,
through the gateway like any client. Replies are the pydantic models generated from the merged
OpenAPI document (`bazaar_client.models`, ./scripts/api-client); every error is an `ApiProblem`.
"""

from __future__ import annotations

from bazaar_client.api import ApiProblem, BazaarClient

__all__ = ["ApiProblem", "BazaarClient"]
