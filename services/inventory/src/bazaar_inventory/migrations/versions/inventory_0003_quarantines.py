"""Quarantines: the SKUs a recall took off sale, and why.

Revision ID: inventory_0003
Revises: inventory_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "inventory_0003"
down_revision = "inventory_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantines",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )
