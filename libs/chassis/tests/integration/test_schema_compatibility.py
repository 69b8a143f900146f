"""Several releases on one schema: migrations go through Alembic's public API, and a release that
finds the schema migrated by a newer one starts if that schema is an expansion of its own and
refuses, in words, if a contract step it predates has run."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from bazaar_chassis import migrations
from bazaar_chassis.migrations import IncompatibleSchema, upgrade_to_heads

TESTBED = Path(__file__).parent / "testbed_migrations"

SECOND = '''"""Testbed, second step.

Revision ID: testbed_0002
Revises: testbed_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "testbed_0002"
down_revision = "testbed_0001"
branch_labels = None
depends_on = None
contracts = {contracts}


def upgrade() -> None:
    op.add_column("notes", sa.Column("colour", sa.String(20), nullable=True))
'''


def release(tmp_path: Path, name: str, *, second: str | None = None) -> Path:
    """The migrations folder of one release: the testbed's, plus maybe a second revision."""
    folder = tmp_path / name
    shutil.copytree(TESTBED, folder, ignore=shutil.ignore_patterns("__pycache__"))
    if second is not None:
        (folder / "0002_colour.py").write_text(second)
    return folder


def migrate(url: str, folder: Path) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            upgrade_to_heads(connection, [folder])
    finally:
        engine.dispose()


def heads(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in rows}
    finally:
        engine.dispose()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shared.db'}"


def test_the_runner_uses_only_alembics_public_api() -> None:
    assert "_upgrade_revs" not in inspect.getsource(migrations)


def test_an_older_release_starts_on_a_schema_a_newer_one_only_expanded(
    tmp_path: Path, url: str
) -> None:
    migrate(url, release(tmp_path, "old"))
    migrate(url, release(tmp_path, "new", second=SECOND.format(contracts=False)))
    assert heads(url) == {"chassis_0002", "testbed_0002"}
    migrate(url, release(tmp_path, "old-again"))  # a compatible newer schema: no error
    assert heads(url) == {"chassis_0002", "testbed_0002"}  # and nothing was undone


def test_an_older_release_refuses_in_words_a_schema_a_newer_one_contracted(
    tmp_path: Path, url: str
) -> None:
    migrate(url, release(tmp_path, "new", second=SECOND.format(contracts=True)))
    with pytest.raises(IncompatibleSchema, match="contract step \\('testbed_0002'\\)"):
        migrate(url, release(tmp_path, "old"))


def test_a_release_that_knows_the_contract_step_starts_on_it(tmp_path: Path, url: str) -> None:
    newer = SECOND.format(contracts=True)
    migrate(url, release(tmp_path, "new", second=newer))
    migrate(url, release(tmp_path, "new-again", second=newer))
    assert heads(url) == {"chassis_0002", "testbed_0002"}


def test_a_schema_from_a_release_that_recorded_nothing_is_refused_not_guessed(
    tmp_path: Path, url: str
) -> None:
    migrate(url, release(tmp_path, "new", second=SECOND.format(contracts=False)))
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM schema_readers"))
    engine.dispose()
    with pytest.raises(IncompatibleSchema, match="says nothing about which releases"):
        migrate(url, release(tmp_path, "old"))
