"""Alembic migrations run through Alembic's public API, with one env.py for every service.

Every service database holds two migration branches: the chassis's own tables (outbox, inbox,
schema_readers) and the service's tables. Each service ships only its `migrations/versions/`
folder; `upgrade_to_heads` applies every branch, after checking that this release can use the
schema it finds. Several releases share one schema (M4), so changes are expand/contract
(docs/architecture.md): an *expand* revision (new tables, nullable columns, indexes) leaves
the schema usable by older releases; a *contract* revision (drop, rename, a new NOT NULL) sets
`contracts = True` in its module, and from then on only releases that know it may start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util.exc import CommandError

from bazaar_chassis.errors import ConfigurationError

CHASSIS_VERSIONS = Path(__file__).parent / "versions"
_readers = sa.table("schema_readers", sa.column("head"), sa.column("oldest_reader"))


class IncompatibleSchema(ConfigurationError):
    """The database was migrated by a newer release in a way this release cannot use."""


def _config(sync_connection: Any, version_locations: list[Path]) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    locations = [CHASSIS_VERSIONS, *version_locations]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    config.attributes["connection"] = sync_connection
    return config


def _known(script: ScriptDirectory, revision: str) -> Script | None:
    try:
        return script.get_revision(revision)
    except CommandError:
        return None


def oldest_reader(script: ScriptDirectory, head: str) -> str | None:
    """The newest contract revision at or below `head` (None: every release can use it)."""
    for revision in script.iterate_revisions(head, "base"):
        if getattr(revision.module, "contracts", False):
            return revision.revision
    return None


def _check_newer_schema(sync_connection: Any, script: ScriptDirectory, unknown: list[str]) -> None:
    """Pass if every revision this release does not know leaves the schema usable by it."""
    rows = sync_connection.execute(
        sa.select(_readers.c.head, _readers.c.oldest_reader).where(_readers.c.head.in_(unknown))
    )
    readers = {row.head: row.oldest_reader for row in rows}
    for revision in unknown:
        if revision not in readers:
            raise IncompatibleSchema(
                f"the database schema is at revision {revision!r}, which this release does not "
                "know and which says nothing about which releases can use it; start a release "
                "that knows it"
            )
        needed = readers[revision]
        if needed is not None and _known(script, needed) is None:
            raise IncompatibleSchema(
                f"the database schema is at revision {revision!r}, migrated by a newer release "
                f"with a contract step ({needed!r}) this release predates; it cannot use this "
                "schema: run a release that includes that migration"
            )


def upgrade_to_heads(sync_connection: Any, version_locations: list[Path]) -> None:
    """Apply all pending revisions (chassis branch + the given folders) on `sync_connection`,
    or, on a schema a newer release has already moved on, check that this release can use it.

    Raises IncompatibleSchema (a ConfigurationError) when it cannot.
    """
    config = _config(sync_connection, version_locations)
    script = ScriptDirectory.from_config(config)
    current = MigrationContext.configure(sync_connection).get_current_heads()
    unknown = [r for r in current if _known(script, r) is None]
    if unknown:
        _check_newer_schema(sync_connection, script, unknown)
        behind = [r for r in current if r not in unknown and r not in script.get_heads()]
        if behind:
            raise IncompatibleSchema(
                "the database schema is newer than this release in one branch and older in "
                f"another (at {', '.join(behind)}); start the newest release first"
            )
        return
    command.upgrade(config, "heads")
    _record_readers(sync_connection, script)


def _record_readers(sync_connection: Any, script: ScriptDirectory) -> None:
    """Remember, for each head now in the database, which releases can use it."""
    heads = script.get_heads()
    sync_connection.execute(_readers.delete().where(_readers.c.head.in_(heads)))
    sync_connection.execute(
        _readers.insert(),
        [{"head": head, "oldest_reader": oldest_reader(script, head)} for head in heads],
    )
