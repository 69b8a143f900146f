"""Alembic migrations run programmatically, without an env.py per service.

Every service database holds two migration branches: the chassis's own tables (outbox, inbox) and
the service's tables. Each service ships only its `migrations/versions/` folder;
`upgrade_to_heads` applies every branch. Rule for two live versions sharing one schema (M4):
expand, then contract — a migration may add tables and nullable columns; dropping one waits until
no running version uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

CHASSIS_VERSIONS = Path(__file__).parent / "versions"


def upgrade_to_heads(sync_connection: Any, version_locations: list[Path]) -> None:
    """Apply all pending revisions (chassis branch + the given folders) on `sync_connection`."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    locations = [CHASSIS_VERSIONS, *version_locations]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    script = ScriptDirectory.from_config(config)

    def plan(revision: Any, _context: Any) -> Any:
        return script._upgrade_revs("heads", revision)

    with EnvironmentContext(config, script, fn=plan) as environment:
        environment.configure(connection=sync_connection, target_metadata=None)
        with environment.begin_transaction():
            environment.run_migrations()
