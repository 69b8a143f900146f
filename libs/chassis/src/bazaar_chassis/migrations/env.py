"""Alembic's environment script for `alembic.command.upgrade`: migrate on the connection the
caller handed over in `config.attributes["connection"]` (never one of its own)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
