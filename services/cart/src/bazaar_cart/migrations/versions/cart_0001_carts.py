"""Carts, and the cart's copy of promotions and discount codes.

Revision ID: cart_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "cart_0001"
down_revision = None
branch_labels = ("cart",)
depends_on = None

ONE_ACTIVE_CART = "state = 'active' AND token_hash IS NULL"


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("lines", sa.JSON, nullable=False),
        sa.Column("codes", sa.JSON, nullable=False),
        sa.Column("order_id", sa.String(64)),
        sa.Column("merged_into", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "carts_one_active_per_owner",
        "carts",
        ["owner"],
        unique=True,
        sqlite_where=sa.text(ONE_ACTIVE_CART),
        postgresql_where=sa.text(ONE_ACTIVE_CART),
    )
    op.create_table(
        "promotions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("facts", sa.JSON, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "codes",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("facts", sa.JSON, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
    )
