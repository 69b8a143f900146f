"""Settings defaults and refusals; error types and their problem slugs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bazaar_chassis import Conflict, ServiceSettings, StaleVersion
from bazaar_chassis.problems import _describe_validation
from bazaar_chassis.testing.identity import assertion_key_for


def test_each_service_gets_its_own_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path, database_url=None)
    product = settings.database_url_for("product")
    pricing = settings.database_url_for("pricing")
    assert product.startswith("sqlite+aiosqlite:///")
    assert product.endswith("/product.db")
    assert product != pricing


def test_a_configured_database_url_wins() -> None:
    url = "postgresql+asyncpg://u:p@db/product"
    assert ServiceSettings(database_url=url).database_url_for("product") == url


def test_production_refuses_the_demo_client_secret() -> None:
    with pytest.raises(ValidationError, match="BAZAAR_CLIENT_SECRET"):
        ServiceSettings(mode="production", assertion_key=SecretStr(assertion_key_for("product")))


def test_production_refuses_to_run_without_an_assertion_key() -> None:
    with pytest.raises(ValidationError, match="BAZAAR_ASSERTION_KEY_FILE"):
        ServiceSettings(mode="production", client_secret="a-real-secret-of-our-own")


def test_error_types_name_their_problem_and_a_stale_version_says_what_to_do() -> None:
    stale = StaleVersion(resource="product A", expected=1, actual=3)
    assert isinstance(stale, Conflict)
    assert (stale.status, stale.type_slug) == (409, "stale-version")
    assert "read it again" in stale.detail


def test_validation_errors_name_the_field_and_malformed_json_is_a_400() -> None:
    status, detail, fields = _describe_validation(
        [{"type": "greater_than_equal", "loc": ("body", "quantity"), "msg": "must be >= 0"}]
    )
    assert (status, fields) == (422, [{"field": "quantity", "message": "must be >= 0"}])
    assert "quantity" in detail
    status, detail, _ = _describe_validation(
        [{"type": "json_invalid", "loc": ("body", 3), "msg": "x", "ctx": {"error": "EOF"}}]
    )
    assert (status, detail) == (400, "The request body is not valid JSON: EOF")
