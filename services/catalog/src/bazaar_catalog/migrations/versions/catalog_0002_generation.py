"""Catalog read model: a generation number, bumped by every transaction that applies events.

Revision ID: catalog_0002
Revises: catalog_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_0002"
down_revision = "catalog_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    generation = op.create_table(
        "generation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.bulk_insert(generation, [{"id": 1, "value": 0}])
