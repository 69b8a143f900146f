"""Testbed tables.

Revision ID: testbed_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "testbed_0001"
down_revision = None
branch_labels = ("testbed",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "applied",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("times", sa.Integer, nullable=False),
    )
