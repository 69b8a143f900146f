"""Promotions, discount codes and code redemptions.

Revision ID: promotion_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "promotion_0001"
down_revision = None
branch_labels = ("promotion",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "promotions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.JSON, nullable=True),
        sa.Column("predicate", sa.JSON, nullable=True),
        sa.Column("threshold", sa.JSON, nullable=True),
        sa.Column("buy", sa.Integer, nullable=True),
        sa.Column("get", sa.Integer, nullable=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("stacking", sa.String(20), nullable=False),
        sa.Column("requires_code", sa.Boolean, nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "codes",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("promotion_id", sa.String(64), nullable=False, index=True),
        sa.Column("usage_limit", sa.Integer, nullable=True),
        sa.Column("uses", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "redemptions",
        sa.Column("code", sa.String(200), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", "order_id"),
    )
