"""Recalls: who bought which SKU (from order.confirmed), and the SKUs recalled.

Revision ID: notification_0002
Revises: notification_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "notification_0002"
down_revision = "notification_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "purchases",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("recipient", sa.String(64), primary_key=True),
        sa.Column("to_email", sa.String(254), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
    )
    op.create_table(
        "recalls",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
