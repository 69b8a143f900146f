"""Orders, unique per (customer, idempotency key) and per cart.

Revision ID: order_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "order_0001"
down_revision = None
branch_labels = ("order",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("customer", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("cart_id", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("lines", sa.JSON, nullable=False),
        sa.Column("subtotal", sa.JSON, nullable=False),
        sa.Column("discounts", sa.JSON, nullable=False),
        sa.Column("total", sa.JSON, nullable=False),
        sa.Column("codes", sa.JSON, nullable=False),
        sa.Column("payment_method_id", sa.String(200), nullable=False),
        sa.Column("card_brand", sa.String(40), nullable=False),
        sa.Column("card_last4", sa.String(4), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("payment_status", sa.String(20), nullable=False),
        sa.Column("fulfillment_status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("customer", "idempotency_key", name="uq_orders_customer_key"),
        sa.UniqueConstraint("cart_id", name="uq_orders_cart"),
    )
    op.create_index("ix_orders_customer_placed", "orders", ["customer", "placed_at"])
