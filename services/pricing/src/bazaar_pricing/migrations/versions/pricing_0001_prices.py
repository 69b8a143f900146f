"""Price lists: one versioned head per SKU and its price rows (base, tiers, groups, windows).

Revision ID: pricing_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "pricing_0001"
down_revision = None
branch_labels = ("pricing",)
depends_on = None

# The same literal predicate as store.BASE_ROW_SQL: SQLite's upsert must match it exactly.
BASE_ROW = (
    "min_quantity = 1 AND customer_group IS NULL AND valid_from IS NULL AND valid_until IS NULL"
)


def upgrade() -> None:
    op.create_table(
        "sku_prices",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "prices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sku", sa.String(64), sa.ForeignKey("sku_prices.sku"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("min_quantity", sa.Integer, nullable=False, server_default="1"),
        sa.Column("customer_group", sa.String(64), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount >= 0", name="ck_prices_amount_not_negative"),
        sa.CheckConstraint("min_quantity >= 1", name="ck_prices_min_quantity_positive"),
    )
    op.create_index("ix_prices_sku_currency", "prices", ["sku", "currency"])
    op.create_index(
        "uq_prices_base",
        "prices",
        ["sku", "currency"],
        unique=True,
        sqlite_where=sa.text(BASE_ROW),
        postgresql_where=sa.text(BASE_ROW),
    )
