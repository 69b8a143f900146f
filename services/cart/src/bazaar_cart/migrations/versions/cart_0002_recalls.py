"""Recalls: notices on carts (lines the platform removed, and why) and the SKUs already recalled.

Revision ID: cart_0002
Revises: cart_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "cart_0002"
down_revision = "cart_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "carts", sa.Column("notices", sa.JSON, nullable=False, server_default=sa.text("'[]'"))
    )
    op.create_table(
        "recalled_skus",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
