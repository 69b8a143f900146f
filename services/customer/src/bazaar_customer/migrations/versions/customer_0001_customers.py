"""Customers, addresses and order history.

Revision ID: customer_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "customer_0001"
down_revision = None
branch_labels = ("customer",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organization", sa.String(63), nullable=False),
        sa.Column("registered", sa.Boolean, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
    )
    op.create_table(
        "addresses",
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(32), primary_key=True),
        sa.Column("line1", sa.String(200), nullable=False),
        sa.Column("line2", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("postal_code", sa.String(12), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "order_history",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String(64), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total_amount", sa.BigInteger, nullable=False),
        sa.Column("total_currency", sa.String(3), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
    )
